/** Sync reads: seq per org, delta and snapshot pages, cursors while writes go on (docs/protocol.md §7). */
import type { PGlite } from '@electric-sql/pglite';
import { randomUUID } from 'node:crypto';
import type { Change, Staff } from '../../shared/protocol/staff';
import { changeSchema, staffSchema } from '../../shared/protocol/staff';
import { callFn, freshDb, sqlErrorOf } from '../helpers/pglite';
import { deleteStaff, latestSeq, newOrg, seedStaff, updateStaff } from './support';

let db: PGlite;

beforeAll(async () => {
  db = await freshDb();
}, 60_000);

afterAll(async () => {
  await db?.close();
});

interface DeltaPage {
  mode: 'delta';
  changes: Change[];
  seq: number;
  hasMore: boolean;
}
interface SnapshotPage {
  mode: 'snapshot';
  staff: Staff[];
  seq: number;
  hasMore: boolean;
  afterId: string | null;
}
type Page = DeltaPage | SnapshotPage;

const changes = (org: string, sinceSeq: number | null, maxBytes?: number, maxRows?: number) =>
  callFn<Page>(db, 'staff_changes', {
    p_org_id: org,
    p_since_seq: sinceSeq,
    ...(maxBytes === undefined ? {} : { p_max_bytes: maxBytes }),
    ...(maxRows === undefined ? {} : { p_max_rows: maxRows }),
  });

const snapshot = (org: string, snapshotSeq: number | null, afterId: string | null, maxBytes?: number, maxRows?: number) =>
  callFn<SnapshotPage>(db, 'staff_snapshot', {
    p_org_id: org,
    p_snapshot_seq: snapshotSeq,
    p_after_id: afterId,
    ...(maxBytes === undefined ? {} : { p_max_bytes: maxBytes }),
    ...(maxRows === undefined ? {} : { p_max_rows: maxRows }),
  });

/** The bytes a page's list takes in a frame (JSON.stringify, as the Lambda sends it). */
const bytesOf = (items: unknown[]): number => Buffer.byteLength(JSON.stringify(items));

async function seedMany(org: string, count: number): Promise<Staff[]> {
  const out: Staff[] = [];
  for (let i = 0; i < count; i += 1) {
    out.push(await seedStaff(db, org, { name: `Person ${i}`, displayOrder: i, metadata: { note: 'x'.repeat(i * 10) } }));
  }
  return out;
}

describe('seq', () => {
  it('is gapless per org and independent between orgs', async () => {
    const [a, b] = [newOrg(), newOrg()];
    const writes: Record<string, number> = { [a]: 0, [b]: 0 };
    for (let i = 0; i < 6; i += 1) {
      for (const org of i % 3 === 0 ? [a, b, a] : [b, a]) {
        const staff = await seedStaff(db, org);
        await updateStaff(db, org, staff.id, 1, { phone: `${i}` });
        writes[org]! += 2;
      }
    }
    for (const org of [a, b]) {
      expect(await latestSeq(db, org)).toBe(writes[org]);
      const delta = (await changes(org, 0, 1_000_000, 10_000)) as DeltaPage;
      expect(delta.changes.map((change) => change.seq)).toEqual(Array.from({ length: writes[org]! }, (_, i) => i + 1));
    }
  });

  it('is 0 for an org with no changes, and staff_change_at re-reads one change of the org only', async () => {
    expect(await latestSeq(db, newOrg())).toBe(0);
    const org = newOrg();
    const staff = await seedStaff(db, org);
    const change = await callFn<Change>(db, 'staff_change_at', { p_org_id: org, p_seq: 1 });
    expect(changeSchema.parse(change)).toMatchObject({ seq: 1, staffId: staff.id, op: 'create' });
    expect(await callFn(db, 'staff_change_at', { p_org_id: org, p_seq: 2 })).toBeNull();
    expect(await callFn(db, 'staff_change_at', { p_org_id: newOrg(), p_seq: 1 })).toBeNull();
  });
});

