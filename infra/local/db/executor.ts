/**
 * The one way the local stage talks to its database: run a callback in a transaction, after
 * waiting a bounded time for the connection. PGlite (one session, shared with the Postgres
 * socket) and a `pg` Pool (DATABASE_URL) both implement it.
 */

/** A connection inside a transaction. */
export interface SqlClient {
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<{ rows: T[] }>;
  /** Runs one or more statements without parameters. */
  exec(sql: string): Promise<void>;
}

export interface TransactionOptions {
  /** Runs the transaction READ ONLY (PostgREST does so for GET and for STABLE/IMMUTABLE functions). @default false */
  readonly readOnly?: boolean;
}

export interface DbExecutor {
  readonly kind: 'pglite' | 'postgres';
  /** Commits when `work` resolves, rolls back when it throws. Throws `ConnectionWaitTimeoutError` when no connection frees up in time. */
  transaction<T>(work: (tx: SqlClient) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** One statement in its own transaction, through the same queue. */
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<{ rows: T[] }>;
  close(): Promise<void>;
}

/** No connection became free within the bounded wait (PostgREST: 504 PGRST003). */
export class ConnectionWaitTimeoutError extends Error {
  readonly waitedMs: number;
  constructor(waitedMs: number, options?: { cause?: unknown }) {
    super(`Timed out after ${waitedMs} ms waiting for a database connection`, options);
    this.name = 'ConnectionWaitTimeoutError';
    this.waitedMs = waitedMs;
  }
}

/** The database could not be reached at all (PostgREST: 503 PGRST000). */
export class ConnectionFailedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConnectionFailedError';
  }
}

/** Settings every internal transaction starts with, so a psql session's `SET ROLE`/`search_path` never leaks in. */
export const INTERNAL_TX_PREAMBLE = `set local role none; set local search_path = "$user", public, extensions`;

export const runInternal = <T>(executor: DbExecutor, work: (tx: SqlClient) => Promise<T>): Promise<T> =>
  executor.transaction(async (tx) => {
    await tx.exec(INTERNAL_TX_PREAMBLE);
    return work(tx);
  });
