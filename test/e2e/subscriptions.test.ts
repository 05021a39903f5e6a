/**
 * SUBSCRIBE (docs/protocol.md §7.9): a connection subscribed to departments receives the changes
 * that touch them (a move in or out included) and no others; department seqs number each
 * department's changes without a gap; PONG tells where its departments stand.
 */
import { randomUUID } from 'node:crypto';
import { TestClient, type Frame } from './support/client';
import { newOrgId, signToken } from './support/stage';

describe('SUBSCRIBE', () => {
  const orgId = newOrgId();
  let writer: TestClient;
  let whole: TestClient;
  let icu: TestClient;
  let wards: TestClient;

  beforeAll(async () => {
    [writer, whole, icu, wards] = await Promise.all([
      TestClient.connect({ orgId, sub: 'sub-writer' }),
      TestClient.connect({ orgId, role: 'viewer', sub: 'sub-whole' }),
      TestClient.connect({ orgId, role: 'viewer', sub: 'sub-icu' }),
      TestClient.connect({ orgId, sub: 'sub-wards' }),
    ]);
  });
  afterAll(() => {
    for (const client of [writer, whole, icu, wards]) client?.close();
  });

  const write = async (frame: { type: string; payload: unknown }) => {
    const ack = await writer.request(frame);
    expect(ack.type).toBe('ACK');
    return (ack as { change: { seq: number; staffId: string; version: number; deptSeqs: Record<string, number> } }).change;
  };
  const create = (name: string, department?: string) => write({ type: 'STAFF_CREATE', payload: { staff: { id: randomUUID(), name, ...(department ? { department } : {}) } } });
  const broadcastSeqs = (client: TestClient): number[] =>
    client.frames.filter((frame: Frame) => typeof frame.type === 'string' && frame.type.startsWith('STAFF_') && 'change' in frame).map((frame) => (frame.change as { seq: number }).seq);

  it('answers where each subscribed department stands, for any role', async () => {
    await create('Before', 'ICU');
    expect(await icu.request({ type: 'SUBSCRIBE', payload: { departments: ['ICU'] } })).toMatchObject({ type: 'SUBSCRIBED', departments: ['ICU'], seq: 1, deptSeqs: { ICU: 1 } });
    expect(await wards.request({ type: 'SUBSCRIBE', payload: { departments: ['Ward 2', 'Ward 1'] } })).toMatchObject({ type: 'SUBSCRIBED', departments: ['Ward 1', 'Ward 2'], deptSeqs: { 'Ward 1': 0, 'Ward 2': 0 } });
  });

  it('delivers a change to the departments it touches, a move to both, a record without one to the whole org only', async () => {
    for (const client of [whole, icu, wards]) client.skipReceived();
    const ada = await create('Ada', 'ICU');
    const bo = await create('Bo', 'Ward 1');
    const moved = await write({ type: 'STAFF_UPDATE', payload: { staffId: ada.staffId, baseVersion: 1, changes: { department: 'Ward 2' } } });
    const loose = await create('Cy');
    expect([ada, bo, moved, loose].map((change) => change.deptSeqs)).toEqual([{ ICU: 2 }, { 'Ward 1': 1 }, { ICU: 3, 'Ward 2': 1 }, {}]);

    // A change every subscription sees ends the run: once each has it, nothing else is on its way.
    const last = await write({ type: 'STAFF_UPDATE', payload: { staffId: moved.staffId, baseVersion: moved.version, changes: { department: 'ICU' } } });
    for (const client of [whole, icu, wards]) await client.waitFor((frame) => (frame.change as { seq?: number } | undefined)?.seq === last.seq);
    await whole.waitFor((frame) => (frame.change as { seq?: number } | undefined)?.seq === loose.seq);

    expect(broadcastSeqs(whole).filter((seq) => seq >= ada.seq).sort((a, b) => a - b)).toEqual([ada.seq, bo.seq, moved.seq, loose.seq, last.seq]);
    expect(broadcastSeqs(icu).filter((seq) => seq >= ada.seq).sort((a, b) => a - b)).toEqual([ada.seq, moved.seq, last.seq]);
    expect(broadcastSeqs(wards).filter((seq) => seq >= ada.seq).sort((a, b) => a - b)).toEqual([bo.seq, moved.seq, last.seq]);

    expect(await icu.request({ type: 'PING' })).toMatchObject({ type: 'PONG', seq: last.seq, deptSeqs: { ICU: 4 } });
    expect(await wards.request({ type: 'PING' })).toMatchObject({ type: 'PONG', deptSeqs: { 'Ward 1': 1, 'Ward 2': 2 } });
    expect(await whole.request({ type: 'PING' })).not.toHaveProperty('deptSeqs');
  });

  it('syncs a view of some departments: a snapshot of their records, a delta from where each stood', async () => {
    const snapshot = await wards.request({ type: 'SYNC_REQUEST', payload: { departments: ['Ward 1', 'Ward 2'] } });
    expect(snapshot).toMatchObject({ type: 'SYNC_RESPONSE', mode: 'snapshot', deptSeqs: { 'Ward 1': 1, 'Ward 2': 2 }, hasMore: false });
    expect((snapshot.staff as Array<{ name: string; department: string }>).map(({ name, department }) => [name, department])).toEqual([['Bo', 'Ward 1']]);

    const delta = await icu.request({ type: 'SYNC_REQUEST', payload: { departments: ['ICU'], sinceDeptSeqs: { ICU: 1 } } });
    expect(delta).toMatchObject({ type: 'SYNC_RESPONSE', mode: 'delta', deptSeqs: { ICU: 4 }, hasMore: false });
    expect((delta.changes as Array<{ staff: { name: string; department: string }; deptSeqs: Record<string, number> }>).map((change) => [change.staff.name, change.staff.department, change.deptSeqs.ICU])).toEqual([
      ['Ada', 'ICU', 2],
      ['Ada', 'Ward 2', 3],
      ['Ada', 'ICU', 4],
    ]);
    const ahead = await icu.request({ type: 'SYNC_REQUEST', payload: { departments: ['ICU'], sinceDeptSeqs: { ICU: 5 } } });
    expect(ahead).toMatchObject({ type: 'ERROR', code: 'VALIDATION_FAILED', details: [{ path: 'payload.sinceDeptSeqs' }] });
  });

  it('goes back to the whole org with an empty subscription', async () => {
    expect(await icu.request({ type: 'SUBSCRIBE', payload: {} })).toMatchObject({ type: 'SUBSCRIBED', departments: null, deptSeqs: {} });
    const other = await create('Dee', 'Ward 1');
    await icu.waitFor((frame) => (frame.change as { seq?: number } | undefined)?.seq === other.seq);
  });

  it('refuses a malformed subscription and keeps the one it had', async () => {
    const refused = await wards.request({ type: 'SUBSCRIBE', payload: { departments: ['ICU', 'ICU'] } });
    expect(refused).toMatchObject({ type: 'ERROR', code: 'VALIDATION_FAILED', details: [{ path: 'payload.departments', message: 'must not name a department twice' }] });
    expect(await wards.request({ type: 'PING' })).toMatchObject({ deptSeqs: { 'Ward 1': 2, 'Ward 2': 2 } });
  });
});

