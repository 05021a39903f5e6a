import type { Bench } from '../lib/types';

export const cost: Bench = {
  name: 'cost',
  summary: 'not written yet',
  flags: {},
  run: async () => { throw new Error('not written yet'); },
};
