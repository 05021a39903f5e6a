/**
 * The staff store through supabase-js against the local RPC endpoint on PGlite with the real
 * migrations: every operation, the typed failures the SQL raises, and a full resync in pages.
 */
import { randomUUID } from 'node:crypto';
import type { LocalSupabase } from '../../infra/local/db';
import { StaffSyncError } from '../../shared/errors';
import type { Change, Staff } from '../../shared/protocol/staff';
import { createStaffStore, createStaffStoreClient, type StaffContext, type StaffStore, type SyncPage } from '../../shared/staff-store';
import { encodeCursor } from '../../shared/staff-store/cursor';
import { isDepartmentPageExactly, isPageExactly, isStreamExactly } from '../../shared/staff-store/pages.validator';
import { hasStaffMigrations, startTestSupabase } from '../helpers/local-supabase';

if (!hasStaffMigrations()) throw new Error('supabase/migrations lacks the staff_* functions this suite exercises');

let supabase: LocalSupabase;
let store: StaffStore;
let paged: StaffStore;

// Boots PGlite (WASM compile and the fixture image: ~1.5 s idle, over 5 s on a loaded 2-core box),
// so not under the 5 s default meant for unit tests; the sql and reliability suites do the same.
beforeAll(async () => {
  supabase = await startTestSupabase({ connectionWaitMs: 300 });
  store = createStaffStore({ url: supabase.url, serviceKey: supabase.serviceKey });
  paged = createStaffStore({ url: supabase.url, serviceKey: supabase.secretKey, pageMaxRows: 2 });
}, 60_000);

afterAll(async () => {
  await supabase?.close();
});

const newCtx = (): StaffContext => ({ orgId: `org-${randomUUID().slice(0, 8)}`, userId: `user-${randomUUID().slice(0, 8)}` });
const rid = (): string => randomUUID();

async function failure(promise: Promise<unknown>): Promise<StaffSyncError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof StaffSyncError) return error;
    throw error;
  }
  throw new Error('expected a StaffSyncError');
}

describe('writes', () => {
  it('creates a record and returns its change', async () => {
    const ctx = newCtx();
    const { change } = await store.create(ctx, rid(), { name: 'Ada Lovelace', email: 'ada@example.com' });
    expect(change).toMatchObject({ seq: 1, op: 'create', version: 1, actor: ctx.userId, origin: 'ws' });
    expect(change?.staff).toMatchObject({ name: 'Ada Lovelace', orgId: ctx.orgId, version: 1, employmentType: 'full_time' });
  });

  it('answers a repeated requestId with the original change, marked replayed', async () => {
    const ctx = newCtx();
    const requestId = rid();
    const first = await store.create(ctx, requestId, { name: 'Once' });
    const again = await store.create(ctx, requestId, { name: 'Once' });
    expect(again).toEqual({ ...first, replayed: true });
    expect(await store.latestSeq(ctx.orgId)).toBe(1);
  });

  it('refuses a requestId reused for another request as VALIDATION_FAILED at requestId', async () => {
    const ctx = newCtx();
    const requestId = rid();
    await store.create(ctx, requestId, { name: 'First' });
    const error = await failure(store.create(ctx, requestId, { name: 'Second' }));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details).toEqual([expect.objectContaining({ path: 'requestId' })]);
  });

  it('updates at the current version, and answers an unchanged update with change null and current', async () => {
    const ctx = newCtx();
    const created = (await store.create(ctx, rid(), { name: 'Grace' })).change as Change;
    const updated = await store.update(ctx, rid(), created.staffId, 1, { position: 'Admiral' });
    expect(updated.change).toMatchObject({ seq: 2, op: 'update', version: 2, changedFields: ['position'] });
    const noop = await store.update(ctx, rid(), created.staffId, 2, { position: 'Admiral' });
    expect(noop).toEqual({ change: null, current: expect.objectContaining({ version: 2, position: 'Admiral' }) });
  });

  it('merges an update made against an older version when its fields did not change since', async () => {
    const ctx = newCtx();
    const { staffId } = (await store.create(ctx, rid(), { name: 'Merge' })).change as Change;
    await store.update(ctx, rid(), staffId, 1, { department: 'R&D' });
    const merged = await store.update(ctx, rid(), staffId, 1, { phone: '555' });
    expect(merged).toMatchObject({ merged: true, change: { version: 3, changedFields: ['phone'] } });
  });

  it('refuses a conflicting update with VERSION_CONFLICT and the current record', async () => {
    const ctx = newCtx();
    const { staffId } = (await store.create(ctx, rid(), { name: 'Conflict' })).change as Change;
    await store.update(ctx, rid(), staffId, 1, { name: 'Changed' });
    const error = await failure(store.update(ctx, rid(), staffId, 1, { name: 'Mine' }));
    expect(error.code).toBe('VERSION_CONFLICT');
    expect(error.current).toMatchObject({ id: staffId, name: 'Changed', version: 2 });
  });

  it('answers NOT_FOUND for an unknown id and for another org’s id', async () => {
    const ctx = newCtx();
    expect((await failure(store.update(ctx, rid(), randomUUID(), 1, { name: 'x' }))).code).toBe('NOT_FOUND');
    const { staffId } = (await store.create(newCtx(), rid(), { name: 'Elsewhere' })).change as Change;
    expect((await failure(store.remove(ctx, rid(), staffId, 1))).code).toBe('NOT_FOUND');
  });

  it('deletes only at the current version, with a change one version past the last record', async () => {
    const ctx = newCtx();
    const { staffId } = (await store.create(ctx, rid(), { name: 'Leaving' })).change as Change;
    await store.update(ctx, rid(), staffId, 1, { status: 'inactive' });
    expect((await failure(store.remove(ctx, rid(), staffId, 1))).code).toBe('VERSION_CONFLICT');
    const { change } = await store.remove(ctx, rid(), staffId, 2);
    expect(change).toMatchObject({ op: 'delete', version: 3, staff: { id: staffId, status: 'inactive', version: 2 } });
    expect((await failure(store.update(ctx, rid(), staffId, 2, { name: 'Back' }))).code).toBe('NOT_FOUND');
  });

  it('maps what the database refuses to VALIDATION_FAILED and PAYLOAD_TOO_LARGE with field paths', async () => {
    const ctx = newCtx();
    const invalid = await failure(store.create(ctx, rid(), { name: '   ' }));
    expect(invalid.code).toBe('VALIDATION_FAILED');
    expect(invalid.details).toEqual([expect.objectContaining({ path: 'payload.staff.name' })]);
    const large = await failure(store.create(ctx, rid(), { name: 'Big', metadata: { blob: 'x'.repeat(9000) } }));
    expect(large.code).toBe('PAYLOAD_TOO_LARGE');
    expect(large.details).toEqual([expect.objectContaining({ path: 'payload.staff.metadata' })]);
  });
});

