/** Department seqs (docs/protocol.md §7.8): one gapless chain per department, taken by every change that touches it. */
import type { PGlite } from '@electric-sql/pglite';
import { freshDb, sqlErrorOf } from '../helpers/pglite';
import { batchStaff, createStaff, deleteStaff, departmentChainProblems, footprint, logOf, newOrg, seedStaff, updateStaff } from './support';

let db: PGlite;

beforeAll(async () => {
  db = await freshDb();
}, 60_000);

afterAll(async () => {
  await db?.close();
});

it('advances the department of a create and a delete, both departments of a move, none without one', async () => {
  const org = newOrg();
  const icu = await createStaff(db, org, { name: 'A', department: 'ICU' });
  const icu2 = await createStaff(db, org, { name: 'B', department: 'ICU' });
  const ward = await createStaff(db, org, { name: 'C', department: 'Ward' });
  const none = await createStaff(db, org, { name: 'D', department: '' });
  const moved = await updateStaff(db, org, icu.change!.staffId, 1, { department: 'Ward' });
  const stayed = await updateStaff(db, org, icu2.change!.staffId, 1, { position: 'Lead' });
  const left = await updateStaff(db, org, ward.change!.staffId, 1, { department: null });
  const deleted = await deleteStaff(db, org, icu.change!.staffId, 2);

  expect([icu, icu2, ward, none, moved, stayed, left, deleted].map((reply) => reply.change!.deptSeqs)).toEqual([
    { ICU: 1 },
    { ICU: 2 },
    { Ward: 1 },
    {},
    { ICU: 3, Ward: 2 },
    { ICU: 4 },
    { Ward: 3 },
    { Ward: 4 },
  ]);
  expect(departmentChainProblems(await logOf(db, org))).toEqual([]);
});

it('keeps each org its own chains, for any department name', async () => {
  const [a, b] = [newOrg(), newOrg()];
  const name = '__proto__';
  expect((await createStaff(db, a, { name: 'A', department: name })).change!.deptSeqs).toEqual(JSON.parse('{"__proto__": 1}'));
  expect((await createStaff(db, b, { name: 'B', department: name })).change!.deptSeqs).toEqual(JSON.parse('{"__proto__": 1}'));
  expect((await createStaff(db, a, { name: 'C', department: name })).change!.deptSeqs).toEqual(JSON.parse('{"__proto__": 2}'));
});

it('takes one seq per operation of a batch, and none for a batch refused', async () => {
  const org = newOrg();
  const seeded = await seedStaff(db, org, { department: 'ICU' });
  const { results } = await batchStaff(db, org, [
    { op: 'create', staff: { name: 'N', department: 'ICU' } },
    { op: 'update', staffId: seeded.id, baseVersion: 1, changes: { department: 'Ward' } },
  ]);
  expect(results.map((result) => result.change!.deptSeqs)).toEqual([{ ICU: 2 }, { ICU: 3, Ward: 1 }]);

  const before = await footprint(db);
  await sqlErrorOf(batchStaff(db, org, [{ op: 'create', staff: { name: 'M', department: 'ICU' } }, { op: 'delete', staffId: seeded.id, baseVersion: 1 }]));
  expect(await footprint(db)).toEqual(before);
  expect((await createStaff(db, org, { name: 'O', department: 'ICU' })).change!.deptSeqs).toEqual({ ICU: 4 });
});

it('counts a write made straight in the database, and refuses direct writes to the counters', async () => {
  const org = newOrg();
  const staff = await seedStaff(db, org, { department: 'ICU' });
  await db.query(`update public.staff set department = 'Ward' where id = $1`, [staff.id]);
  const log = await logOf(db, org);
  expect(log.map((row) => row.dept_seqs)).toEqual([{ ICU: 1 }, { ICU: 2, Ward: 1 }]);

  const error = await db.query(`insert into public.staff_department_counters (org_id, department, last_seq) values ($1, 'ICU', 99)`, [org]).catch((e: unknown) => e as Error);
  expect(String((error as Error).message)).toMatch(/direct INSERT on public\.staff_department_counters is refused/);
});
