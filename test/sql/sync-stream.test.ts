/**
 * Streamed sync reads (supabase/migrations/20251207000400_staff_sync_stream.sql, …0500_staff_stream_json.sql): the pages of
 * one statement cover what page-by-page reads cover, in order, each within its limits; the
 * stored wire text of every live record and of every change is exactly its wire form, whoever wrote it.
 */
import type { PGlite } from '@electric-sql/pglite';
import type { Change, Staff } from '../../shared/protocol/staff';
import { callFn, callSetFn, freshDb, sqlErrorOf } from '../helpers/pglite';
import { deleteStaff, newOrg, seedStaff, updateStaff } from './support';

let db: PGlite;

beforeAll(async () => {
  db = await freshDb();
}, 60_000);

afterAll(async () => {
  await db?.close();
});

interface Page {
  mode: 'delta' | 'snapshot';
  staff?: Staff[];
  changes?: Change[];
  seq: number;
  hasMore: boolean;
  afterId?: string | null;
}

const snapshotStream = (org: string, limits: { afterId?: string; maxBytes?: number; maxRows?: number; maxPages?: number } = {}) =>
  callSetFn<Page>(db, 'staff_snapshot_stream', {
    p_org_id: org,
    ...(limits.afterId ? { p_after_id: limits.afterId } : {}),
    ...(limits.maxBytes ? { p_max_bytes: limits.maxBytes } : {}),
    ...(limits.maxRows ? { p_max_rows: limits.maxRows } : {}),
    ...(limits.maxPages ? { p_max_pages: limits.maxPages } : {}),
  });

const changesStream = (org: string, sinceSeq: number, limits: { maxBytes?: number; maxRows?: number; maxPages?: number } = {}) =>
  callSetFn<Page>(db, 'staff_changes_stream', {
    p_org_id: org,
    p_since_seq: sinceSeq,
    ...(limits.maxBytes ? { p_max_bytes: limits.maxBytes } : {}),
    ...(limits.maxRows ? { p_max_rows: limits.maxRows } : {}),
    ...(limits.maxPages ? { p_max_pages: limits.maxPages } : {}),
  });

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);
const wireOf = async (org: string): Promise<Staff[]> =>
  (await db.query<{ wire: Staff }>('select public.staff_to_wire(s) as wire from public.staff s where s.org_id = $1 order by s.id', [org])).rows.map((row) => row.wire);
const bytesOf = (items: unknown[]): number => Buffer.byteLength(JSON.stringify(items));

async function seedMany(org: string, count: number): Promise<Staff[]> {
  const out: Staff[] = [];
  for (let i = 0; i < count; i += 1) out.push(await seedStaff(db, org, { name: `Person ${i}`, metadata: { note: 'x'.repeat((i % 7) * 40) } }));
  return out;
}

describe('stored wire text', () => {
  it('is the wire form of every live record after creates, updates, deletes and direct SQL writes', async () => {
    const org = newOrg();
    const [a, b, c] = await seedMany(org, 3);
    await updateStaff(db, org, a!.id, 1, { position: 'Head nurse', department: 'ICU' });
    await deleteStaff(db, org, b!.id, 1);
    await db.query("update public.staff set name = 'Typed in psql' where id = $1", [c!.id]);

    const stored = await db.query<{ id: string; wire: string; bytes: number }>('select id::text, wire::text as wire, bytes from public.staff_snapshot_rows where org_id = $1 order by id', [org]);
    expect(stored.rows.map((row) => JSON.parse(row.wire))).toEqual(await wireOf(org));
    for (const row of stored.rows) expect(row.bytes).toBe(Buffer.byteLength(row.wire));
  });

  it("is the wire form of every change in the log, and leaves with the log's pruned rows", async () => {
    const org = newOrg();
    const [a, b] = await seedMany(org, 2);
    await updateStaff(db, org, a!.id, 1, { department: 'Ward' });
    await deleteStaff(db, org, b!.id, 1);
    await db.query("update public.staff set name = 'Typed in psql' where id = $1", [a!.id]);
    const changeRows = async () => (await db.query<{ seq: string; wire: string; bytes: number }>('select seq::text, wire::text as wire, bytes from public.staff_change_rows where org_id = $1 order by seq', [org])).rows;
    const log = (await db.query<{ wire: Change }>('select public.staff_change_to_wire(l) as wire from public.staff_changes l where l.org_id = $1 order by l.seq', [org])).rows.map((row) => row.wire);

    expect((await changeRows()).map((row) => JSON.parse(row.wire))).toEqual(log);
    for (const row of await changeRows()) expect(row.bytes).toBe(Buffer.byteLength(row.wire));
    await callFn(db, 'staff_prune_log', { p_keep_days: 0, p_keep_changes: 2 });
    expect((await changeRows()).map((row) => Number(row.seq))).toEqual([4, 5]);
  });

  it('refuses a direct write', async () => {
    const org = newOrg();
    const [a] = await seedMany(org, 1);
    await expect(db.query("update public.staff_snapshot_rows set wire = '{}' where id = $1", [a!.id])).rejects.toThrow(/written only by the triggers/);
  });
});

