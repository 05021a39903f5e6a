/**
 * A real Postgres (DATABASE_URL) as the local stage's database: a `pg` Pool with a bounded wait
 * for a connection, Supabase's roles and the migrations applied at start. Real concurrency: each
 * transaction has its own connection.
 */
import { Pool, type PoolClient } from 'pg';
import { applyMigrations, MIGRATIONS_DIR } from './migrate';
import {
  ConnectionFailedError,
  ConnectionWaitTimeoutError,
  INTERNAL_TX_PREAMBLE,
  type DbExecutor,
  type SqlClient,
  type TransactionOptions,
} from './executor';
import { SUPABASE_BOOTSTRAP_SQL } from './supabase-bootstrap';
import type { LocalDbLog } from './log';

export interface PgPoolHostOptions {
  readonly databaseUrl: string;
  /** @default 2000 */
  readonly connectionWaitMs?: number;
  /** @default 10 */
  readonly maxConnections?: number;
  /** @default supabase/migrations */
  readonly migrationsDir?: string;
  readonly log?: LocalDbLog;
}

export interface PgPoolHost {
  readonly pool: Pool;
  readonly executor: DbExecutor;
  readonly appliedMigrations: readonly string[];
}

const isPoolTimeout = (error: unknown): boolean =>
  error instanceof Error && /timeout exceeded when trying to connect/i.test(error.message);

class PgPoolExecutor implements DbExecutor {
  readonly kind = 'postgres' as const;
  constructor(
    private readonly pool: Pool,
    private readonly waitMs: number,
  ) {}

  async #connect(): Promise<PoolClient> {
    try {
      return await this.pool.connect();
    } catch (error) {
      if (isPoolTimeout(error)) throw new ConnectionWaitTimeoutError(this.waitMs, { cause: error });
      throw new ConnectionFailedError((error as Error).message, { cause: error });
    }
  }

  async transaction<T>(work: (tx: SqlClient) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const client = await this.#connect();
    let broken: Error | undefined;
    try {
      await client.query(options.readOnly ? 'begin read only' : 'begin');
      try {
        const result = await work({
          query: async <R>(sql: string, params?: readonly unknown[]) => {
            const { rows } = await client.query(sql, params ? [...params] : undefined);
            return { rows: rows as R[] };
          },
          exec: async (sql: string) => {
            await client.query(sql);
          },
        });
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback').catch((rollbackError: Error) => {
          broken = rollbackError;
        });
        throw error;
      }
    } finally {
      client.release(broken);
    }
  }

  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<{ rows: T[] }> {
    return this.transaction(async (tx) => {
      await tx.exec(INTERNAL_TX_PREAMBLE);
      return tx.query<T>(sql, params);
    });
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

export async function openPgPool(options: PgPoolHostOptions): Promise<PgPoolHost> {
  const waitMs = options.connectionWaitMs ?? 2000;
  const pool = new Pool({
    connectionString: options.databaseUrl,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: waitMs,
  });
  pool.on('error', (error) => options.log?.(`embedded supabase: idle database connection failed: ${error.message}`));
  const client = await pool.connect();
  let appliedMigrations: string[];
  try {
    await client.query(SUPABASE_BOOTSTRAP_SQL);
    appliedMigrations = await applyMigrations(
      {
        exec: (sql) => client.query(sql),
        query: async <R>(sql: string, params?: unknown[]) => ({ rows: (await client.query(sql, params)).rows as R[] }),
      },
      options.migrationsDir ?? MIGRATIONS_DIR,
    );
  } finally {
    client.release();
  }
  if (appliedMigrations.length > 0) options.log?.(`embedded supabase: applied migrations ${appliedMigrations.join(', ')}`);
  return { pool, executor: new PgPoolExecutor(pool, waitMs), appliedMigrations };
}
