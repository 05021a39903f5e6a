/**
 * Takes over this process's stdout while the local stage runs in it: the handlers' structured
 * log lines (Powertools, at the deployed INFO level) are counted — bytes and time, for the cost
 * model's log ingestion — and kept off the bench's own output.
 */
import { epochMs } from './trace';

export interface LogCapture {
  /** Bytes written in [from, to). */
  bytesBetween(from: number, to: number): number;
  /** WARN and ERROR lines by level and message (`WARN post timed out` → count). */
  readonly problems: ReadonlyMap<string, number>;
  readonly lines: number;
  restore(): void;
}

export function captureStdout(): LogCapture {
  const original = process.stdout.write.bind(process.stdout);
  const writes: Array<{ at: number; bytes: number }> = [];
  const problems = new Map<string, number>();
  const note = (text: string): void => {
    for (const line of text.split('\n')) {
      const level = /"level":"(WARN|ERROR|CRITICAL)"/.exec(line)?.[1];
      if (!level) continue;
      const key = `${level} ${/"message":"([^"]*)"/.exec(line)?.[1] ?? '?'}`;
      problems.set(key, (problems.get(key) ?? 0) + 1);
    }
  };
  process.stdout.write = ((chunk: string | Uint8Array, encodingOrCallback?: unknown, callback?: unknown): boolean => {
    writes.push({ at: epochMs(), bytes: typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength });
    note(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const done = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
    if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
    return true;
  }) as typeof process.stdout.write;
  return {
    bytesBetween: (from, to) => writes.filter((w) => w.at >= from && w.at < to).reduce((sum, w) => sum + w.bytes, 0),
    problems,
    get lines() {
      return writes.length;
    },
    restore: () => {
      process.stdout.write = original;
    },
  };
}
