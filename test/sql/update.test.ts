/** staff_update: versions, no-ops, field-level merges and conflicts (docs/protocol.md §6). */
import type { PGlite } from '@electric-sql/pglite';
import { randomUUID } from 'node:crypto';
import { callFn, freshDb, sqlErrorOf } from '../helpers/pglite';
import { deleteStaff, footprint, latestSeq, logOf, newOrg, seedStaff, updateStaff } from './support';

let db: PGlite;

beforeAll(async () => {
  db = await freshDb();
}, 60_000);

afterAll(async () => {
  await db?.close();
});

it('applies changes at the current version and bumps version and seq', async () => {
  const org = newOrg();
  const staff = await seedStaff(db, org);
  const { change, merged } = await updateStaff(db, org, staff.id, 1, { position: 'Engineer', displayOrder: 4 });

  expect(merged).toBeUndefined();
  expect(change).toMatchObject({ seq: 2, op: 'update', version: 2, staffId: staff.id, origin: 'ws' });
  expect(change!.changedFields.sort()).toEqual(['displayOrder', 'position']);
  expect(change!.staff).toMatchObject({ ...staff, position: 'Engineer', displayOrder: 4, version: 2, updatedAt: expect.any(String) });
  expect(change!.staff.createdAt).toBe(staff.createdAt);
});

it('treats an update whose fields all equal the current values as a no-op', async () => {
  const org = newOrg();
  const staff = await seedStaff(db, org, { metadata: { a: 1, b: [1, 2] }, startDate: '2024-01-01' });
  const seq = await latestSeq(db, org);

  const reply = await updateStaff(db, org, staff.id, 1, {
    name: staff.name,
    metadata: { b: [1, 2], a: 1 },
    startDate: '2024-01-01',
    email: null,
    id: staff.id,
  });

  expect(reply).toEqual({ change: null, current: staff });
  expect(await latestSeq(db, org)).toBe(seq);
  expect(await logOf(db, org)).toHaveLength(1);
});

it('drops equal fields and applies the rest', async () => {
  const org = newOrg();
  const staff = await seedStaff(db, org);
  const { change } = await updateStaff(db, org, staff.id, 1, { name: staff.name, phone: '123' });
  expect(change!.changedFields).toEqual(['phone']);
});

describe('an older baseVersion', () => {
  it('merges when no field it changes was changed since, and says merged', async () => {
    const org = newOrg();
    const staff = await seedStaff(db, org);
    await updateStaff(db, org, staff.id, 1, { position: 'Lead' });
    await updateStaff(db, org, staff.id, 2, { department: 'R&D' });

    const { change, merged } = await updateStaff(db, org, staff.id, 1, { phone: '555' });

    expect(merged).toBe(true);
    expect(change).toMatchObject({ version: 4, changedFields: ['phone'] });
    expect(change!.staff).toMatchObject({ position: 'Lead', department: 'R&D', phone: '555' });
  });

  it('refuses with PT409 and the current record when a field it changes was changed since', async () => {
    const org = newOrg();
    const staff = await seedStaff(db, org);
    const { change } = await updateStaff(db, org, staff.id, 1, { position: 'Lead' });
    const before = await footprint(db);

    const error = await sqlErrorOf(updateStaff(db, org, staff.id, 1, { position: 'Boss', phone: '1' }));

    expect(error.code).toBe('PT409');
    expect(error.details).toEqual({ current: change!.staff });
    expect(await footprint(db)).toEqual(before);
  });

  it('refuses with PT409 when the versions after baseVersion are no longer in the retained log', async () => {
    const org = newOrg();
    const staff = await seedStaff(db, org);
    await updateStaff(db, org, staff.id, 1, { position: 'Lead' });
    await updateStaff(db, org, staff.id, 2, { position: 'Head' });
    await callFn(db, 'staff_prune_log', { p_keep_days: 0, p_keep_changes: 1 });

    const error = await sqlErrorOf(updateStaff(db, org, staff.id, 1, { phone: '1' }));
    expect(error.code).toBe('PT409');
    expect(error.details).toMatchObject({ current: { version: 3 } });
  });
});

describe('the cross-field rule on the merged record', () => {
  it('is a conflict when the other date changed after baseVersion', async () => {
    const org = newOrg();
    const staff = await seedStaff(db, org, { startDate: '2024-01-01' });
    await updateStaff(db, org, staff.id, 1, { startDate: '2024-06-01' });

    const error = await sqlErrorOf(updateStaff(db, org, staff.id, 1, { endDate: '2024-03-01' }));
    expect(error.code).toBe('PT409');
    expect(error.details).toMatchObject({ current: { startDate: '2024-06-01', version: 2 } });
  });

  it('is a validation failure when the other date did not change after baseVersion', async () => {
    const org = newOrg();
    const staff = await seedStaff(db, org, { startDate: '2024-06-01' });
    await updateStaff(db, org, staff.id, 1, { position: 'Lead' });

    const merged = await sqlErrorOf(updateStaff(db, org, staff.id, 1, { endDate: '2024-03-01' }));
    expect(merged.code).toBe('PT422');
    expect(merged.details).toEqual([{ path: 'payload.changes.endDate', message: expect.any(String) }]);

    const current = await sqlErrorOf(updateStaff(db, org, staff.id, 2, { endDate: '2024-03-01' }));
    expect(current.code).toBe('PT422');

    const start = await sqlErrorOf(updateStaff(db, org, staff.id, 2, { startDate: '2025-01-01', endDate: '2024-12-31' }));
    expect(start.details).toEqual([{ path: 'payload.changes.endDate', message: expect.any(String) }]);
  });

  it('names startDate when only startDate moved past endDate', async () => {
    const org = newOrg();
    const staff = await seedStaff(db, org, { endDate: '2024-06-01' });
    const error = await sqlErrorOf(updateStaff(db, org, staff.id, 1, { startDate: '2024-07-01' }));
    expect(error.code).toBe('PT422');
    expect(error.details).toEqual([{ path: 'payload.changes.startDate', message: expect.any(String) }]);
  });

  it('applies a merge whose dates stay in order', async () => {
    const org = newOrg();
    const staff = await seedStaff(db, org, { startDate: '2024-01-01' });
    await updateStaff(db, org, staff.id, 1, { startDate: '2024-02-01' });
    const { merged, change } = await updateStaff(db, org, staff.id, 1, { endDate: '2024-12-31' });
    expect(merged).toBe(true);
    expect(change!.staff).toMatchObject({ startDate: '2024-02-01', endDate: '2024-12-31' });
  });
});