describe('delta pages', () => {
  it('pages the changes after sinceSeq in order, each page seq = its last change', async () => {
    const org = newOrg();
    await seedMany(org, 10);
    const seen: number[] = [];
    let since = 2;
    for (;;) {
      const page = (await changes(org, since, 100_000, 3)) as DeltaPage;
      expect(page.mode).toBe('delta');
      expect(page.changes.length).toBeLessThanOrEqual(3);
      if (page.changes.length > 0) expect(page.seq).toBe(page.changes.at(-1)!.seq);
      seen.push(...page.changes.map((change) => change.seq));
      since = page.seq;
      if (!page.hasMore) break;
    }
    expect(seen).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
    expect(await changes(org, 10)).toEqual({ mode: 'delta', changes: [], seq: 10, hasMore: false });
  });

  it('keeps every page within p_max_bytes, with at least one change per page', async () => {
    const org = newOrg();
    await seedMany(org, 12);
    for (const maxBytes of [1500, 4000]) {
      let since = 0;
      let pages = 0;
      for (;;) {
        const page = (await changes(org, since, maxBytes, 1000)) as DeltaPage;
        expect(page.changes.length).toBeGreaterThanOrEqual(1);
        if (page.changes.length > 1) expect(bytesOf(page.changes)).toBeLessThanOrEqual(maxBytes);
        pages += 1;
        since = page.seq;
        if (!page.hasMore) break;
      }
      expect(since).toBe(12);
      expect(pages).toBeGreaterThan(1);
    }
    const tiny = (await changes(org, 0, 10, 1000)) as DeltaPage;
    expect(tiny.changes).toHaveLength(1);
    expect(tiny.hasMore).toBe(true);
  });

  it('answers the first snapshot page when sinceSeq is ahead of the latest seq', async () => {
    const org = newOrg();
    await seedMany(org, 2);
    const page = await changes(org, 99);
    expect(page).toMatchObject({ mode: 'snapshot', seq: 2, hasMore: false, afterId: null });
    expect((page as SnapshotPage).staff).toHaveLength(2);
  });

  it('answers the first snapshot page when sinceSeq is older than the retained log', async () => {
    const org = newOrg();
    await seedMany(org, 5);
    await callFn(db, 'staff_prune_log', { p_keep_days: 0, p_keep_changes: 2 });
    expect(await changes(org, 2)).toMatchObject({ mode: 'snapshot', seq: 5 });
    expect(await changes(org, 3)).toMatchObject({ mode: 'delta', seq: 5 });
  });

  it('answers a snapshot for a null sinceSeq, and refuses a negative one', async () => {
    const org = newOrg();
    await seedMany(org, 1);
    expect(await changes(org, null)).toMatchObject({ mode: 'snapshot', seq: 1 });
    const error = await sqlErrorOf(changes(org, -1));
    expect(error.code).toBe('PT422');
    expect(error.details).toEqual([{ path: 'payload.sinceSeq', message: expect.any(String) }]);
  });

  it('accepts the largest page bounds', async () => {
    const org = newOrg();
    await seedMany(org, 2);
    expect(await changes(org, 0, 2 ** 31 - 1, 2 ** 31 - 1)).toMatchObject({ mode: 'delta', seq: 2, hasMore: false });
    expect(await snapshot(org, null, null, 2 ** 31 - 1, 2 ** 31 - 1)).toMatchObject({ seq: 2, hasMore: false });
  });

  it('refuses page bounds below 1', async () => {
    const error = await sqlErrorOf(changes(newOrg(), 0, 0, 10));
    expect(error.code).toBe('22023');
    expect((await sqlErrorOf(snapshot(newOrg(), null, null, 10, 0))).code).toBe('22023');
  });
});

