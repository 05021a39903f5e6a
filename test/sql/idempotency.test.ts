/** Idempotency keys (org, user, requestId): replays answer the original reply (docs/protocol.md §8). */
import type { PGlite } from '@electric-sql/pglite';
import { freshDb, sqlErrorOf } from '../helpers/pglite';
import { createStaff, deleteStaff, footprint, latestSeq, logOf, newOrg, newRequestId, seedStaff, updateStaff } from './support';

let db: PGlite;

beforeAll(async () => {
  db = await freshDb();
}, 60_000);

afterAll(async () => {
  await db?.close();
});

it('replays a committed create with the same seq and writes no second change', async () => {
  const org = newOrg();
  const requestId = newRequestId();
  const first = await createStaff(db, org, { name: 'Once', metadata: { a: 1, b: 2 } }, { requestId });
  // the same request, its JSON keys in another order
  const again = await createStaff(db, org, { metadata: { b: 2, a: 1 }, name: 'Once' }, { requestId });

  expect(again).toEqual({ ...first, replayed: true });
  expect(await logOf(db, org)).toHaveLength(1);
  expect(await latestSeq(db, org)).toBe(1);
});

it('replays updates (merged flag included), no-ops and deletes', async () => {
  const org = newOrg();
  const staff = await seedStaff(db, org);
  await updateStaff(db, org, staff.id, 1, { position: 'Lead' });

  const mergeId = newRequestId();
  const merged = await updateStaff(db, org, staff.id, 1, { phone: '1' }, { requestId: mergeId });
  expect(merged.merged).toBe(true);
  expect(await updateStaff(db, org, staff.id, 1, { phone: '1' }, { requestId: mergeId })).toEqual({ ...merged, replayed: true });

  const noopId = newRequestId();
  const noop = await updateStaff(db, org, staff.id, 3, { phone: '1' }, { requestId: noopId });
  expect(noop.change).toBeNull();
  expect(await updateStaff(db, org, staff.id, 3, { phone: '1' }, { requestId: noopId })).toEqual({ ...noop, replayed: true });

  const deleteId = newRequestId();
  const deleted = await deleteStaff(db, org, staff.id, 3, { requestId: deleteId });
  expect(await deleteStaff(db, org, staff.id, 3, { requestId: deleteId })).toEqual({ ...deleted, replayed: true });

  expect((await logOf(db, org)).map((row) => row.op)).toEqual(['create', 'update', 'update', 'delete']);
});

it('refuses a key reused for a different request with PT422 path requestId', async () => {
  const org = newOrg();
  const requestId = newRequestId();
  const staff = await seedStaff(db, org);
  await updateStaff(db, org, staff.id, 1, { phone: '1' }, { requestId });
  const before = await footprint(db);

  const refusals = [
    updateStaff(db, org, staff.id, 1, { phone: '2' }, { requestId }),
    updateStaff(db, org, staff.id, 2, { phone: '1' }, { requestId }),
    deleteStaff(db, org, staff.id, 2, { requestId }),
    createStaff(db, org, { name: 'Other' }, { requestId }),
  ];
  for (const refusal of refusals) {
    const error = await sqlErrorOf(refusal);
    expect(error.code).toBe('PT422');
    expect(error.details).toEqual([{ path: 'requestId', message: expect.any(String) }]);
  }
  expect(await footprint(db)).toEqual(before);
});

it('scopes keys by org and by user', async () => {
  const org = newOrg();
  const requestId = newRequestId();
  const a = await createStaff(db, org, { name: 'A' }, { requestId, actor: 'user-a' });
  const b = await createStaff(db, org, { name: 'A' }, { requestId, actor: 'user-b' });
  const c = await createStaff(db, newOrg(), { name: 'A' }, { requestId, actor: 'user-a' });
  expect(new Set([a.change!.staffId, b.change!.staffId, c.change!.staffId]).size).toBe(3);
  expect(b.replayed).toBeUndefined();
  expect(c.replayed).toBeUndefined();
});

it('records nothing for a refused write, so its retry is evaluated afresh', async () => {
  const org = newOrg();
  const staff = await seedStaff(db, org);
  const requestId = newRequestId();
  const before = await footprint(db);

  const refused = await sqlErrorOf(updateStaff(db, org, staff.id, 2, { phone: '9' }, { requestId }));
  expect(refused.code).toBe('PT422'); // baseVersion 2 is ahead of the record
  expect(await footprint(db)).toEqual(before);

  await updateStaff(db, org, staff.id, 1, { position: 'Lead' }); // now version 2 exists
  const retried = await updateStaff(db, org, staff.id, 2, { phone: '9' }, { requestId });
  expect(retried.replayed).toBeUndefined();
  expect(retried.change).toMatchObject({ version: 3, changedFields: ['phone'] });
});

it('refuses a malformed requestId as PT422 path requestId', async () => {
  for (const requestId of ['', 'has space', 'x'.repeat(65), 'ünï']) {
    const error = await sqlErrorOf(createStaff(db, newOrg(), { name: 'A' }, { requestId }));
    expect(error.code).toBe('PT422');
    expect(error.details).toEqual([{ path: 'requestId', message: expect.any(String) }]);
  }
});
