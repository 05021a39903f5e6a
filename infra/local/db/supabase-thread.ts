/**
 * The embedded Supabase on a thread of its own (started by supabase-thread-host.ts). PGlite's SQL
 * runs synchronously on the event loop that calls it; on the stage's loop it held up the
 * gateway's posts and every other request while a statement ran. Here it blocks only the RPC
 * server and the Postgres socket, as a database server's own process would.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { startLocalSupabase, type LocalSupabaseOptions, type LocalSupabaseService } from './local-supabase';

/** The settings the thread starts from: the host's options without its logger, a tarball to load as its bytes. */
export type SupabaseThreadData = {
  readonly entry: string;
  readonly options: Omit<LocalSupabaseOptions, 'log' | 'loadDataDir'>;
  readonly loadDataDir?: ArrayBuffer;
};

export type SupabaseThreadRequest =
  | { readonly id: number; readonly op: 'query'; readonly sql: string; readonly params?: readonly unknown[] }
  | { readonly id: number; readonly op: 'exec'; readonly sql: string }
  | { readonly id: number; readonly op: 'reloadSchemaCache' | 'dumpDataDir' | 'close' };

/** An error as it crosses the thread: its name, message and the database's fields (code, detail, …). */
export type ThreadError = { readonly name: string; readonly message: string; readonly fields: Record<string, string | number | boolean> };

/** What the thread's service is, without its methods. */
export type SupabaseThreadReady = Omit<LocalSupabaseService, 'query' | 'exec' | 'reloadSchemaCache' | 'dumpDataDir' | 'close'> & {
  readonly canDump: boolean;
};

export type SupabaseThreadMessage =
  | { readonly log: string }
  | { readonly ready: SupabaseThreadReady }
  | { readonly failed: ThreadError }
  | { readonly id: number; readonly result: unknown }
  | { readonly id: number; readonly error: ThreadError };

const port = parentPort!;
const post = (message: SupabaseThreadMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);

function threadError(error: unknown): ThreadError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error), fields: {} };
  const fields: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(error)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') fields[key] = value;
  }
  return { name: error.name, message: error.message, fields };
}

async function serve(supabase: LocalSupabaseService, request: SupabaseThreadRequest): Promise<void> {
  try {
    switch (request.op) {
      case 'query':
        return post({ id: request.id, result: await supabase.query(request.sql, request.params) });
      case 'exec':
        return post({ id: request.id, result: await supabase.exec(request.sql) });
      case 'reloadSchemaCache':
        return post({ id: request.id, result: await supabase.reloadSchemaCache() });
      case 'dumpDataDir': {
        // Blobs do not cross threads; their bytes do, moved rather than copied.
        const bytes = await (await supabase.dumpDataDir!()).arrayBuffer();
        return post({ id: request.id, result: bytes }, [bytes]);
      }
      case 'close':
        await supabase.close();
        post({ id: request.id, result: undefined });
        return port.close();
    }
  } catch (error) {
    post({ id: request.id, error: threadError(error) });
  }
}

async function main({ options, loadDataDir }: SupabaseThreadData): Promise<void> {
  let supabase: LocalSupabaseService;
  try {
    supabase = await startLocalSupabase({
      ...options,
      ...(loadDataDir ? { loadDataDir: new Blob([loadDataDir]) } : {}),
      log: (line) => post({ log: line }),
    });
  } catch (error) {
    post({ failed: threadError(error) });
    return port.close();
  }
  const { url, serviceKey, secretKey, anonKey, publishableKey, dbPort, databaseKind } = supabase;
  port.on('message', (request: SupabaseThreadRequest) => void serve(supabase, request));
  post({
    ready: { url, serviceKey, secretKey, anonKey, publishableKey, ...(dbPort === undefined ? {} : { dbPort }), databaseKind, canDump: !!supabase.dumpDataDir },
  });
}

void main(workerData as SupabaseThreadData);
