import type { Bench } from '../lib/types';

export const latency: Bench = {
  name: 'latency',
  summary: 'not written yet',
  flags: {},
  run: async () => { throw new Error('not written yet'); },
};
