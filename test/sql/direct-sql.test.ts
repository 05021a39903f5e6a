/**
 * Writes made straight in the database (psql, the dashboard, another service): the triggers own
 * versions and log them with origin 'db'; TRUNCATE and direct writes to the log are refused.
 */
import type { PGlite } from '@electric-sql/pglite';
import { randomUUID } from 'node:crypto';
import { callFn, freshDb, SqlError, sqlErrorOf } from '../helpers/pglite';
import { latestSeq, logOf, newOrg, seedStaff, updateStaff } from './support';

let db: PGlite;

beforeAll(async () => {
  db = await freshDb();
}, 60_000);

afterAll(async () => {
  await db?.close();
});

/** One statement as the database owner, failures as SqlError. */
async function sql(text: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  try {
    return (await db.query<Record<string, unknown>>(text, params)).rows;
  } catch (error) {
    throw SqlError.from(error);
  }
}

it('logs a direct insert as origin db, actor db, version 1, whatever version the writer sent', async () => {
  const org = newOrg();
  const [row] = await sql(
    `insert into public.staff (org_id, name, version, updated_by, created_at) values ($1, 'Direct', 42, 'liar', '2000-01-01')
     returning version, updated_by, created_at > now() - interval '1 minute' as fresh`,
    [org],
  );
  expect(row).toEqual({ version: 1, updated_by: 'db', fresh: true });
  const [entry] = await logOf(db, org);
  expect(entry).toMatchObject({ seq: 1, op: 'create', version: 1, actor: 'db', origin: 'db', request_id: null });
  expect(entry!.staff).toMatchObject({ orgId: org, name: 'Direct', version: 1, updatedBy: 'db' });
});

it('logs a direct update with the version bumped and the changed fields', async () => {
  const org = newOrg();
  const staff = await seedStaff(db, org);
  await sql(`update public.staff set position = 'Chief', version = 1, updated_by = 'x' where id = $1`, [staff.id]);

  const [, entry] = await logOf(db, org);
  expect(entry).toMatchObject({ seq: 2, op: 'update', version: 2, actor: 'db', origin: 'db', changed_fields: ['position'] });
  expect(entry!.staff).toMatchObject({ position: 'Chief', version: 2, updatedBy: 'db' });
  // the next RPC write continues from the direct one
  const { change } = await updateStaff(db, org, staff.id, 2, { phone: '1' });
  expect(change).toMatchObject({ seq: 3, version: 3, origin: 'ws' });
});

it('skips a direct update that changes no data field: no version, no log entry', async () => {
  const org = newOrg();
  const staff = await seedStaff(db, org);
  const rows = await sql(
    `update public.staff set name = name, metadata = $2::jsonb, version = 9, updated_at = now() - interval '1 day'
      where id = $1 returning id`,
    [staff.id, JSON.stringify(staff.metadata)],
  );
  expect(rows).toHaveLength(0);
  expect(await logOf(db, org)).toHaveLength(1);
  const [current] = await sql('select version from public.staff where id = $1', [staff.id]);
  expect(current).toEqual({ version: 1 });
});

it('gives each row of a multi-row, multi-org statement the next seq of its own org', async () => {
  const [a, b] = [newOrg(), newOrg()];
  for (const org of [a, b, a, b, a]) await seedStaff(db, org);
  await sql(`update public.staff set status = 'inactive' where org_id in ($1, $2)`, [a, b]);
  expect((await logOf(db, a)).map((row) => row.seq)).toEqual([1, 2, 3, 4, 5, 6]);
  expect((await logOf(db, b)).map((row) => row.seq)).toEqual([1, 2, 3, 4]);
  expect(await latestSeq(db, a)).toBe(6);
});

it('logs a direct delete with version last + 1 and tombstones the id', async () => {
  const org = newOrg();
  const staff = await seedStaff(db, org);
  await sql('delete from public.staff where id = $1', [staff.id]);
  const [, entry] = await logOf(db, org);
  expect(entry).toMatchObject({ op: 'delete', version: 2, origin: 'db', actor: 'db', changed_fields: [] });
  expect(entry!.staff).toEqual(staff);

  const error = await sqlErrorOf(sql(`insert into public.staff (id, org_id, name) values ($1, $2, 'Again')`, [staff.id, org]));
  expect(error.code).toBe('23505');
});

it('takes actor and request id from transaction-local settings', async () => {
  const org = newOrg();
  await db.transaction(async (tx) => {
    await tx.query(`select set_config('staff_sync.actor', 'ops-script', true), set_config('staff_sync.request_id', 'batch-7', true)`);
    await tx.query(`insert into public.staff (org_id, name) values ($1, 'Scripted')`, [org]);
  });
  const [entry] = await logOf(db, org);
  expect(entry).toMatchObject({ actor: 'ops-script', origin: 'db', request_id: 'batch-7' });
  expect(entry!.staff.updatedBy).toBe('ops-script');
  // the settings die with the transaction
  await sql(`insert into public.staff (org_id, name) values ($1, 'Later')`, [org]);
  expect((await logOf(db, org))[1]).toMatchObject({ actor: 'db', request_id: null });
});

it('refuses to change a record’s id or org', async () => {
  const org = newOrg();
  const staff = await seedStaff(db, org);
  for (const [column, value] of [['id', randomUUID()], ['org_id', newOrg()]] as const) {
    const error = await sqlErrorOf(sql(`update public.staff set ${column} = $2 where id = $1`, [staff.id, value]));
    expect(error.code).toBe('0A000');
  }
});