describe('snapshot pages', () => {
  it('pages by id with the first read’s seq on every page, bounded by rows and bytes', async () => {
    const org = newOrg();
    const made = await seedMany(org, 9);
    const ids: string[] = [];
    let afterId: string | null = null;
    let seq: number | null = null;
    for (;;) {
      const page: SnapshotPage = await snapshot(org, seq, afterId, 2500, 4);
      expect(page.mode).toBe('snapshot');
      expect(page.staff.length).toBeGreaterThanOrEqual(1);
      expect(page.staff.length).toBeLessThanOrEqual(4);
      if (page.staff.length > 1) expect(bytesOf(page.staff)).toBeLessThanOrEqual(2500);
      page.staff.forEach((staff) => staffSchema.parse(staff));
      seq ??= page.seq;
      expect(page.seq).toBe(seq);
      ids.push(...page.staff.map((staff) => staff.id));
      if (!page.hasMore) {
        expect(page.afterId).toBeNull();
        break;
      }
      expect(page.afterId).toBe(page.staff.at(-1)!.id);
      afterId = page.afterId;
    }
    expect(seq).toBe(9);
    expect(ids).toEqual(made.map((staff) => staff.id).sort());
  });

  it('refuses a snapshot seq this org never reached as PT422 path cursor', async () => {
    const org = newOrg();
    await seedMany(org, 1);
    const error = await sqlErrorOf(snapshot(org, 5, null));
    expect(error.code).toBe('PT422');
    expect(error.details).toEqual([{ path: 'cursor', message: expect.any(String) }]);
  });

  it('is exact after snapshot pages and delta catch-up while writes go on between pages', async () => {
    const org = newOrg();
    let records = await seedMany(org, 20);
    let step = 0;
    /** Writes between pages: updates, deletes and creates, spread over the id range. */
    async function churn(): Promise<void> {
      step += 1;
      const live = records.filter((_, i) => (i + step) % 4 === 0);
      for (const staff of live.slice(0, 2)) {
        const { change } = await updateStaff(db, org, staff.id, staff.version, { phone: `${step}` });
        records = records.map((r) => (r.id === staff.id ? change!.staff : r));
      }
      const victim = live[2];
      if (victim) {
        await deleteStaff(db, org, victim.id, victim.version);
        records = records.filter((r) => r.id !== victim.id);
      }
      records.push(await seedStaff(db, org, { id: randomUUID(), name: `Late ${step}` }));
    }

    const local = new Map<string, Staff>();
    let page = await snapshot(org, null, null, 3000, 3);
    const snapshotSeq = page.seq;
    for (;;) {
      for (const staff of page.staff) local.set(staff.id, staff);
      expect(page.seq).toBe(snapshotSeq);
      if (!page.hasMore) break;
      await churn();
      page = await snapshot(org, snapshotSeq, page.afterId, 3000, 3);
    }

    let since = snapshotSeq;
    let delta: DeltaPage;
    do {
      delta = (await changes(org, since, 3000, 2)) as DeltaPage;
      expect(delta.mode).toBe('delta');
      for (const change of delta.changes) {
        const mine = local.get(change.staffId);
        if (mine && change.version <= mine.version) continue;
        if (change.op === 'delete') local.delete(change.staffId);
        else local.set(change.staffId, change.staff);
      }
      since = delta.seq;
      if (step < 6) await churn(); // writes go on during the catch-up too
    } while (delta.hasMore || since < (await latestSeq(db, org)));

    const truth = await snapshot(org, null, null, 10_000_000, 10_000);
    expect(step).toBeGreaterThan(3);
    expect([...local.values()].sort((x, y) => x.id.localeCompare(y.id))).toEqual(truth.staff);
    expect(truth.staff.map((s) => s.id)).toEqual(records.map((r) => r.id).sort());
  });
});

it('answers health', async () => {
  const health = await callFn<{ ok: boolean; time: string }>(db, 'staff_health');
  expect(health.ok).toBe(true);
  expect(Date.parse(health.time)).not.toBeNaN();
});