describe('baseVersion', () => {
  it.each([0, -1, null])('refuses %p as PT422 payload.baseVersion', async (baseVersion) => {
    const org = newOrg();
    const staff = await seedStaff(db, org);
    const error = await sqlErrorOf(updateStaff(db, org, staff.id, baseVersion, { phone: '1' }));
    expect(error.code).toBe('PT422');
    expect(error.details).toEqual([{ path: 'payload.baseVersion', message: expect.any(String) }]);
  });

  it('refuses a baseVersion ahead of the record as PT422 payload.baseVersion', async () => {
    const org = newOrg();
    const staff = await seedStaff(db, org);
    const error = await sqlErrorOf(updateStaff(db, org, staff.id, 2, { phone: '1' }));
    expect(error.code).toBe('PT422');
    expect(error.details).toEqual([{ path: 'payload.baseVersion', message: 'is ahead of the record' }]);
  });
});

it('answers an unknown id, another org’s id and a deleted id identically with PT404', async () => {
  const org = newOrg();
  const other = await seedStaff(db, newOrg());
  const gone = await seedStaff(db, org);
  await deleteStaff(db, org, gone.id, 1);
  const before = await footprint(db);

  const answers = [];
  for (const id of [randomUUID(), other.id, gone.id]) {
    const error = await sqlErrorOf(updateStaff(db, org, id, 1, { phone: '1' }));
    answers.push({ code: error.code, message: error.sqlMessage, detail: error.detail });
  }
  expect(answers[0]).toEqual({ code: 'PT404', message: 'staff not found', detail: undefined });
  expect(answers[1]).toEqual(answers[0]);
  expect(answers[2]).toEqual(answers[0]);
  expect(await footprint(db)).toEqual(before);
});

describe('changes', () => {
  const cases: Array<[string, unknown, string]> = [
    ['no field at all', {}, 'payload.changes'],
    ['an array', [{ phone: '1' }], 'payload.changes'],
    ['null', null, 'payload.changes'],
    ['a name that is not a string', { name: 1 }, 'payload.changes.name'],
    ['a null name', { name: null }, 'payload.changes.name'],
    ['a null status', { status: null }, 'payload.changes.status'],
    ['a null displayOrder', { displayOrder: null }, 'payload.changes.displayOrder'],
    ['metadata that is a string', { metadata: '{}' }, 'payload.changes.metadata'],
    ['an e-mail that is a number', { email: 5 }, 'payload.changes.email'],
    ['a boolean phone', { phone: true }, 'payload.changes.phone'],
    ['a numeric date', { startDate: 20240101 }, 'payload.changes.startDate'],
    ['an unknown field', { shoeSize: 44 }, 'payload.changes.shoeSize'],
    ['a server-owned field', { version: 9 }, 'payload.changes.version'],
    ['another id', { id: randomUUID() }, 'payload.changes.id'],
  ];

  it.each(cases)('refuses %s as PT422 with the field path, writing nothing', async (_what, changes, path) => {
    const org = newOrg();
    const staff = await seedStaff(db, org);
    const before = await footprint(db);
    const error = await sqlErrorOf(updateStaff(db, org, staff.id, 1, changes));
    expect(error.code).toBe('PT422');
    expect(error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
    expect(await footprint(db)).toEqual(before);
  });

  it('refuses metadata over 8 KB as PT413', async () => {
    const org = newOrg();
    const staff = await seedStaff(db, org);
    const error = await sqlErrorOf(updateStaff(db, org, staff.id, 1, { metadata: { blob: 'x'.repeat(8200) } }));
    expect(error.code).toBe('PT413');
    expect(error.details).toEqual([{ path: 'payload.changes.metadata', message: expect.any(String) }]);
  });

  it('replaces metadata whole, never deep-merging it', async () => {
    const org = newOrg();
    const staff = await seedStaff(db, org, { metadata: { a: 1, nested: { x: 1 } } });
    const { change } = await updateStaff(db, org, staff.id, 1, { metadata: { nested: { y: 2 } } });
    expect(change!.staff.metadata).toEqual({ nested: { y: 2 } });
  });

  it('sets nullable fields to null', async () => {
    const org = newOrg();
    const staff = await seedStaff(db, org, { email: 'a@b.co', startDate: '2024-01-01' });
    const { change } = await updateStaff(db, org, staff.id, 1, { email: null, startDate: null });
    expect(change!.staff).toMatchObject({ email: null, startDate: null });
    expect(change!.changedFields.sort()).toEqual(['email', 'startDate']);
  });
});
