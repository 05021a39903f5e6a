/** Pages read ahead: the first read starts before anyone iterates, each next one as the previous arrives. */
import { readAhead } from '../../../shared/read-ahead';

function recordingPages(pages: string[][], log: string[], failAt?: number): AsyncIterable<string[]> {
  return {
    async *[Symbol.asyncIterator]() {
      for (const [index, page] of pages.entries()) {
        log.push(`read ${index}`);
        await new Promise((resolve) => setImmediate(resolve));
        if (index === failAt) throw new Error(`page ${index} unreadable`);
        yield page;
      }
    },
  };
}

describe('readAhead', () => {
  it('starts the first read at once, before the pages are iterated', async () => {
    const log: string[] = [];
    const pages = readAhead(recordingPages([['a'], ['b']], log));
    expect(log).toEqual(['read 0']);
    const seen: string[][] = [];
    for await (const page of pages) seen.push(page);
    expect(seen).toEqual([['a'], ['b']]);
    expect(log).toEqual(['read 0', 'read 1']);
  });

  it('asks for the next page as soon as the current one is handed out', async () => {
    const log: string[] = [];
    const iterator = readAhead(recordingPages([['a'], ['b'], ['c']], log))[Symbol.asyncIterator]();
    await iterator.next();
    expect(log).toEqual(['read 0', 'read 1']);
  });

  it('a read nobody consumes fails silently; a consumed one rejects the iteration', async () => {
    const unhandled = jest.fn();
    process.on('unhandledRejection', unhandled);
    try {
      readAhead(recordingPages([['a']], [], 0));
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).not.toHaveBeenCalled();
      const consumed = readAhead(recordingPages([['a']], [], 0));
      await expect((async () => { for await (const _ of consumed) void _; })()).rejects.toThrow('page 0 unreadable');
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });

  it('can be iterated once', async () => {
    const pages = readAhead(recordingPages([['a']], []));
    for await (const _ of pages) void _;
    await expect(pages[Symbol.asyncIterator]().next()).rejects.toThrow('iterated once');
  });
});
