/**
 * The embedded Supabase on a thread of its own (started by supabase-thread-host.ts). PGlite's SQL
 * runs synchronously on the event loop that calls it; on the stage's loop it held up the
 * gateway's posts and every other request while a statement ran. Here it blocks only the RPC
 * server and the Postgres socket, as a database server's own process would.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { startLocalSupabase, type LocalSupabaseService } from './local-supabase';
import { threadError, type SupabaseThreadData, type SupabaseThreadMessage, type SupabaseThreadRequest } from './supabase-thread-protocol';

const port = parentPort!;
const post = (message: SupabaseThreadMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);

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
