/** STAFF_BATCH (docs/protocol.md §6.1): one transaction, results in order, nothing written on a failure. */
import type { PGlite } from '@electric-sql/pglite';
import { randomUUID } from 'node:crypto';
import { freshDb, sqlErrorOf } from '../helpers/pglite';
import { batchStaff, footprint, latestSeq, logOf, newOrg, newRequestId, seedStaff } from './support';

let db: PGlite;

beforeAll(async () => {
  db = await freshDb();
}, 60_000);

afterAll(async () => {
  await db?.close();
});

it('applies creates, updates and deletes in order, one change each, in one seq run', async () => {
  const org = newOrg();
  const existing = await seedStaff(db, org, { name: 'Old' });
  const id = randomUUID();
  const { results } = await batchStaff(db, org, [
    { op: 'create', staff: { id, name: 'New' } },
    { op: 'update', staffId: id, baseVersion: 1, changes: { position: 'Lead' } },
    { op: 'delete', staffId: existing.id, baseVersion: 1 },
  ]);

  expect(results.map((r) => [r.change?.op, r.change?.seq, r.change?.version])).toEqual([
    ['create', 2, 1],
    ['update', 3, 2],
    ['delete', 4, 2],
  ]);
  expect(results[1]!.change!.staff).toMatchObject({ id, name: 'New', position: 'Lead' });
  const log = await logOf(db, org);
  expect(log.map((row) => row.request_id)).toEqual([expect.any(String), ...Array(3).fill(log[1]!.request_id)]);
  expect(new Set(results.map((r) => r.change!.at)).size).toBe(1);
});

it('answers a no-op update with change null and current, as a single update does', async () => {
  const org = newOrg();
  const staff = await seedStaff(db, org, { position: 'Lead' });
  const { results } = await batchStaff(db, org, [{ op: 'update', staffId: staff.id, baseVersion: 1, changes: { position: 'Lead' } }]);
  expect(results).toEqual([{ change: null, current: staff }]);
  expect(await latestSeq(db, org)).toBe(1);
});

it('replays the whole batch for the same requestId and refuses the key for another batch', async () => {
  const org = newOrg();
  const requestId = newRequestId();
  const operations = [{ op: 'create', staff: { name: 'A' } }, { op: 'create', staff: { name: 'B' } }];
  const first = await batchStaff(db, org, operations, { requestId });
  expect(await batchStaff(db, org, operations, { requestId })).toEqual({ ...first, replayed: true });
  expect(await logOf(db, org)).toHaveLength(2);

  const error = await sqlErrorOf(batchStaff(db, org, [{ op: 'create', staff: { name: 'C' } }], { requestId }));
  expect({ code: error.code, details: error.details }).toEqual({
    code: 'PT422',
    details: [{ path: 'requestId', message: 'requestId was already used for a different request' }],
  });
});

describe('writes nothing and names the first failing operation', () => {
  const cases: Array<[string, (staffId: string) => unknown, string, string]> = [
    ['a bad field of a later create', () => [{ op: 'create', staff: { name: 'A' } }, { op: 'create', staff: { name: '' } }], 'PT422', 'payload.operations.1.staff.name'],
    ['an unknown op', () => [{ op: 'create', staff: { name: 'A' } }, { op: 'upsert' }], 'PT422', 'payload.operations.1.op'],
    ['an unknown field of an operation', () => [{ op: 'delete', staffId: randomUUID(), baseVersion: 1, staff: {} }], 'PT422', 'payload.operations.0.staff'],
    ['an operation that is not an object', () => [{ op: 'create', staff: { name: 'A' } }, 7], 'PT422', 'payload.operations.1'],
    ['a staffId that is not a UUID', () => [{ op: 'delete', staffId: 'x', baseVersion: 1 }], 'PT422', 'payload.operations.0.staffId'],
    ['a baseVersion that is not an integer', (id) => [{ op: 'update', staffId: id, baseVersion: 1.5, changes: { name: 'B' } }], 'PT422', 'payload.operations.0.baseVersion'],
    ['a version conflict after an earlier update of the same record', (id) => [
      { op: 'update', staffId: id, baseVersion: 1, changes: { name: 'B' } },
      { op: 'update', staffId: id, baseVersion: 1, changes: { name: 'C' } },
    ], 'PT409', ''],
    ['a record another operation deleted', (id) => [{ op: 'delete', staffId: id, baseVersion: 1 }, { op: 'delete', staffId: id, baseVersion: 2 }], 'PT404', ''],
    ['metadata over 8 KB', () => [{ op: 'create', staff: { name: 'A', metadata: { b: 'x'.repeat(9000) } } }], 'PT413', 'payload.operations.0.staff.metadata'],
    ['an empty batch', () => [], 'PT422', 'payload.operations'],
    ['more than 500 operations', () => Array.from({ length: 501 }, () => ({ op: 'create', staff: { name: 'A' } })), 'PT422', 'payload.operations'],
    ['operations that are not an array', () => ({ op: 'create' }), 'PT422', 'payload.operations'],
  ];
  it.each(cases)('%s', async (_label, operations, code, path) => {
    const org = newOrg();
    const staff = await seedStaff(db, org);
    const before = await footprint(db);
    const error = await sqlErrorOf(batchStaff(db, org, operations(staff.id)));
    expect(error.code).toBe(code);
    if (path) expect(error.details).toEqual([expect.objectContaining({ path })]);
    expect(await footprint(db)).toEqual(before);
  });
});

it("cannot reach another org's records: NOT_FOUND and nothing written", async () => {
  const [mine, theirs] = [newOrg(), newOrg()];
  const foreign = await seedStaff(db, theirs, { name: 'Theirs' });
  const before = await footprint(db);
  for (const operation of [
    { op: 'update', staffId: foreign.id, baseVersion: 1, changes: { name: 'Taken' } },
    { op: 'delete', staffId: foreign.id, baseVersion: 1 },
  ]) {
    const error = await sqlErrorOf(batchStaff(db, mine, [{ op: 'create', staff: { name: 'Mine' } }, operation]));
    expect(error.code).toBe('PT404');
  }
  const taken = await sqlErrorOf(batchStaff(db, mine, [{ op: 'create', staff: { id: foreign.id, name: 'Same id' } }]));
  expect({ code: taken.code, details: taken.details }).toEqual({ code: 'PT422', details: [{ path: 'payload.operations.0.staff.id', message: 'id already in use' }] });
  expect(await footprint(db)).toEqual(before);
});
