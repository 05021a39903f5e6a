/**
 * Takes over this process's stdout and stderr while the local stage runs in it: the handlers'
 * structured log lines (Powertools, at the deployed INFO level; WARN and ERROR go to stderr)
 * are counted — bytes and time, for the cost model's log ingestion — and kept off the bench's
 * own output. Anything that is not a JSON log line (progress, tables) passes through.
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
  const take = (stream: NodeJS.WriteStream): (() => void) => {
    const original = stream.write.bind(stream);
    stream.write = ((chunk: string | Uint8Array, encodingOrCallback?: unknown, callback?: unknown): boolean => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      if (!text.startsWith('{')) return original(chunk as string, encodingOrCallback as BufferEncoding, callback as () => void);
      writes.push({ at: epochMs(), bytes: Buffer.byteLength(text) });
      note(text);
      const done = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
      if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
      return true;
    }) as typeof stream.write;
    return () => {
      stream.write = original as typeof stream.write;
    };
  };
  const restores = [take(process.stdout), take(process.stderr)];
  return {
    bytesBetween: (from, to) => writes.filter((w) => w.at >= from && w.at < to).reduce((sum, w) => sum + w.bytes, 0),
    problems,
    get lines() {
      return writes.length;
    },
    restore: () => {
      for (const restore of restores) restore();
    },
  };
}
