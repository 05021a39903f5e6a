/**
 * An embedded Supabase for integration tests: PGlite in memory with the migrations applied,
 * the RPC endpoint on a free port, and (when asked) the Postgres socket on a free port.
 *
 * A fresh PGlite costs ~2–3 s (initdb; 10 s and more on a loaded 2-core box); the projects'
 * `globalSetup` dumps the migrated database once per run to a tarball in the OS temp folder
 * (keyed by the migrations and PGlite's version), and every start loads it (~0.5 s).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import ws from 'ws';
import { startLocalSupabase, type LocalSupabase, type LocalSupabaseOptions } from '../../infra/local/db';
import { listMigrations } from '../../infra/local/db/migrate';
import { SUPABASE_BOOTSTRAP_SQL } from '../../infra/local/db/supabase-bootstrap';

export const TEST_JWT_SECRET = 'integration-test-jwt-secret-at-least-32-chars';

export type TestSupabaseOptions = Partial<Omit<LocalSupabaseOptions, 'jwtSecret'>>;

function fixturePath(): string {
  const hash = createHash('sha256');
  hash.update(SUPABASE_BOOTSTRAP_SQL);
  hash.update(readFileSync(join(dirname(require.resolve('@electric-sql/pglite')), '..', 'package.json')));
  for (const migration of listMigrations()) hash.update(`${migration.name}\n${migration.sql}`);
  return join(tmpdir(), `staff-sync-pglite-${hash.digest('hex').slice(0, 16)}.tar`);
}

/**
 * The migrated database as a tarball, built when missing. The projects that start databases build
 * it once in their `globalSetup` (test/helpers/global-setup-pglite.ts), before any suite runs, so
 * no suite's `beforeAll` pays for initdb, the migrations and the dump on top of its own start.
 */
export async function pgliteFixture(): Promise<Blob> {
  const path = fixturePath();
  if (existsSync(path)) return new Blob([readFileSync(path)]);
  const fresh = await startLocalSupabase({ dataDir: 'memory://', dbPort: false, jwtSecret: TEST_JWT_SECRET });
  try {
    const dump = await fresh.dumpDataDir!();
    const temporary = `${path}.${process.pid}`;
    writeFileSync(temporary, Buffer.from(await dump.arrayBuffer()));
    renameSync(temporary, path);
    return dump;
  } finally {
    await fresh.close();
  }
}

/** PGlite in memory unless `dataDir` or `databaseUrl` is given (a new database starts from the migrated fixture); no socket unless `dbPort`. */
export async function startTestSupabase(options: TestSupabaseOptions = {}): Promise<LocalSupabase> {
  const dataDir = options.dataDir ?? 'memory://';
  const fresh = dataDir === 'memory://' || !existsSync(join(dataDir, 'PG_VERSION'));
  const loadDataDir = !options.databaseUrl && fresh && !options.loadDataDir ? await pgliteFixture() : options.loadDataDir;
  return startLocalSupabase({
    dataDir: 'memory://',
    port: 0,
    dbPort: false,
    ...options,
    ...(loadDataDir ? { loadDataDir } : {}),
    jwtSecret: TEST_JWT_SECRET,
  });
}

/** supabase-js as the staff store builds it (no session, `ws` transport). */
export function supabaseClient(url: string, key: string): SupabaseClient {
  return createClient(url, key, { auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: ws as never } });
}

/** True when the SQL data contract (supabase/migrations) defines the staff functions. */
export const hasStaffMigrations = (): boolean => listMigrations().some((migration) => /function\s+(public\.)?staff_create\b/i.test(migration.sql));
