/**
 * PGlite as the local stage's database: data in a folder that survives restarts (or `memory://`),
 * Supabase's roles and the migrations applied, one executor whose transactions share the single
 * PGlite session with the Postgres socket through a `SessionGate`.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { applyMigrations, MIGRATIONS_DIR } from './migrate';
import { SessionGate } from './session-gate';
import { INTERNAL_TX_PREAMBLE, type DbExecutor, type SqlClient, type TransactionOptions } from './executor';
import { SUPABASE_BOOTSTRAP_SQL } from './supabase-bootstrap';
import type { LocalDbLog } from './log';

export const DEFAULT_DATA_DIR = join('.local', 'pgdata');
export const DEFAULT_CONNECTION_WAIT_MS = 2000;
const CLOSE_DRAIN_MS = 1000;

export interface PgliteHostOptions {
  /** A folder, or `memory://` for a throwaway database. @default '.local/pgdata' */
  readonly dataDir?: string;
  /** How long an in-process transaction waits for the session (e.g. behind a psql transaction). @default 2000 */
  readonly connectionWaitMs?: number;
  /** @default supabase/migrations */
  readonly migrationsDir?: string;
  /** A `dumpDataDir()` tarball to start from (test fixtures); used for `memory://` or a folder that holds no database yet. */
  readonly loadDataDir?: Blob;
  readonly log?: LocalDbLog;
}

export interface PgliteHost {
  readonly db: PGlite;
  readonly gate: SessionGate;
  readonly executor: DbExecutor;
  /** Migrations applied by this start (empty when the data folder was up to date). */
  readonly appliedMigrations: readonly string[];
}

const isMemory = (dataDir: string): boolean => dataDir.startsWith('memory://');

const pidIsAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Refuses a folder another live process uses; removes the `postmaster.pid` a killed run left behind. */
function claimDataDir(dataDir: string, log?: LocalDbLog): string {
  const lockFile = `${resolve(dataDir)}.lock`;
  if (existsSync(lockFile)) {
    const owner = Number.parseInt(readFileSync(lockFile, 'utf8'), 10);
    if (Number.isInteger(owner) && owner !== process.pid && pidIsAlive(owner)) {
      throw new Error(`data folder ${dataDir} is in use by process ${owner}`);
    }
  }
  mkdirSync(dirname(lockFile), { recursive: true });
  writeFileSync(lockFile, String(process.pid));
  const pidFile = join(dataDir, 'postmaster.pid');
  if (existsSync(pidFile)) {
    rmSync(pidFile);
    log?.(`embedded supabase: removed a stale postmaster.pid left in ${dataDir} by a killed run`);
  }
  return lockFile;
}

class PgliteExecutor implements DbExecutor {
  readonly kind = 'pglite' as const;
  constructor(
    private readonly db: PGlite,
    private readonly gate: SessionGate,
    private readonly waitMs: number,
    private readonly onClose: () => Promise<void>,
  ) {}

  async transaction<T>(work: (tx: SqlClient) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    await this.gate.acquireInternal(this.waitMs);
    try {
      return await this.db.transaction(async (tx) => {
        if (options.readOnly) await tx.exec('set transaction read only');
        return work({
          query: async <R>(sql: string, params?: readonly unknown[]) => tx.query<R>(sql, params ? [...params] : undefined),
          exec: async (sql: string) => {
            await tx.exec(sql);
          },
        });
      });
    } finally {
      this.gate.releaseInternal();
    }
  }

  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<{ rows: T[] }> {
    return this.transaction(async (tx) => {
      await tx.exec(INTERNAL_TX_PREAMBLE);
      return tx.query<T>(sql, params);
    });
  }

  close(): Promise<void> {
    return this.onClose();
  }
}

export async function openPglite(options: PgliteHostOptions = {}): Promise<PgliteHost> {
  const dataDir = options.dataDir ?? DEFAULT_DATA_DIR;
  const lockFile = isMemory(dataDir) ? undefined : claimDataDir(dataDir, options.log);
  const fresh = isMemory(dataDir) || !existsSync(join(dataDir, 'PG_VERSION'));
  const db = await PGlite.create(isMemory(dataDir) ? 'memory://' : resolve(dataDir), {
    ...(options.loadDataDir && fresh ? { loadDataDir: options.loadDataDir } : {}),
  });
  await db.exec(SUPABASE_BOOTSTRAP_SQL);
  const appliedMigrations = await applyMigrations(
    { exec: (sql) => db.exec(sql), query: (sql, params) => db.query(sql, params) },
    options.migrationsDir ?? MIGRATIONS_DIR,
  );
  if (appliedMigrations.length > 0) options.log?.(`embedded supabase: applied migrations ${appliedMigrations.join(', ')}`);
  const gate = new SessionGate();
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    // Let a socket client's last work (its rollback after the socket server stopped) finish first.
    const drained = await gate.acquireInternal(CLOSE_DRAIN_MS).then(
      () => true,
      () => false,
    );
    if (!drained) options.log?.('embedded supabase: closing PGlite while a socket client still holds the session');
    await db.close();
    if (lockFile) rmSync(lockFile, { force: true });
  };
  const executor = new PgliteExecutor(db, gate, options.connectionWaitMs ?? DEFAULT_CONNECTION_WAIT_MS, close);
  return { db, gate, executor, appliedMigrations };
}
