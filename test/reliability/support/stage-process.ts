/**
 * The local stage as its own process (`infra/local/main.ts --ready-json`, what `npm start`
 * runs), on free ports and a given data folder, so a suite can SIGKILL it and start it again
 * on the same data, or point it at a real Postgres with DATABASE_URL. A new PGlite folder is filled
 * from the migrated fixture first, which loads PGlite in the Jest worker: run Jest with
 * NODE_OPTIONS=--experimental-vm-modules (as `npm test` does).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client as PgClient } from 'pg';
import { LOCAL_JWT_SECRET_DEFAULT } from '../../../infra/local/tokens';
import { startTestSupabase } from '../../helpers/local-supabase';

const ROOT = join(__dirname, '..', '..', '..');
const READY_TIMEOUT_MS = 60_000;

export interface StageProcessOptions {
  /** LOCAL_DATA_DIR */
  readonly dataDir: string;
  /** Where the process writes its output (appended). */
  readonly logFile: string;
  /** More environment (DATABASE_URL, LOCAL_WEBHOOK_POLL_MS, …). */
  readonly env?: Record<string, string>;
}

export interface ReadyLine {
  readonly httpUrl: string;
  readonly websocketUrl: string;
  readonly supabaseUrl: string;
  readonly dbPort: number | null;
  readonly dynamodbEndpoint: string;
  readonly connectionsTable: string;
  readonly pid: number;
}

export interface StageProcess extends ReadyLine {
  readonly jwtSecret: string;
  readonly child: ChildProcess;
  /** Kills it with SIGKILL (no shutdown code runs) and waits for the exit. */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL after 5 s. */
  stop(): Promise<void>;
}

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));

/**
 * Fills a new PGlite data folder from the migrated fixture the integration tests share (a fresh
 * PGlite plus every migration costs several seconds per start; the stage then just reopens it).
 * Needs PGlite in this process (Jest with --experimental-vm-modules, as `npm test` runs it).
 */
async function seedPglite(dataDir: string): Promise<void> {
  const pgdata = join(dataDir, 'pgdata');
  if (existsSync(join(pgdata, 'PG_VERSION'))) return;
  await (await startTestSupabase({ dataDir: pgdata })).close();
}

export async function startStageProcess({ dataDir, logFile, env = {} }: StageProcessOptions): Promise<StageProcess> {
  if (!env.DATABASE_URL) await seedPglite(dataDir);
  const out = openSync(logFile, 'a');
  const offset = readFileSync(logFile, 'utf8').length;
  // Node itself with tsx's loader (not the tsx CLI, which runs the stage in a child process of its
  // own that a SIGKILL of the CLI would leave running).
  const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/main.ts', '--ready-json'], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      PORT: '0',
      DB_PORT: '0',
      LOCAL_DATA_DIR: dataDir,
      LOCAL_WEBHOOK_POLL_MS: '100',
      POWERTOOLS_LOG_LEVEL: 'WARN',
      JEST_WORKER_ID: '',
      ...env,
    },
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  try {
    const ready = await waitForReady(logFile, offset, child);
    if (ready.pid !== child.pid) throw new Error(`the stage runs as process ${ready.pid}, not as the spawned ${child.pid}`);
    return {
      ...ready,
      jwtSecret: env.SUPABASE_JWT_SECRET ?? LOCAL_JWT_SECRET_DEFAULT,
      child,
      async kill() {
        child.kill('SIGKILL');
        await exited(child);
      },
      async stop() {
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.kill('SIGTERM');
        await exited(child);
        clearTimeout(timer);
      },
    };
  } catch (error) {
    child.kill('SIGKILL');
    await exited(child);
    throw error;
  }
}

async function waitForReady(logFile: string, offset: number, child: ChildProcess): Promise<ReadyLine> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const text = readFileSync(logFile, 'utf8').slice(offset);
    const line = text.split('\n').find((candidate) => candidate.startsWith('{"ready":true'));
    if (line) return JSON.parse(line) as ReadyLine;
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`local stage exited before it was ready:\n${text.slice(-4000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`local stage not ready within ${READY_TIMEOUT_MS} ms:\n${readFileSync(logFile, 'utf8').slice(offset).slice(-4000)}`);
}

/** The SQL address of a stage process's database: PGlite's socket, or the real Postgres it was given. */
export const databaseUrlOf = (stage: Pick<ReadyLine, 'dbPort'>, databaseUrl?: string): string => {
  if (databaseUrl) return databaseUrl;
  if (!stage.dbPort) throw new Error('the stage serves no Postgres socket and no DATABASE_URL was given');
  return `postgres://postgres:postgres@127.0.0.1:${stage.dbPort}/postgres`;
};

export interface LogRow {
  readonly seq: number;
  readonly op: string;
  readonly staffId: string;
  readonly version: number;
  readonly requestId: string | null;
  readonly origin: string;
}

/** An org's change log in seq order and its counter (straight from the database). */
export async function readOrgLog(databaseUrl: string, orgId: string): Promise<{ rows: LogRow[]; lastSeq: number }> {
  const db = new PgClient({ connectionString: databaseUrl });
  await db.connect();
  try {
    const log = await db.query<{ seq: string; op: string; staff_id: string; version: number; request_id: string | null; origin: string }>(
      'select seq::text, op, staff_id::text, version, request_id, origin from public.staff_changes t where org_id = $1 order by t.seq',
      [orgId],
    );
    const counter = await db.query<{ last_seq: string }>('select last_seq::text from public.staff_org_counters where org_id = $1', [orgId]);
    return {
      rows: log.rows.map((row) => ({ seq: Number(row.seq), op: row.op, staffId: row.staff_id, version: row.version, requestId: row.request_id, origin: row.origin })),
      lastSeq: Number(counter.rows[0]?.last_seq ?? 0),
    };
  } finally {
    await db.end();
  }
}

/** Positions where seq is not 1..n without a gap (empty when gapless). */
export const seqGaps = (rows: readonly Pick<LogRow, 'seq'>[]): string[] =>
  rows.flatMap((row, index) => (row.seq === index + 1 ? [] : [`position ${index + 1} holds seq ${row.seq}`]));
