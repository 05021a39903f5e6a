/** The migrations themselves: roles, RLS, function settings and grants, re-application. */
import type { PGlite } from '@electric-sql/pglite';
import { applyMigrations, listMigrations } from '../../infra/local/db/migrate';
import { callFn, freshDb, scriptRunner, sqlErrorOf } from '../helpers/pglite';
import { newOrg, newRequestId } from './support';

let db: PGlite;

beforeAll(async () => {
  db = await freshDb();
}, 60_000);

afterAll(async () => {
  await db?.close();
});

const CONTRACT = [
  'staff_create(text,text,text,jsonb)',
  'staff_update(text,text,text,uuid,integer,jsonb)',
  'staff_delete(text,text,text,uuid,integer)',
  'staff_changes(text,bigint,integer,integer)',
  'staff_snapshot(text,bigint,uuid,integer,integer)',
  'staff_change_at(text,bigint)',
  'staff_latest_seq(text)',
  'staff_prune_log(integer,integer)',
  'staff_health()',
];

interface FunctionRow {
  signature: string;
  definer: boolean;
  config: string[] | null;
  anon: boolean;
  authenticated: boolean;
  public_exec: boolean;
  service_role: boolean;
}

async function publicFunctions(): Promise<FunctionRow[]> {
  const { rows } = await db.query<FunctionRow>(`
    select p.oid::regprocedure::text as signature, p.prosecdef as definer, p.proconfig as config,
           has_function_privilege('anon', p.oid, 'EXECUTE') as anon,
           has_function_privilege('authenticated', p.oid, 'EXECUTE') as authenticated,
           has_function_privilege('public', p.oid, 'EXECUTE') as public_exec,
           has_function_privilege('service_role', p.oid, 'EXECUTE') as service_role
      from pg_proc p
     where p.pronamespace = 'public'::regnamespace
     order by 1`);
  return rows;
}

it('defines the data contract’s functions with their exact signatures', async () => {
  const signatures = (await publicFunctions()).map((row) => row.signature.replace(/ /g, ''));
  for (const signature of CONTRACT) expect(signatures).toContain(signature);
});

it('lets neither anon nor authenticated (nor PUBLIC) execute any function in the schema', async () => {
  const functions = await publicFunctions();
  expect(functions.length).toBeGreaterThan(CONTRACT.length);
  for (const fn of functions) {
    expect({ fn: fn.signature, anon: fn.anon, authenticated: fn.authenticated, public: fn.public_exec }).toEqual({
      fn: fn.signature,
      anon: false,
      authenticated: false,
      public: false,
    });
    expect({ fn: fn.signature, service_role: fn.service_role }).toEqual({ fn: fn.signature, service_role: true });
  }
});

/** Pure row → wire conversions, left plain so Postgres can inline them into the sync queries. */
const INLINABLE = ['staff_iso_time(timestamp with time zone)', 'staff_to_wire(staff)', 'staff_changed_fields(staff,staff)', 'staff_change_to_wire(staff_changes)'];

it('keeps the wire conversions inlinable: plain SQL, no SECURITY DEFINER, no SET', async () => {
  const functions = (await publicFunctions()).filter((fn) => INLINABLE.includes(fn.signature));
  expect(functions.map((fn) => fn.signature).sort()).toEqual([...INLINABLE].sort());
  for (const fn of functions) expect({ fn: fn.signature, definer: fn.definer, config: fn.config ?? [] }).toEqual({ fn: fn.signature, definer: false, config: [] });
});

it('makes every other function SECURITY DEFINER with a fixed search_path and a lock_timeout', async () => {
  for (const fn of (await publicFunctions()).filter((candidate) => !INLINABLE.includes(candidate.signature))) {
    expect({ fn: fn.signature, definer: fn.definer }).toEqual({ fn: fn.signature, definer: true });
    const config = fn.config ?? [];
    expect({ fn: fn.signature, searchPath: config.some((c) => c.startsWith('search_path=')) }).toEqual({ fn: fn.signature, searchPath: true });
    const timeout = config.find((c) => c.startsWith('lock_timeout='));
    expect({ fn: fn.signature, timeout }).toEqual({ fn: fn.signature, timeout: 'lock_timeout=3s' });
  }
});

it('refuses anon and authenticated callers with 42501', async () => {
  for (const role of ['anon', 'authenticated']) {
    const error = await sqlErrorOf(callFn(db, 'staff_latest_seq', { p_org_id: 'x' }, role));
    expect(error.code).toBe('42501');
    const write = await sqlErrorOf(
      callFn(db, 'staff_create', { p_org_id: newOrg(), p_actor: 'u', p_request_id: newRequestId(), p_staff: { name: 'A' } }, role),
    );
    expect(write.code).toBe('42501');
  }
});

it('enables RLS on every table and gives the API roles no table privileges', async () => {
  const { rows } = await db.query<{ table: string; rls: boolean; anon: boolean; authenticated: boolean }>(`
    select c.relname as table, c.relrowsecurity as rls,
           has_table_privilege('anon', c.oid, 'SELECT,INSERT,UPDATE,DELETE') as anon,
           has_table_privilege('authenticated', c.oid, 'SELECT,INSERT,UPDATE,DELETE') as authenticated
      from pg_class c
     where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
     order by 1`);
  expect(rows.map((row) => row.table)).toEqual(
    expect.arrayContaining(['staff', 'staff_changes', 'staff_id_registry', 'staff_idempotency_keys', 'staff_org_counters']),
  );
  for (const row of rows) expect(row).toEqual({ table: row.table, rls: true, anon: false, authenticated: false });
});

it('creates the API roles, service_role bypassing RLS', async () => {
  const { rows } = await db.query<{ rolname: string; rolbypassrls: boolean }>(
    `select rolname, rolbypassrls from pg_roles where rolname in ('anon', 'authenticated', 'service_role') order by 1`,
  );
  expect(rows).toEqual([
    { rolname: 'anon', rolbypassrls: false },
    { rolname: 'authenticated', rolbypassrls: false },
    { rolname: 'service_role', rolbypassrls: true },
  ]);
});

it('applies nothing twice, and the roles step is harmless where the roles exist (Supabase)', async () => {
  expect(await applyMigrations(scriptRunner(db))).toEqual([]);
  await db.exec(listMigrations()[0]!.sql);
});

it('creates the pg_net webhook trigger only where pg_net and Vault exist', async () => {
  const { rows } = await db.query(`select tgname from pg_trigger where tgrelid = 'public.staff_changes'::regclass and not tgisinternal order by 1`);
  expect(rows).toEqual([{ tgname: 'staff_change_rows_follow_prune' }, { tgname: 'staff_changes_guard' }, { tgname: 'staff_changes_refuse_truncate' }]);
});
