/** staff_prune_log: keeps 7 days OR the last N per org (whichever keeps more), and 24 h of keys. */
import type { PGlite } from '@electric-sql/pglite';
import { callFn, freshDb } from '../helpers/pglite';
import { createStaff, logOf, newOrg, newRequestId, seedStaff, updateStaff } from './support';

let db: PGlite;

beforeAll(async () => {
  db = await freshDb();
}, 60_000);

afterAll(async () => {
  await db?.close();
});

const prune = (keepDays?: number, keepChanges?: number) =>
  callFn<{ deleted: number; idempotencyKeysDeleted: number }>(db, 'staff_prune_log', {
    ...(keepDays === undefined ? {} : { p_keep_days: keepDays }),
    ...(keepChanges === undefined ? {} : { p_keep_changes: keepChanges }),
  });

/** Makes log entries look old. The log refuses direct updates, so its triggers are bypassed here. */
async function age(sql: string, params: unknown[]): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.exec('set local session_replication_role = replica');
    await tx.query(sql, params);
  });
}

/** An org with `count` changes, the first `old` of them 8 days old. */
async function orgWithHistory(count: number, old: number): Promise<string> {
  const org = newOrg();
  const staff = await seedStaff(db, org);
  for (let version = 1; version < count; version += 1) {
    await updateStaff(db, org, staff.id, version, { displayOrder: version });
  }
  await age(`update public.staff_changes set at = now() - interval '8 days' where org_id = $1 and seq <= $2`, [org, old]);
  return org;
}

const pruned = async (org: string): Promise<number> =>
  Number((await db.query<{ p: number }>('select pruned_through_seq::int as p from public.staff_org_counters where org_id = $1', [org])).rows[0]!.p);

it('deletes entries both older than keepDays and outside the last keepChanges', async () => {
  const org = await orgWithHistory(20, 15);
  const { deleted } = await prune(7, 5);
  expect(deleted).toBe(15);
  expect((await logOf(db, org)).map((row) => row.seq)).toEqual([16, 17, 18, 19, 20]);
  expect(await pruned(org)).toBe(15);
  expect(await prune(7, 5)).toMatchObject({ deleted: 0 });
});

it('keeps the last keepChanges even when they are old', async () => {
  const org = await orgWithHistory(20, 15);
  await prune(7, 10);
  expect((await logOf(db, org)).map((row) => row.seq)[0]).toBe(11);
  expect(await pruned(org)).toBe(10);
});

it('keeps keepDays even beyond keepChanges', async () => {
  const org = await orgWithHistory(12, 0);
  await prune(7, 2);
  expect(await logOf(db, org)).toHaveLength(12);
});

it('keeps the retained log contiguous when an older seq carries a newer time', async () => {
  const org = await orgWithHistory(10, 0);
  await age(`update public.staff_changes set at = now() - interval '8 days' where org_id = $1 and seq in (1, 2, 4, 5)`, [org]);
  await prune(7, 0);
  expect((await logOf(db, org)).map((row) => row.seq)).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
  expect(await pruned(org)).toBe(2);
});

it('prunes nothing of a young org with the defaults', async () => {
  const org = await orgWithHistory(5, 0);
  await prune();
  expect(await logOf(db, org)).toHaveLength(5);
});

it('deletes idempotency keys older than 24 hours only', async () => {
  const org = newOrg();
  const [oldKey, youngKey] = [newRequestId(), newRequestId()];
  const first = await createStaff(db, org, { name: 'Old' }, { requestId: oldKey });
  await createStaff(db, org, { name: 'Young' }, { requestId: youngKey });
  await db.query(`update public.staff_idempotency_keys set created_at = now() - interval '25 hours' where request_id = $1`, [oldKey]);
  await db.query(`update public.staff_idempotency_keys set created_at = now() - interval '23 hours' where request_id = $1`, [youngKey]);

  const { idempotencyKeysDeleted } = await prune();

  expect(idempotencyKeysDeleted).toBe(1);
  const { rows } = await db.query<{ request_id: string }>('select request_id from public.staff_idempotency_keys where org_id = $1', [org]);
  expect(rows).toEqual([{ request_id: youngKey }]);
  // the forgotten key is evaluated afresh
  const again = await createStaff(db, org, { name: 'Old' }, { requestId: oldKey });
  expect(again.change!.staffId).not.toBe(first.change!.staffId);
});
