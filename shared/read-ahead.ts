/**
 * Pages read ahead: the first is asked for at once (an org-index query can run while the
 * write's RPC is in flight), and each next one as soon as the previous one arrives, so posting
 * a page never waits for the query of the next. A read nobody consumes fails silently.
 */
export function readAhead<T>(iterable: AsyncIterable<T>): AsyncIterable<T> {
  const iterator = iterable[Symbol.asyncIterator]();
  const ask = (): Promise<IteratorResult<T>> => {
    const next = iterator.next();
    next.catch(() => undefined);
    return next;
  };
  let next = ask();
  let taken = false;
  return {
    async *[Symbol.asyncIterator]() {
      if (taken) throw new Error('pages read ahead can be iterated once');
      taken = true;
      for (;;) {
        const current = await next;
        if (current.done) return;
        next = ask();
        yield current.value;
      }
    },
  };
}
