/** staff_delete: only at the current version, logged with version last + 1, id never reused. */
import type { PGlite } from '@electric-sql/pglite';
import { randomUUID } from 'node:crypto';
import { callFn, freshDb, sqlErrorOf } from '../helpers/pglite';
import { createStaff, deleteStaff, footprint, logOf, newOrg, seedStaff, updateStaff } from './support';

let db: PGlite;

beforeAll(async () => {
  db = await freshDb();
}, 60_000);

afterAll(async () => {
  await db?.close();
});

it('deletes at the current version and logs version last + 1 with the last record', async () => {
  const org = newOrg();
  const staff = await seedStaff(db, org);
  const { change: updated } = await updateStaff(db, org, staff.id, 1, { position: 'Lead' });

  const { change } = await deleteStaff(db, org, staff.id, 2);

  expect(change).toMatchObject({ seq: 3, op: 'delete', staffId: staff.id, version: 3, changedFields: [], origin: 'ws' });
  expect(change!.staff).toEqual(updated!.staff);
  const { rows } = await db.query('select 1 from public.staff where id = $1', [staff.id]);
  expect(rows).toHaveLength(0);
  const tombstone = await db.query<{ deleted_seq: number }>('select deleted_seq::int from public.staff_id_registry where id = $1', [staff.id]);
  expect(tombstone.rows).toEqual([{ deleted_seq: 3 }]);
});

it('refuses a stale delete with PT409 and the current record, deleting nothing', async () => {
  const org = newOrg();
  const staff = await seedStaff(db, org);
  const { change } = await updateStaff(db, org, staff.id, 1, { phone: '1' });
  const before = await footprint(db);

  const error = await sqlErrorOf(deleteStaff(db, org, staff.id, 1));

  expect(error.code).toBe('PT409');
  expect(error.details).toEqual({ current: change!.staff });
  expect(await footprint(db)).toEqual(before);
});

it('refuses a baseVersion below 1 or ahead of the record as PT422 payload.baseVersion', async () => {
  const org = newOrg();
  const staff = await seedStaff(db, org);
  for (const baseVersion of [0, 2]) {
    const error = await sqlErrorOf(deleteStaff(db, org, staff.id, baseVersion));
    expect(error.code).toBe('PT422');
    expect(error.details).toEqual([{ path: 'payload.baseVersion', message: expect.any(String) }]);
  }
});

it('answers PT404 for a deleted id, another org’s id and an unknown id alike', async () => {
  const org = newOrg();
  const staff = await seedStaff(db, org);
  await deleteStaff(db, org, staff.id, 1);
  const foreign = await seedStaff(db, newOrg());

  for (const id of [staff.id, foreign.id, randomUUID()]) {
    const error = await sqlErrorOf(deleteStaff(db, org, id, 1));
    expect({ code: error.code, message: error.sqlMessage, detail: error.detail }).toEqual({
      code: 'PT404',
      message: 'staff not found',
      detail: undefined,
    });
  }
  expect(await callFn(db, 'staff_snapshot', { p_org_id: org })).toMatchObject({ staff: [] });
});

it('leaves the deleted id un-creatable and the log complete', async () => {
  const org = newOrg();
  const staff = await seedStaff(db, org);
  await deleteStaff(db, org, staff.id, 1);
  const error = await sqlErrorOf(createStaff(db, org, { id: staff.id, name: 'Back' }));
  expect(error.code).toBe('PT422');
  expect((await logOf(db, org)).map((row) => [row.seq, row.op, row.version])).toEqual([
    [1, 'create', 1],
    [2, 'delete', 2],
  ]);
});