describe('a token limited to departments (app_metadata.departments)', () => {
  const orgId = newOrgId();
  let writer: TestClient;
  let limited: TestClient;

  beforeAll(async () => {
    writer = await TestClient.connect({ orgId, sub: 'limit-writer' });
    limited = await TestClient.connect({ token: await signToken({ app_metadata: { org_id: orgId, staff_role: 'manager', departments: ['ICU'] } }, { sub: 'limit-icu' }) });
  });
  afterAll(() => {
    writer?.close();
    limited?.close();
  });

  it('starts subscribed to its departments, and may subscribe and sync by them only', async () => {
    const ward = await writer.request({ type: 'STAFF_CREATE', payload: { staff: { id: randomUUID(), name: 'Ward one', department: 'Ward' } } });
    const icu = await writer.request({ type: 'STAFF_CREATE', payload: { staff: { id: randomUUID(), name: 'ICU one', department: 'ICU' } } });
    const icuSeq = (icu.change as { seq: number }).seq;
    await limited.waitFor((frame) => (frame.change as { seq?: number } | undefined)?.seq === icuSeq);
    const wardSeq = (ward.change as { seq: number }).seq;
    expect(limited.frames.some((frame) => (frame.change as { seq?: number } | undefined)?.seq === wardSeq)).toBe(false);
    expect(await limited.request({ type: 'PING' })).toMatchObject({ type: 'PONG', deptSeqs: { ICU: 1 } });

    expect(await limited.request({ type: 'SUBSCRIBE', payload: { departments: ['Ward'] } })).toMatchObject({ type: 'ERROR', code: 'FORBIDDEN' });
    expect(await limited.request({ type: 'SUBSCRIBE', payload: {} })).toMatchObject({ type: 'SUBSCRIBED', departments: ['ICU'] });
    expect(await limited.request({ type: 'SYNC_REQUEST' })).toMatchObject({ type: 'ERROR', code: 'FORBIDDEN' });
    expect(await limited.request({ type: 'SYNC_REQUEST', payload: { departments: ['ICU', 'Ward'] } })).toMatchObject({ type: 'ERROR', code: 'FORBIDDEN' });
    const snapshot = await limited.request({ type: 'SYNC_REQUEST', payload: { departments: ['ICU'] } });
    expect((snapshot.staff as Array<{ name: string }>).map((staff) => staff.name)).toEqual(['ICU one']);
  });
});