describe('reads', () => {
  it('reports the latest seq, one change by seq, and health', async () => {
    const ctx = newCtx();
    expect(await store.latestSeq(ctx.orgId)).toBe(0);
    const { change } = await store.create(ctx, rid(), { name: 'Seq' });
    expect(await store.latestSeq(ctx.orgId)).toBe(1);
    expect(await store.changeAt(ctx.orgId, 1)).toEqual(change);
    expect(await store.changeAt(ctx.orgId, 2)).toBeNull();
    await expect(store.health(AbortSignal.timeout(1500))).resolves.toBeUndefined();
  });

  it('resyncs exactly with snapshot pages and then delta pages, following cursors', async () => {
    const ctx = newCtx();
    const ids: string[] = [];
    for (const name of ['A', 'B', 'C', 'D', 'E']) ids.push(((await store.create(ctx, rid(), { name })).change as Change).staffId);

    const local = new Map<string, Staff>();
    let page: SyncPage = await paged.sync(ctx, undefined);
    const snapshotSeq = page.seq;
    expect(page).toMatchObject({ mode: 'snapshot', seq: 5, hasMore: true });
    await store.update(ctx, rid(), ids[4]!, 1, { name: 'E2' }); // lands during the snapshot (seq 6)
    for (;;) {
      expect(page.seq).toBe(snapshotSeq);
      for (const staff of page.staff ?? []) local.set(staff.id, staff);
      if (!page.hasMore) break;
      page = await paged.sync(ctx, { cursor: page.cursor! });
    }
    expect(page.cursor).toBeUndefined();
    expect(local.size).toBe(5);

    await store.create(ctx, rid(), { name: 'F' });
    await store.remove(ctx, rid(), ids[0]!, 1);
    let lastSeq = snapshotSeq;
    page = await paged.sync(ctx, { sinceSeq: lastSeq });
    const seen: number[] = [];
    for (;;) {
      expect(page.mode).toBe('delta');
      for (const change of page.changes ?? []) {
        seen.push(change.seq);
        const known = local.get(change.staffId);
        if (change.op === 'delete') local.delete(change.staffId);
        else if (!known || change.version > known.version) local.set(change.staffId, change.staff);
      }
      lastSeq = page.seq;
      if (!page.hasMore) break;
      page = await paged.sync(ctx, { cursor: page.cursor! });
    }
    expect(seen).toEqual([6, 7, 8]);
    expect(lastSeq).toBe(8);

    const fresh = await store.sync(ctx, undefined);
    const server = new Map((fresh.staff ?? []).map((staff) => [staff.id, staff]));
    expect(local).toEqual(server);
  });

  it('streams a sync: the pages of one read, each but the last with hasMore, and a cursor that resumes after the last', async () => {
    const ctx = newCtx();
    for (const name of ['A', 'B', 'C', 'D', 'E', 'F', 'G']) await store.create(ctx, rid(), { name });
    const streamed = createStaffStore({ url: supabase.url, serviceKey: supabase.secretKey, pageMaxRows: 2, streamMaxPages: 2 });

    const first = await streamed.syncStream(ctx, undefined);
    expect(first.map((page) => [page.mode, page.staff?.length, page.hasMore])).toEqual([['snapshot', 2, true], ['snapshot', 2, true]]);
    const rest = await streamed.syncStream(ctx, { cursor: first.at(-1)!.cursor! });
    expect(rest.map((page) => page.staff?.length)).toEqual([2, 1]);
    expect(rest.at(-1)).toMatchObject({ hasMore: false });
    expect(rest.at(-1)!.cursor).toBeUndefined();
    const whole = (await store.sync(ctx, undefined)).staff;
    expect([...first, ...rest].flatMap((page) => page.staff ?? [])).toEqual(whole);

    const delta = await streamed.syncStream(ctx, { sinceSeq: 3 });
    expect(delta.flatMap((page) => (page.changes ?? []).map((change) => change.seq))).toEqual([4, 5, 6, 7]);
    expect(delta.at(-1)).toMatchObject({ mode: 'delta', seq: 7, hasMore: false });
    const forged = encodeCursor(newCtx().orgId, { mode: 'snapshot', seq: 1, afterId: randomUUID() });
    expect(await failure(streamed.syncStream(ctx, { cursor: forged }))).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it("answers pages the compiled checks pass as they are (the fast path, not zod's)", async () => {
    const ctx = newCtx();
    for (const name of ['A', 'B', 'C']) await store.create(ctx, rid(), { name, department: 'Ward', metadata: { shift: 'night' } });
    await store.update(ctx, rid(), (await store.sync(ctx, undefined)).staff![0]!.id, 1, { department: null });
    const rest = createStaffStoreClient(supabase.url, supabase.secretKey, 5000);
    const reads = [
      ['staff_snapshot_stream', { p_org_id: ctx.orgId }, isStreamExactly],
      ['staff_changes_stream', { p_org_id: ctx.orgId, p_since_seq: 0 }, isStreamExactly],
      ['staff_snapshot', { p_org_id: ctx.orgId, p_max_rows: 2 }, isPageExactly],
      ['staff_changes', { p_org_id: ctx.orgId, p_since_seq: 1 }, isPageExactly],
      ['staff_department_snapshot', { p_org_id: ctx.orgId, p_departments: ['Ward'] }, isDepartmentPageExactly],
      ['staff_department_changes', { p_org_id: ctx.orgId, p_departments: ['Ward'], p_since: { Ward: 0 } }, isDepartmentPageExactly],
    ] as const;
    for (const [fn, args, isExactly] of reads) {
      const { data, error } = await rest.rpc(fn, args as never);
      expect({ fn, error }).toEqual({ fn, error: null });
      expect({ fn, exactly: isExactly(data) }).toEqual({ fn, exactly: true });
    }
  });

  it('answers a sinceSeq ahead of the log with a snapshot', async () => {
    const ctx = newCtx();
    await store.create(ctx, rid(), { name: 'Only' });
    expect(await store.sync(ctx, { sinceSeq: 99 })).toMatchObject({ mode: 'snapshot', seq: 1, hasMore: false });
  });

  it('refuses a malformed cursor, an altered one and another org’s as VALIDATION_FAILED at payload.cursor', async () => {
    const ctx = newCtx();
    for (const name of ['A', 'B', 'C']) await store.create(ctx, rid(), { name });
    const { cursor } = await paged.sync(ctx, undefined);
    const other = newCtx();
    const altered = encodeCursor(ctx.orgId, { mode: 'snapshot', seq: 42, afterId: randomUUID() });
    for (const bad of ['not-a-cursor!', Buffer.from('{"v":1}').toString('base64url'), altered]) {
      const error = await failure(paged.sync(ctx, { cursor: bad }));
      expect(error.code).toBe('VALIDATION_FAILED');
      expect(error.details).toEqual([{ path: 'payload.cursor', message: expect.any(String) }]);
    }
    const foreign = await failure(paged.sync(other, { cursor: cursor! }));
    expect(foreign.code).toBe('VALIDATION_FAILED');
    expect(foreign.details?.[0]?.path).toBe('payload.cursor');
  });
});

describe('reads by departments', () => {
  /** Follows cursors to the end; the pages, and the records or changes they held. */
  async function walk(ctx: StaffContext, request: Parameters<StaffStore['sync']>[1], departments: string[]) {
    const pages: SyncPage[] = [await paged.sync(ctx, request)];
    while (pages.at(-1)!.hasMore) pages.push(await paged.sync(ctx, { departments, cursor: pages.at(-1)!.cursor! }));
    return pages;
  }

  it('resyncs a view of some departments in snapshot pages, then a delta from where each stood', async () => {
    const ctx = newCtx();
    const made: Record<string, string> = {};
    for (const [name, department] of [['A', 'ICU'], ['B', 'ICU'], ['C', 'Ward'], ['D', 'ICU'], ['E', 'Radiology'], ['F', 'Ward']] as const) {
      made[name] = ((await store.create(ctx, rid(), { name, department })).change as Change).staffId;
    }
    const departments = ['Ward', 'ICU'];
    const snapshot = await walk(ctx, { departments }, departments);
    expect(snapshot.map((page) => [page.mode, page.staff?.length])).toEqual([['snapshot', 2], ['snapshot', 2], ['snapshot', 1]]);
    expect(snapshot.every((page) => JSON.stringify(page.deptSeqs) === JSON.stringify({ ICU: 3, Ward: 2 }))).toBe(true);
    expect(snapshot.flatMap((page) => page.staff!.map((staff) => staff.name)).sort()).toEqual(['A', 'B', 'C', 'D', 'F']);

    await store.update(ctx, rid(), made.E!, 1, { department: 'ICU' }); // moves in
    await store.update(ctx, rid(), made.A!, 1, { department: 'Radiology' }); // moves out
    await store.update(ctx, rid(), made.E!, 2, { position: 'Lead' }); // Radiology's other record untouched
    await store.update(ctx, rid(), made.C!, 1, { position: 'Lead' });
    const delta = await walk(ctx, { departments, sinceDeptSeqs: snapshot[0]!.deptSeqs! }, departments);
    expect(delta.flatMap((page) => page.changes!.map((change) => [change.staff.name, change.deptSeqs]))).toEqual([
      ['E', { Radiology: 2, ICU: 4 }],
      ['A', { ICU: 5, Radiology: 3 }],
      ['E', { ICU: 6 }],
      ['C', { Ward: 3 }],
    ]);
    expect(delta.at(-1)!.deptSeqs).toEqual({ ICU: 6, Ward: 3 });
  });

  it('refuses a department cursor for other departments, an org cursor with departments, and a position ahead, in it or after the seq it names', async () => {
    const ctx = newCtx();
    for (const name of ['A', 'B', 'C']) await store.create(ctx, rid(), { name, department: 'ICU' });
    const { cursor } = await paged.sync(ctx, { departments: ['ICU'] });
    const { cursor: orgCursor } = await paged.sync(ctx, undefined);
    for (const request of [{ departments: ['ICU', 'Ward'], cursor: cursor! }, { departments: ['ICU'], cursor: orgCursor! }, { cursor: cursor! }]) {
      const error = await failure(paged.sync(ctx, request));
      expect({ code: error.code, path: error.details?.[0]?.path }).toEqual({ code: 'VALIDATION_FAILED', path: 'payload.cursor' });
    }
    const ahead = await failure(store.sync(ctx, { departments: ['ICU'], sinceDeptSeqs: { ICU: 4 } }));
    expect({ code: ahead.code, path: ahead.details?.[0]?.path }).toEqual({ code: 'VALIDATION_FAILED', path: 'payload.sinceDeptSeqs' });
    const altered = encodeCursor(ctx.orgId, { mode: 'department-snapshot', deptSeqs: { ICU: 9 }, afterId: randomUUID() }, ['ICU']);
    expect((await failure(paged.sync(ctx, { departments: ['ICU'], cursor: altered }))).details?.[0]?.path).toBe('payload.cursor');
    const beyond = encodeCursor(ctx.orgId, { mode: 'department-delta', deptSeqs: { ICU: 1 }, afterSeq: 99 }, ['ICU']);
    expect((await failure(paged.sync(ctx, { departments: ['ICU'], cursor: beyond }))).details?.[0]?.path).toBe('payload.cursor');
  });
});

describe('when the database is unavailable', () => {
  it('answers UPSTREAM_UNAVAILABLE while the session is held past the bounded wait (PGRST003)', async () => {
    let release!: () => void;
    const held = supabase.executor.transaction(() => new Promise<void>((resolve) => (release = resolve)));
    try {
      const error = await failure(store.create(newCtx(), rid(), { name: 'Waits' }));
      expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
    } finally {
      release();
      await held;
    }
  });
});
