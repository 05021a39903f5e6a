/** SYNC_REQUEST by departments (docs/protocol.md §7.9): department snapshots and deltas, paged, resumed by position. */
import type { PGlite } from '@electric-sql/pglite';
import { callFn, freshDb, sqlErrorOf } from '../helpers/pglite';
import { createStaff, deleteStaff, newOrg, updateStaff } from './support';

let db: PGlite;

beforeAll(async () => {
  db = await freshDb();
}, 60_000);

afterAll(async () => {
  await db?.close();
});

interface Page {
  mode: 'delta' | 'snapshot';
  staff?: Array<{ id: string; name: string; department: string | null }>;
  changes?: Array<{ seq: number; staff: { name: string }; deptSeqs: Record<string, number> }>;
  seq: number;
  deptSeqs: Record<string, number>;
  hasMore: boolean;
  afterId?: string | null;
}

const snapshot = (org: string, departments: string[], extra: Record<string, unknown> = {}) =>
  callFn<Page>(db, 'staff_department_snapshot', { p_org_id: org, p_departments: departments, ...extra });
const changes = (org: string, departments: string[], since: Record<string, number>, extra: Record<string, unknown> = {}) =>
  callFn<Page>(db, 'staff_department_changes', { p_org_id: org, p_departments: departments, p_since: since, ...extra });

/** An org with records in ICU, Ward and none; then a move ICU → Ward and a delete in Ward. */
async function seeded() {
  const org = newOrg();
  const a = (await createStaff(db, org, { name: 'A', department: 'ICU' })).change!;
  await createStaff(db, org, { name: 'B', department: 'ICU' });
  const c = (await createStaff(db, org, { name: 'C', department: 'Ward' })).change!;
  await createStaff(db, org, { name: 'D' });
  await updateStaff(db, org, a.staffId, 1, { department: 'Ward' });
  await deleteStaff(db, org, c.staffId, 1);
  return org;
}

it('snapshots the records now in the departments, with where each stands', async () => {
  const org = await seeded();
  const page = await snapshot(org, ['ICU']);
  expect(page).toMatchObject({ mode: 'snapshot', seq: 6, deptSeqs: { ICU: 3 }, hasMore: false });
  expect(page.staff!.map((s) => s.name)).toEqual(['B']);
  const both = await snapshot(org, ['ICU', 'Ward', 'Empty']);
  expect(both.staff!.map((s) => s.name).sort()).toEqual(['A', 'B']);
  expect(both.deptSeqs).toEqual({ ICU: 3, Ward: 3, Empty: 0 });
});

it('pages a department snapshot, repeating the first page\'s positions', async () => {
  const org = await seeded();
  const first = await snapshot(org, ['ICU', 'Ward'], { p_max_rows: 1 });
  expect(first).toMatchObject({ hasMore: true, deptSeqs: { ICU: 3, Ward: 3 } });
  // A record created between pages may or may not be in a later one (its id decides); the delta
  // from the first page's positions brings it either way.
  await createStaff(db, org, { name: 'E', department: 'ICU' });
  const pages = [first];
  while (pages.at(-1)!.hasMore) pages.push(await snapshot(org, ['ICU', 'Ward'], { p_max_rows: 1, p_positions: first.deptSeqs, p_after_id: pages.at(-1)!.afterId }));
  expect(pages.every((page) => page.deptSeqs.ICU === 3 && page.deptSeqs.Ward === 3)).toBe(true);
  const names = pages.flatMap((page) => page.staff!.map((s) => s.name));
  expect(names.filter((name) => name !== 'E').sort()).toEqual(['A', 'B']);
  expect((await changes(org, ['ICU', 'Ward'], first.deptSeqs)).changes!.map((c) => c.staff.name)).toEqual(['E']);
});