it('backs every rule with a constraint', async () => {
  const org = newOrg();
  const bad: Array<[string, string]> = [
    ['name', "'   '"],
    ['email', "'nope'"],
    ['phone', `'${'1'.repeat(41)}'`],
    ['position', `'${'p'.repeat(101)}'`],
    ['department', `'${'d'.repeat(101)}'`],
    ['employment_type', "'intern'"],
    ['status', "'gone'"],
    ['metadata', "'[]'::jsonb"],
    ['metadata', `jsonb_build_object('blob', repeat('x', 8200))`],
  ];
  for (const [column, value] of bad) {
    const columns = column === 'name' ? 'org_id, name' : `org_id, name, ${column}`;
    const values = column === 'name' ? `$1, ${value}` : `$1, 'Ok', ${value}`;
    const error = await sqlErrorOf(sql(`insert into public.staff (${columns}) values (${values})`, [org]));
    expect([column, error.code]).toEqual([column, '23514']);
  }
  const dates = await sqlErrorOf(
    sql(`insert into public.staff (org_id, name, start_date, end_date) values ($1, 'Ok', '2024-02-01', '2024-01-01')`, [org]),
  );
  expect(dates.code).toBe('23514');
  expect(await logOf(db, org)).toHaveLength(0);
});

it('maps a constraint violation of a function’s write to PT422/PT413 with the field’s path', async () => {
  const mapped = async (state: string, constraint: string | null, column: string | null) => {
    const error = await sqlErrorOf(
      sql('select public.staff_raise_constraint($1, $2, $3, $4, $5)', [state, constraint, column, 'violates a rule', 'payload.changes']),
    );
    return { code: error.code, details: error.details };
  };
  expect(await mapped('23514', 'staff_employment_type_check', null)).toEqual({
    code: 'PT422',
    details: [{ path: 'payload.changes.employmentType', message: 'violates a rule' }],
  });
  expect(await mapped('23514', 'staff_end_date_after_start_check', null)).toMatchObject({ details: [{ path: 'payload.changes.endDate' }] });
  expect(await mapped('23502', null, 'name')).toMatchObject({ code: 'PT422', details: [{ path: 'payload.changes.name' }] });
  expect(await mapped('23514', 'staff_metadata_size_check', null)).toMatchObject({ code: 'PT413', details: [{ path: 'payload.changes.metadata' }] });
  expect(await mapped('23505', 'staff_id_registry_pkey', null)).toEqual({
    code: 'PT422',
    details: [{ path: 'payload.changes.id', message: 'id already in use' }],
  });
});

describe('the log and its bookkeeping', () => {
  it('refuses TRUNCATE of staff and of the log', async () => {
    for (const table of ['staff', 'staff_changes', 'staff_org_counters', 'staff_id_registry']) {
      const error = await sqlErrorOf(sql(`truncate public.${table}`));
      expect([table, error.code]).toEqual([table, '42501']);
    }
  });

  it('refuses direct inserts, updates and deletes on the log', async () => {
    const org = newOrg();
    const staff = await seedStaff(db, org);
    const statements = [
      `insert into public.staff_changes (org_id, seq, op, staff_id, version, staff, actor, origin)
         values ('${org}', 2, 'update', '${staff.id}', 2, '{}', 'me', 'ws')`,
      `update public.staff_changes set actor = 'me' where org_id = '${org}'`,
      `delete from public.staff_changes where org_id = '${org}'`,
      `update public.staff_org_counters set last_seq = 100 where org_id = '${org}'`,
      `delete from public.staff_id_registry where id = '${staff.id}'`,
    ];
    for (const statement of statements) {
      const error = await sqlErrorOf(sql(statement));
      expect(error.code).toBe('42501');
    }
    expect(await logOf(db, org)).toHaveLength(1);
    expect(await latestSeq(db, org)).toBe(1);
  });

  it('reports a write that collides with a forged log row as a database fault, not as "id already in use"', async () => {
    const org = newOrg();
    const staff = await seedStaff(db, org);
    // Only someone who can run SQL as the owner can forge a row (the guard stops accidents, not superusers).
    await db.transaction(async (tx) => {
      await tx.query(`select set_config('staff_sync.internal', 'prune', true)`);
      await tx.query(
        `insert into public.staff_changes (org_id, seq, op, staff_id, version, staff, actor, origin) values ($1, 2, 'update', $2, 9, '{}', 'x', 'db')`,
        [org, staff.id],
      );
    });

    const error = await sqlErrorOf(callFn(db, 'staff_create', { p_org_id: org, p_actor: 'u', p_request_id: 'r-forged', p_staff: { name: 'Next' } }));

    expect(error.code).toBe('XX000');
  });
});

it('lists origin-db changes as Supabase webhook bodies for the local relay', async () => {
  const org = newOrg();
  await seedStaff(db, org); // origin ws: not listed
  const [{ id: start }] = (await sql('select coalesce(max(id), 0)::int as id from public.staff_changes')) as [{ id: number }];
  await sql(`insert into public.staff (org_id, name) values ($1, 'From psql')`, [org]);

  const events = await callFn<Array<Record<string, unknown>>>(db, 'staff_webhook_events', { p_after_id: start });
  expect(events).toHaveLength(1);
  expect(events[0]).toEqual({
    type: 'INSERT',
    table: 'staff_changes',
    schema: 'public',
    old_record: null,
    record: expect.objectContaining({ org_id: org, seq: 2, op: 'create', origin: 'db', actor: 'db', id: start + 1 }),
  });
});
