/**
 * Takes over this process's stdout while the local stage runs in it: the handlers' structured
 * log lines (Powertools, at the deployed INFO level) are counted — bytes and time, for the cost
 * model's log ingestion — and kept off the bench's own output.
 */
import { epochMs } from './trace';

export interface LogCapture {
  /** Bytes written in [from, to). */
  bytesBetween(from: number, to: number): number;
  readonly lines: number;
  restore(): void;
}

export function captureStdout(): LogCapture {
  const original = process.stdout.write.bind(process.stdout);
  const writes: Array<{ at: number; bytes: number }> = [];
  process.stdout.write = ((chunk: string | Uint8Array, encodingOrCallback?: unknown, callback?: unknown): boolean => {
    writes.push({ at: epochMs(), bytes: typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength });
    const done = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
    if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
    return true;
  }) as typeof process.stdout.write;
  return {
    bytesBetween: (from, to) => writes.filter((w) => w.at >= from && w.at < to).reduce((sum, w) => sum + w.bytes, 0),
    get lines() {
      return writes.length;
    },
    restore: () => {
      process.stdout.write = original;
    },
  };
}
