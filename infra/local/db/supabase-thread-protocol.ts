/**
 * What the embedded Supabase's thread (supabase-thread.ts) and its host (supabase-thread-host.ts)
 * say to each other. Its own module, free of side effects: the thread's module starts a database
 * when loaded, so the host must never import it.
 */
import type { LocalSupabaseOptions, LocalSupabaseService } from './local-supabase';

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

/** An error as it crosses the thread: its name, message, the database's fields (code, detail, …), stack and cause. */
export type ThreadError = {
  readonly name: string;
  readonly message: string;
  readonly fields: Record<string, string | number | boolean>;
  readonly stack?: string;
  readonly cause?: string;
};

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

/** An error of the thread as it can cross: primitive fields kept, the stack and the cause as text. */
export function threadError(error: unknown): ThreadError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error), fields: {} };
  const fields: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(error)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') fields[key] = value;
  }
  return {
    name: error.name,
    message: error.message,
    fields,
    ...(error.stack ? { stack: error.stack } : {}),
    ...(error.cause === undefined ? {} : { cause: error.cause instanceof Error ? `${error.cause.name}: ${error.cause.message}` : String(error.cause) }),
  };
}

/**
 * The error as thrown on the thread, rebuilt here as a plain Error (its class does not cross):
 * name, message, the database's fields (`code`, `detail`, …), the thread's stack after this
 * side's, and the cause as text.
 */
export function fromThread(error: ThreadError): Error {
  const rebuilt = Object.assign(new Error(error.message, error.cause === undefined ? {} : { cause: error.cause }), error.fields, { name: error.name });
  if (error.stack) rebuilt.stack = `${rebuilt.stack ?? ''}\n    --- on the embedded Supabase's thread ---\n${error.stack}`;
  return rebuilt;
}