describe('staff_snapshot_stream', () => {
  it('answers every record once, in id order, in pages within their limits', async () => {
    const org = newOrg();
    await seedMany(org, 40);
    const maxBytes = 3000;
    const pages = await snapshotStream(org, { maxBytes, maxRows: 6 });

    expect(pages.flatMap((page) => page.staff!)).toEqual((await wireOf(org)).sort(byId));
    expect(pages.length).toBeGreaterThan(4);
    const largest = Math.max(...pages.flatMap((page) => page.staff!.map((record) => bytesOf([record]))));
    for (const page of pages) {
      expect(page.staff!.length).toBeGreaterThanOrEqual(1);
      expect(page.staff!.length).toBeLessThanOrEqual(6);
      expect(bytesOf(page.staff!)).toBeLessThanOrEqual(maxBytes + largest);
    }
    expect(pages.map((page) => page.hasMore)).toEqual([...pages.slice(1).map(() => true), false]);
    expect(new Set(pages.map((page) => page.seq))).toEqual(new Set([40]));
  });

  it('stops after p_max_pages with hasMore and the id to go on after, which answers the rest', async () => {
    const org = newOrg();
    await seedMany(org, 30);
    const first = await snapshotStream(org, { maxRows: 4, maxPages: 3 });
    const last = first.at(-1)!;

    expect(first.map((page) => page.staff!.length)).toEqual([4, 4, 4]);
    expect(last.hasMore).toBe(true);
    expect(last.afterId).toBe(last.staff!.at(-1)!.id);
    const rest = await snapshotStream(org, { afterId: last.afterId!, maxRows: 4, maxPages: 64 });
    expect([...first, ...rest].flatMap((page) => page.staff!)).toEqual((await wireOf(org)).sort(byId));
    expect(rest.at(-1)!.hasMore).toBe(false);
  });

  it('ends a page with each record larger than the byte limit, and leaves no page empty, across reads of p_max_pages', async () => {
    const org = newOrg();
    await seedMany(org, 21);
    const all = (await wireOf(org)).sort(byId);
    const maxBytes = 450;
    const read: Page[] = [];
    let afterId: string | undefined;
    for (let reads = 0; reads < 30; reads += 1) {
      const pages = await snapshotStream(org, { maxBytes, maxPages: 4, ...(afterId ? { afterId } : {}) });
      read.push(...pages);
      const last = pages.at(-1)!;
      if (!last.hasMore) break;
      afterId = last.afterId!;
    }

    expect(read.flatMap((page) => page.staff!)).toEqual(all);
    for (const page of read) {
      expect(page.staff!.length).toBeGreaterThanOrEqual(1);
      if (page.staff!.length > 1) expect(bytesOf(page.staff!.slice(0, -1))).toBeLessThanOrEqual(maxBytes);
    }
    const oversized = all.filter((record) => bytesOf([record]) > maxBytes);
    expect(oversized.length).toBeGreaterThan(0);
    for (const record of oversized) {
      const page = read.find((candidate) => candidate.staff!.some((item) => item.id === record.id))!;
      expect(page.staff!.at(-1)!.id).toBe(record.id);
    }
  });

  it('answers one empty page for an org without records', async () => {
    expect(await snapshotStream(newOrg())).toEqual([{ mode: 'snapshot', staff: [], seq: 0, hasMore: false, afterId: null }]);
  });

  it('refuses limits below 1', async () => {
    const error = await sqlErrorOf(snapshotStream(newOrg(), { maxPages: -1 }));
    expect(error.message).toMatch(/p_max_pages must be >= 1/);
  });
});

describe('staff_changes_stream', () => {
  it('answers the changes after a seq, in order, as page-by-page reads do, the seq of each page its last change', async () => {
    const org = newOrg();
    const [a] = await seedMany(org, 12);
    await updateStaff(db, org, a!.id, 1, { name: 'Renamed' });
    const pages = await changesStream(org, 2, { maxBytes: 2000, maxRows: 5 });
    const log = (await db.query<{ wire: Change }>('select public.staff_change_to_wire(l) as wire from public.staff_changes l where l.org_id = $1 and l.seq > 2 order by l.seq', [org])).rows.map((row) => row.wire);

    expect(pages.flatMap((page) => page.changes!)).toEqual(log);
    for (const page of pages) expect(page.seq).toBe(page.changes!.at(-1)!.seq);
    expect(pages.map((page) => page.hasMore)).toEqual([...pages.slice(1).map(() => true), false]);
  });

  it('answers an empty delta at the latest seq, and snapshot pages for a seq ahead of it', async () => {
    const org = newOrg();
    await seedMany(org, 3);
    expect(await changesStream(org, 3)).toEqual([{ mode: 'delta', changes: [], seq: 3, hasMore: false }]);
    const ahead = await changesStream(org, 9);
    expect(ahead.map((page) => page.mode)).toEqual(['snapshot']);
    expect(ahead[0]!.staff).toHaveLength(3);
  });
});
