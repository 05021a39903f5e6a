/**
 * The local stage as its own process (test/helpers/stage-process.ts), its PGlite folder filled
 * from the migrated fixture first, so a suite can SIGKILL it and start it again on the same
 * data, or point it at a real Postgres with DATABASE_URL. Filling loads PGlite in the Jest
 * worker: run Jest with NODE_OPTIONS=--experimental-vm-modules (as `npm test` does).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Client as PgClient } from 'pg';
import { spawnStageProcess, type ReadyLine, type StageProcess, type StageProcessOptions } from '../../helpers/stage-process';
import { startTestSupabase } from '../../helpers/local-supabase';

export type { StageProcess };

/**
 * Fills a new PGlite data folder from the migrated fixture the integration tests share (a fresh
 * PGlite plus every migration costs several seconds per start; the stage then just reopens it).
 */
async function seedPglite(dataDir: string): Promise<void> {
  const pgdata = join(dataDir, 'pgdata');
  if (existsSync(join(pgdata, 'PG_VERSION'))) return;
  await (await startTestSupabase({ dataDir: pgdata })).close();
}

export async function startStageProcess(options: StageProcessOptions): Promise<StageProcess> {
  if (!options.env?.DATABASE_URL) await seedPglite(options.dataDir);
  return spawnStageProcess(options);
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
