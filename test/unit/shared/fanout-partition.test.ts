/** The fan-out rule: first pages posted here, the rest handed off, the sender skipped, nothing serialised. */
import { fanOutPartitioned, sumResults } from '../../../shared/fanout-partition';

async function* pagesOf(...pages: string[][]): AsyncGenerator<string[]> {
  for (const page of pages) yield page;
}

const result = (ids: readonly string[]) => ({ sent: ids.length, gone: 0, failed: 0 });

describe('fanOutPartitioned', () => {
  it('serves the first page here and hands off every later one, without the sender', async () => {
    const served: string[][] = [];
    const handed: string[][] = [];
    const total = await fanOutPartitioned({
      pages: pagesOf(['a', 'b'], ['c', 'sender'], ['e']),
      except: 'sender',
      servedHere: 1,
      serve: async (ids) => (served.push([...ids]), result(ids)),
      handOff: async (ids) => (handed.push([...ids]), result(ids)),
    });

    expect(served).toEqual([['a', 'b']]);
    expect(handed).toEqual([['c'], ['e']]);
    expect(total).toEqual({ sent: 4, gone: 0, failed: 0 });
  });

  it('hands off everything when nothing is served here (the webhook)', async () => {
    const handed: string[][] = [];
    await fanOutPartitioned({ pages: pagesOf(['a'], ['b']), servedHere: 0, serve: async () => fail('served here'), handOff: async (ids) => (handed.push([...ids]), result(ids)) });
    expect(handed).toEqual([['a'], ['b']]);
  });

  it('hands off the later pages while the first is still being posted', async () => {
    let finishFirst = () => undefined as void;
    const handed: string[][] = [];
    const done = fanOutPartitioned({
      pages: pagesOf(['a'], ['b'], ['c']),
      servedHere: 1,
      serve: (ids) => new Promise((resolve) => (finishFirst = () => resolve(result(ids)))),
      handOff: async (ids) => (handed.push([...ids]), result(ids)),
    });
    await new Promise((resolve) => setImmediate(resolve));

    expect(handed).toEqual([['b'], ['c']]);
    finishFirst();
    await expect(done).resolves.toEqual({ sent: 3, gone: 0, failed: 0 });
  });

  it('adds results up', () => {
    expect(sumResults([{ sent: 1, gone: 2, failed: 3 }, { sent: 4, gone: 0, failed: 1 }])).toEqual({ sent: 5, gone: 2, failed: 4 });
  });
});
