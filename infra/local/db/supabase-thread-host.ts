/**
 * Starts the embedded Supabase on a thread of its own (supabase-thread.ts) and answers for it in
 * this process: its URL and keys, and its owner's SQL (`query`, `exec`) passed across. The stage
 * runs its own Supabase so; tests that hold the database's transactions (`executor`) start it
 * in their own process with startLocalSupabase.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { LocalSupabaseOptions, LocalSupabaseService } from './local-supabase';
import { fromThread, type SupabaseThreadData, type SupabaseThreadMessage, type SupabaseThreadReady, type SupabaseThreadRequest } from './supabase-thread-protocol';

/**
 * The options of startLocalSupabase; `log` is called in this process. Values cross the thread
 * by structured clone: rows and parameters arrive as plain data (a `Buffer` as a `Uint8Array`,
 * no prototypes, no `toJSON`), errors as plain `Error`s. An idle thread does not keep the process
 * alive (its servers are on the thread).
 */
export type LocalSupabaseThreadOptions = LocalSupabaseOptions;

/** How long close() waits for the thread to close its database before terminating it. */
const CLOSE_WAIT_MS = 5000;

type Pending = { resolve(result: unknown): void; reject(error: Error): void };

const exitedError = (code: number): Error => new Error(`the embedded Supabase's thread exited (code ${code})`);
type WithoutId<Request> = Request extends unknown ? Omit<Request, 'id'> : never;

export async function startLocalSupabaseThread(options: LocalSupabaseThreadOptions): Promise<LocalSupabaseService> {
  const { log, loadDataDir, ...settings } = options;
  const tarball = loadDataDir ? await loadDataDir.arrayBuffer() : undefined;
  const data: SupabaseThreadData = { entry: join(__dirname, 'supabase-thread.ts'), options: settings, ...(tarball ? { loadDataDir: tarball } : {}) };
  const worker = new Worker(join(__dirname, '..', 'typescript-thread.cjs'), { workerData: data, transferList: tarball ? [tarball] : [] });
  const pending = new Map<number, Pending>();
  let exitedWith: number | undefined;
  /** Takes what is owed for `id`; an idle thread does not keep the process alive, one that owes an answer does. */
  const settle = (id: number): Pending | undefined => {
    const request = pending.get(id);
    pending.delete(id);
    if (pending.size === 0) worker.unref();
    return request;
  };

  const ready = new Promise<SupabaseThreadReady>((resolve, reject) => {
    const failed = (error: Error): void => {
      worker.off('error', failed);
      reject(error);
    };
    // Only while starting: a later error of the thread stays unhandled and stops the stage, as in-process.
    worker.on('error', failed);
    worker.on('message', (message: SupabaseThreadMessage) => {
      if ('log' in message) return log?.(message.log);
      if ('ready' in message || 'failed' in message) {
        worker.off('error', failed);
        return 'ready' in message ? resolve(message.ready) : reject(fromThread(message.failed));
      }
      const request = settle(message.id);
      if ('error' in message) request?.reject(fromThread(message.error));
      else request?.resolve(message.result);
    });
    worker.once('exit', (code) => {
      exitedWith = code;
      reject(new Error(`the embedded Supabase's thread exited (code ${code}) before it started`));
      for (const request of pending.values()) request.reject(exitedError(code));
      pending.clear();
    });
  });
  const service = await ready.catch(async (error: unknown) => {
    // A thread that failed to start may still hold handles open; it must not keep this process alive.
    await worker.terminate();
    throw error;
  });
  worker.unref();

  let nextId = 0;
  const call = (request: WithoutId<SupabaseThreadRequest>): Promise<unknown> =>
    new Promise((resolve, reject) => {
      if (exitedWith !== undefined) return reject(exitedError(exitedWith));
      const id = nextId++;
      if (pending.size === 0) worker.ref();
      pending.set(id, { resolve, reject });
      try {
        worker.postMessage({ ...request, id });
      } catch (error) {
        // A parameter that cannot be cloned (a function, say) is the caller's error; nothing is owed then.
        settle(id);
        reject(error);
      }
    });
  let closed: Promise<void> | undefined;
  const { canDump, ...identity } = service;
  return {
    ...identity,
    query: async <T>(sql: string, params?: readonly unknown[]) =>
      (await call({ op: 'query', sql, ...(params === undefined ? {} : { params }) })) as { rows: T[] },
    exec: async (sql) => void (await call({ op: 'exec', sql })),
    reloadSchemaCache: async () => void (await call({ op: 'reloadSchemaCache' })),
    ...(canDump ? { dumpDataDir: async () => new Blob([(await call({ op: 'dumpDataDir' })) as ArrayBuffer]) } : {}),
    close: () =>
      (closed ??= (async () => {
        // A thread stuck in a statement is terminated after a bound; a failed close is reported, as in-process.
        let timer: NodeJS.Timeout | undefined;
        const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)));
        let failure: unknown;
        const answered = call({ op: 'close' }).catch((error: unknown) => {
          // The thread's own failure to close; a thread already gone has nothing left to close.
          if (exitedWith === undefined) failure = error;
        });
        await Promise.race([answered, bound]);
        clearTimeout(timer);
        await worker.terminate();
        if (failure !== undefined) throw failure;
      })()),
  };
}
