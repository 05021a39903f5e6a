/** staff_create: defaults, wire form, client-chosen ids, and every input rule (docs/protocol.md §5). */
import type { PGlite } from '@electric-sql/pglite';
import { randomUUID } from 'node:crypto';
import { freshDb, sqlErrorOf } from '../helpers/pglite';
import { ACTOR, createStaff, deleteStaff, footprint, logOf, newOrg, seedStaff } from './support';

let db: PGlite;

beforeAll(async () => {
  db = await freshDb();
}, 60_000);

afterAll(async () => {
  await db?.close();
});

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

it('creates a record with defaults and answers its change in wire form', async () => {
  const org = newOrg();
  const { change, merged, current } = await createStaff(db, org, { name: 'Ada Lovelace', email: 'ada@example.com' });

  expect(merged).toBeUndefined();
  expect(current).toBeUndefined();
  expect(change).toMatchObject({
    seq: 1,
    op: 'create',
    version: 1,
    actor: ACTOR,
    origin: 'ws',
    staff: {
      orgId: org,
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      phone: null,
      position: null,
      department: null,
      employmentType: 'full_time',
      status: 'active',
      startDate: null,
      endDate: null,
      displayOrder: 0,
      metadata: {},
      version: 1,
      updatedBy: ACTOR,
    },
  });
  expect(change!.staffId).toBe(change!.staff.id);
  expect(change!.staff.createdAt).toMatch(ISO);
  expect(change!.staff.updatedAt).toBe(change!.staff.createdAt);
  expect(change!.at).toMatch(ISO);
  expect(change!.changedFields).toEqual(expect.arrayContaining(['name', 'email', 'metadata', 'displayOrder']));
});

it('stores every field as sent and converts dates and times to wire form', async () => {
  const org = newOrg();
  const staff = {
    name: 'Grace Hopper',
    email: 'grace@navy.mil',
    phone: '+1 555 0100',
    position: 'Rear Admiral',
    department: 'Computing',
    employmentType: 'contract',
    status: 'inactive',
    startDate: '1943-12-01',
    endDate: '1986-08-14',
    displayOrder: -3,
    metadata: { tags: ['cobol', 'compilers'], nested: { level: 2, ok: true, none: null } },
  };
  const { change } = await createStaff(db, org, staff);
  expect(change!.staff).toMatchObject(staff);
});

it('accepts a client-chosen id', async () => {
  const id = randomUUID();
  const { change } = await createStaff(db, newOrg(), { id, name: 'Chosen' });
  expect(change!.staffId).toBe(id);
});

it('refuses an id in use in the same org, in another org, or deleted, with one answer that reveals nothing', async () => {
  const org = newOrg();
  const live = await seedStaff(db, org);
  const elsewhere = await seedStaff(db, newOrg());
  const deleted = await seedStaff(db, org);
  await deleteStaff(db, org, deleted.id, 1);
  const before = await footprint(db);

  const answers = [];
  for (const id of [live.id, elsewhere.id, deleted.id]) {
    const error = await sqlErrorOf(createStaff(db, org, { id, name: 'Thief' }));
    answers.push({ code: error.code, message: error.sqlMessage, details: error.details });
  }

  expect(answers[0]).toEqual({
    code: 'PT422',
    message: 'validation failed',
    details: [{ path: 'payload.staff.id', message: 'id already in use' }],
  });
  expect(answers[1]).toEqual(answers[0]);
  expect(answers[2]).toEqual(answers[0]);
  expect(await footprint(db)).toEqual(before);
});

it('never lets a deleted id be created again, even by the org that deleted it', async () => {
  const org = newOrg();
  const staff = await seedStaff(db, org);
  await deleteStaff(db, org, staff.id, 1);
  for (const target of [org, newOrg()]) {
    const error = await sqlErrorOf(createStaff(db, target, { id: staff.id, name: 'Again' }));
    expect(error.code).toBe('PT422');
  }
});