it('answers the changes beyond each position, a move out included, and the positions after them', async () => {
  const org = await seeded();
  const icu = await changes(org, ['ICU'], { ICU: 1 });
  expect(icu.changes!.map((c) => [c.seq, c.staff.name, c.deptSeqs])).toEqual([
    [2, 'B', { ICU: 2 }],
    [5, 'A', { ICU: 3, Ward: 2 }],
  ]);
  expect(icu).toMatchObject({ mode: 'delta', seq: 5, deptSeqs: { ICU: 3 }, hasMore: false });

  const ward = await changes(org, ['Ward', 'ICU'], { Ward: 1, ICU: 3 });
  expect(ward.changes!.map((c) => c.seq)).toEqual([5, 6]);
  expect(ward.deptSeqs).toEqual({ Ward: 3, ICU: 3 });
  expect((await changes(org, ['ICU'], { ICU: 3 })).changes).toEqual([]);
});

it("never moves a department's position back for a change it brings for another department", async () => {
  const org = await seeded();
  const b = (await snapshot(org, ['ICU'])).staff!.find((s) => s.name === 'B')!;
  await updateStaff(db, org, b.id, 1, { name: 'B2' });
  // Standing at ICU 4 (B's update) and Ward 0: the move A ICU → Ward (ICU 3, Ward 2) is new in Ward only.
  const page = await changes(org, ['ICU', 'Ward'], { ICU: 4, Ward: 0 });
  expect(page.changes!.map((c) => [c.seq, c.deptSeqs])).toEqual([
    [3, { Ward: 1 }],
    [5, { ICU: 3, Ward: 2 }],
    [6, { Ward: 3 }],
  ]);
  expect(page.deptSeqs).toEqual({ ICU: 4, Ward: 3 });
});

it('pages a department delta: the next page starts where the last one left each department', async () => {
  const org = await seeded();
  const seen: number[] = [];
  let since: Record<string, number> = {};
  for (let page = 0; page < 10; page++) {
    const result = await changes(org, ['ICU', 'Ward'], since, { p_max_rows: 1 });
    seen.push(...result.changes!.map((c) => c.seq));
    since = result.deptSeqs;
    if (!result.hasMore) break;
  }
  expect(seen).toEqual([1, 2, 3, 5, 6]);
  expect(since).toEqual({ ICU: 3, Ward: 3 });
});

it('reads a department delta page after the seq of the page before (its cursor), with the same pages', async () => {
  const org = await seeded();
  const paged = async (afterSeq: boolean) => {
    const pages: Page[] = [];
    let since: Record<string, number> = {};
    let after: number | undefined;
    for (let page = 0; page < 10; page++) {
      const result = await changes(org, ['ICU', 'Ward'], since, { p_max_rows: 1, ...(afterSeq && after !== undefined ? { p_after_seq: after } : {}) });
      pages.push(result);
      since = result.deptSeqs;
      after = result.seq;
      if (!result.hasMore) break;
    }
    return pages;
  };
  expect(await paged(true)).toEqual(await paged(false));
  expect((await changes(org, ['ICU', 'Ward'], {}, { p_after_seq: 5 })).changes!.map((c) => c.seq)).toEqual([6]);
  const error = await sqlErrorOf(changes(org, ['ICU'], {}, { p_after_seq: 7 }));
  expect({ code: error.code, details: error.details }).toEqual({ code: 'PT422', details: [{ path: 'cursor', message: 'is not a cursor of this org' }] });
});

it('refuses a position ahead of the department, and answers a snapshot once its next change was pruned', async () => {
  const org = await seeded();
  const error = await sqlErrorOf(changes(org, ['ICU'], { ICU: 4 }));
  expect({ code: error.code, details: error.details }).toEqual({ code: 'PT422', details: [{ path: 'payload.sinceDeptSeqs', message: "is ahead of the department's changes" }] });

  await db.transaction(async (tx) => {
    await tx.exec(`set local staff_sync.internal = 'prune'`);
    await tx.query(`delete from public.staff_changes where org_id = $1 and seq <= 2`, [org]);
  });
  const pruned = await changes(org, ['ICU'], { ICU: 1 });
  expect(pruned).toMatchObject({ mode: 'snapshot', deptSeqs: { ICU: 3 } });
  expect((await changes(org, ['ICU'], { ICU: 2 })).mode).toBe('delta');
});
