import type { Bench } from '../lib/types';

export const sync: Bench = {
  name: 'sync',
  summary: 'not written yet',
  flags: {},
  run: async () => { throw new Error('not written yet'); },
};
