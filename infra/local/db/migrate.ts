/**
 * Applies `supabase/migrations/*.sql` in file-name order to PGlite or a real Postgres,
 * recording each applied file so a restart on the same data applies only new ones.
 * The Supabase CLI keeps its own record on hosted projects; this one is for the local stage and tests.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const MIGRATIONS_DIR = join(__dirname, '..', '..', '..', 'supabase', 'migrations');

/** Runs a multi-statement SQL script (PGlite `exec`, or `pg` simple query) and returns rows of a single query. */
export interface ScriptRunner {
  exec(sql: string): Promise<unknown>;
  query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
}

export interface MigrationFile {
  readonly name: string;
  readonly sql: string;
}

/** An absent folder (a fresh clone before the first migration) holds no migrations. */
export const listMigrations = (dir = MIGRATIONS_DIR): MigrationFile[] =>
  (existsSync(dir) ? readdirSync(dir) : [])
    .filter((name) => name.endsWith('.sql'))
    .sort()
    .map((name) => ({ name, sql: readFileSync(join(dir, name), 'utf8') }));

/** Returns the names of the migrations applied by this call. */
export async function applyMigrations(db: ScriptRunner, dir = MIGRATIONS_DIR): Promise<string[]> {
  await db.exec(
    `create table if not exists public.local_stage_migrations (
       name text primary key,
       applied_at timestamptz not null default now()
     );
     alter table public.local_stage_migrations enable row level security;`,
  );
  const { rows } = await db.query<{ name: string }>('select name from public.local_stage_migrations');
  const applied = new Set(rows.map((row) => row.name));
  const done: string[] = [];
  for (const migration of listMigrations(dir)) {
    if (applied.has(migration.name)) continue;
    await db.exec(`begin;\n${migration.sql}\n;insert into public.local_stage_migrations (name) values ('${migration.name.replace(/'/g, "''")}');\ncommit;`);
    done.push(migration.name);
  }
  return done;
}
