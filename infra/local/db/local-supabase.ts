/**
 * The embedded Supabase of the local stage and the tests, in one call: the database (PGlite in a
 * folder, or a real Postgres with DATABASE_URL), the PostgREST-compatible RPC endpoint, and PGlite
 * over the Postgres wire protocol on DB_PORT.
 *
 * @example
 * const supabase = await startLocalSupabase({ dataDir: 'memory://', port: 0, dbPort: 0, jwtSecret });
 * const client = createClient(supabase.url, supabase.serviceKey, options);
 * await supabase.close();
 */
import { runInternal, type DbExecutor } from './executor';
import type { LocalDbLog } from './log';
import { openPglite, type PgliteHost } from './pglite-host';
import { openPgPool } from './pg-pool-host';
import { DEFAULT_DB_PORT, startPgSocket, type PgSocket } from './pg-socket';
import { makeAnonKey, makePublishableKey, makeSecretKey, makeServiceRoleKey } from './rpc-auth';
import { startRpcServer } from './rpc-server';

export interface LocalSupabaseOptions {
  /** PGlite data folder, or `memory://`. Ignored with `databaseUrl`. @default '.local/pgdata' */
  readonly dataDir?: string;
  /** Use this Postgres (15 or newer) instead of PGlite; no socket is served then. */
  readonly databaseUrl?: string;
  /** HTTP port of the RPC endpoint; 0 = any free port. @default 0 */
  readonly port?: number;
  /** Postgres wire-protocol port for PGlite; 0 = any free port; `false` = none. @default 54322 */
  readonly dbPort?: number | false;
  /** The project JWT secret (legacy keys, user tokens). */
  readonly jwtSecret: string;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** Connections of the pool (DATABASE_URL only). @default 10 */
  readonly poolSize?: number;
  /** Bounded wait of an RPC call for the database session or a pool connection. @default 2000 */
  readonly connectionWaitMs?: number;
  /** @default supabase/migrations */
  readonly migrationsDir?: string;
  /** A `dumpDataDir()` tarball to start from (PGlite: `memory://` or a folder without a database yet). */
  readonly loadDataDir?: Blob;
  readonly log?: LocalDbLog;
}

/** What a stage uses of an embedded Supabase, run in this process or on a thread of its own (supabase-thread-host.ts). */
export interface LocalSupabaseService {
  /** `http://127.0.0.1:port` — SUPABASE_URL. */
  readonly url: string;
  /** The legacy service_role JWT (what `SUPABASE_SERVICE_ROLE_KEY` holds). */
  readonly serviceKey: string;
  /** The `sb_secret_…` key, accepted as well. */
  readonly secretKey: string;
  readonly anonKey: string;
  readonly publishableKey: string;
  /** The Postgres socket's port (PGlite only). */
  readonly dbPort?: number;
  readonly databaseKind: 'pglite' | 'postgres';
  /** One statement as the database owner, through the same queue as RPC calls (tests, the webhook relay). */
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<{ rows: T[] }>;
  /** Several statements without parameters, as the database owner (test fixtures, throwaway functions). */
  exec(sql: string): Promise<void>;
  /** Re-reads the functions (PostgREST's `NOTIFY pgrst, 'reload schema'`). */
  reloadSchemaCache(): Promise<void>;
  /** A snapshot of the PGlite data folder (test fixtures); absent with DATABASE_URL. */
  dumpDataDir?(): Promise<Blob>;
  close(): Promise<void>;
}

export interface LocalSupabase extends LocalSupabaseService {
  /** The database's transactions in this process (tests hold one to make RPC calls wait). */
  readonly executor: DbExecutor;
}

export async function startLocalSupabase(options: LocalSupabaseOptions): Promise<LocalSupabase> {
  const common = {
    ...(options.connectionWaitMs === undefined ? {} : { connectionWaitMs: options.connectionWaitMs }),
    ...(options.migrationsDir === undefined ? {} : { migrationsDir: options.migrationsDir }),
    ...(options.log === undefined ? {} : { log: options.log }),
  };
  let pglite: PgliteHost | undefined;
  let executor: DbExecutor;
  if (options.databaseUrl) {
    executor = (
      await openPgPool({
        databaseUrl: options.databaseUrl,
        ...common,
        ...(options.poolSize === undefined ? {} : { maxConnections: options.poolSize }),
      })
    ).executor;
  } else {
    pglite = await openPglite({
      ...common,
      ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
      ...(options.loadDataDir === undefined ? {} : { loadDataDir: options.loadDataDir }),
    });
    executor = pglite.executor;
  }
  const cleanups: (() => Promise<void>)[] = [() => executor.close()];
  const closeAll = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  try {
    let socket: PgSocket | undefined;
    if (pglite && options.dbPort !== false) {
      socket = await startPgSocket(pglite.db, pglite.gate, {
        port: options.dbPort ?? DEFAULT_DB_PORT,
        host: options.host ?? '127.0.0.1',
        ...(options.log === undefined ? {} : { log: options.log }),
      });
      cleanups.push(() => socket!.close());
    }
    const rpc = await startRpcServer({
      executor,
      jwtSecret: options.jwtSecret,
      port: options.port ?? 0,
      ...(options.host === undefined ? {} : { host: options.host }),
      ...(options.log === undefined ? {} : { log: options.log }),
    });
    cleanups.push(() => rpc.close());
    const db = pglite?.db;
    return {
      url: rpc.url,
      serviceKey: makeServiceRoleKey(options.jwtSecret),
      secretKey: makeSecretKey(options.jwtSecret),
      anonKey: makeAnonKey(options.jwtSecret),
      publishableKey: makePublishableKey(options.jwtSecret),
      ...(socket ? { dbPort: socket.port } : {}),
      databaseKind: executor.kind,
      executor,
      query: (sql, params) => executor.query(sql, params),
      exec: (sql) => runInternal(executor, (tx) => tx.exec(sql)),
      reloadSchemaCache: () => rpc.schemaCache.reload(),
      ...(db ? { dumpDataDir: async () => db.dumpDataDir('none') } : {}),
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
