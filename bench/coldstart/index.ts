import type { Bench } from '../lib/types';

export const coldstart: Bench = {
  name: 'coldstart',
  summary: 'not written yet',
  flags: {},
  run: async () => { throw new Error('not written yet'); },
};