describe('input rules', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['a missing name', {}, 'payload.staff.name'],
    ['a blank name', { name: ' \t\u00a0 ' }, 'payload.staff.name'],
    ['a name over 200 code points', { name: '𝒜'.repeat(201) }, 'payload.staff.name'],
    ['a name that is not a string', { name: 42 }, 'payload.staff.name'],
    ['a malformed e-mail', { name: 'A', email: 'not-an-email' }, 'payload.staff.email'],
    ['an e-mail that is not a string', { name: 'A', email: ['a@b.co'] }, 'payload.staff.email'],
    ['a phone over 40 characters', { name: 'A', phone: '1'.repeat(41) }, 'payload.staff.phone'],
    ['a position over 100 characters', { name: 'A', position: 'p'.repeat(101) }, 'payload.staff.position'],
    ['a department over 100 characters', { name: 'A', department: 'd'.repeat(101) }, 'payload.staff.department'],
    ['an unknown employment type', { name: 'A', employmentType: 'intern' }, 'payload.staff.employmentType'],
    ['a null employment type', { name: 'A', employmentType: null }, 'payload.staff.employmentType'],
    ['an unknown status', { name: 'A', status: 'retired' }, 'payload.staff.status'],
    ['a date in another format', { name: 'A', startDate: '01/02/2024' }, 'payload.staff.startDate'],
    ['a date that does not exist', { name: 'A', endDate: '2023-02-29' }, 'payload.staff.endDate'],
    ['an endDate before startDate', { name: 'A', startDate: '2024-05-02', endDate: '2024-05-01' }, 'payload.staff.endDate'],
    ['a fractional displayOrder', { name: 'A', displayOrder: 1.5 }, 'payload.staff.displayOrder'],
    ['a displayOrder beyond int4', { name: 'A', displayOrder: 2 ** 31 }, 'payload.staff.displayOrder'],
    ['a displayOrder given as a string', { name: 'A', displayOrder: '3' }, 'payload.staff.displayOrder'],
    ['metadata that is an array', { name: 'A', metadata: [1, 2] }, 'payload.staff.metadata'],
    ['metadata that is null', { name: 'A', metadata: null }, 'payload.staff.metadata'],
    ['an id that is not a UUID', { name: 'A', id: 'abc' }, 'payload.staff.id'],
    ['an unknown field', { name: 'A', nickname: 'Al' }, 'payload.staff.nickname'],
    ['server-owned orgId', { name: 'A', orgId: 'other' }, 'payload.staff.orgId'],
    ['server-owned version', { name: 'A', version: 7 }, 'payload.staff.version'],
    ['server-owned createdAt', { name: 'A', createdAt: '2020-01-01T00:00:00.000Z' }, 'payload.staff.createdAt'],
    ['server-owned updatedAt', { name: 'A', updatedAt: '2020-01-01T00:00:00.000Z' }, 'payload.staff.updatedAt'],
    ['server-owned updatedBy', { name: 'A', updatedBy: 'someone' }, 'payload.staff.updatedBy'],
  ];

  it.each(cases)('refuses %s as PT422 with the field path, writing nothing', async (_what, staff, path) => {
    const before = await footprint(db);
    const error = await sqlErrorOf(createStaff(db, newOrg(), staff));
    expect(error.code).toBe('PT422');
    expect(error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path, message: expect.any(String) })]));
    expect(await footprint(db)).toEqual(before);
  });

  it('refuses a staff payload that is not an object', async () => {
    for (const staff of [null, 'Ada', [{ name: 'Ada' }]]) {
      const error = await sqlErrorOf(createStaff(db, newOrg(), staff));
      expect(error.code).toBe('PT422');
      expect(error.details).toEqual([{ path: 'payload.staff', message: 'must be an object' }]);
    }
  });

  it('lists every broken field at once', async () => {
    const error = await sqlErrorOf(createStaff(db, newOrg(), { name: '', status: 'x', extra: 1 }));
    expect((error.details as Array<{ path: string }>).map((issue) => issue.path).sort()).toEqual([
      'payload.staff.extra',
      'payload.staff.name',
      'payload.staff.status',
    ]);
  });

  it('accepts the limits exactly', async () => {
    const { change } = await createStaff(db, newOrg(), {
      name: `  ${'n'.repeat(200)}  `,
      phone: '1'.repeat(40),
      position: 'p'.repeat(100),
      department: 'd'.repeat(100),
      startDate: '2024-02-29',
      endDate: '2024-02-29',
      displayOrder: 2 ** 31 - 1,
      metadata: { blob: 'x'.repeat(8192 - '{"blob":""}'.length) },
    });
    expect(change!.version).toBe(1);
  });
});

describe('metadata size', () => {
  it('refuses metadata over 8 KB of compact JSON as PT413', async () => {
    const before = await footprint(db);
    const metadata = { blob: 'x'.repeat(8192 - '{"blob":""}'.length + 1) };
    expect(Buffer.byteLength(JSON.stringify(metadata))).toBe(8193);
    const error = await sqlErrorOf(createStaff(db, newOrg(), { name: 'Big', metadata }));
    expect(error.code).toBe('PT413');
    expect(error.details).toEqual([{ path: 'payload.staff.metadata', message: expect.any(String) }]);
    expect(await footprint(db)).toEqual(before);
  });

  it('measures UTF-8 bytes of JSON exactly as JSON.stringify sends it', async () => {
    const shapes = [
      {},
      { empty: [], none: {}, deep: [[[]], [{}], { a: [1, [2, { b: null }]] }] },
      { list: Array.from({ length: 300 }, (_, i) => ({ i, s: 'é' })) },
      { 'k e y: ,': 'v: , "quoted" \\ back\nslash\t\u0001', emoji: '😀€', n: -1.5e-7, big: 123456789012, t: true, f: false },
      { 'ключ': { '键': ['値', 0.25] } },
      { numbers: [0, -0, 1, -1, 10, 100, 1e20, 1e21, 1.5e21, 123456789012345680000, 0.5, 0.000001, 1e-7, -1.5e-7, 2.5e-300, 1.7976931348623157e308, 12.75, -0.001, 5e-324] },
    ];
    for (const metadata of shapes) {
      const { rows } = await db.query<{ bytes: number }>('select public.staff_json_bytes($1::jsonb) as bytes', [JSON.stringify(metadata)]);
      expect([metadata, rows[0]!.bytes]).toEqual([metadata, Buffer.byteLength(JSON.stringify(metadata))]);
    }
  });

  it('answers PT422 when a size issue comes with another broken field', async () => {
    const error = await sqlErrorOf(createStaff(db, newOrg(), { name: '', metadata: { blob: 'x'.repeat(9000) } }));
    expect(error.code).toBe('PT422');
    expect((error.details as unknown[]).length).toBe(2);
  });
});

it('logs the create with the request id and nothing else', async () => {
  const org = newOrg();
  const { change } = await createStaff(db, org, { name: 'Logged' }, { requestId: 'req-logged-1' });
  const log = await logOf(db, org);
  expect(log).toHaveLength(1);
  expect(log[0]).toMatchObject({ seq: 1, op: 'create', version: 1, origin: 'ws', actor: ACTOR, request_id: 'req-logged-1' });
  expect(log[0]!.staff).toEqual(change!.staff);
});
