import { randomUUID } from 'node:crypto';
import { TestClient } from './support/client';
import { logLinesWithTokens } from './support/hygiene';
import { newOrgId } from './support/stage';
import { barrier, changeOf, createStaff, newStaff, settle, skipThrough } from './support/staff';

describe('versions, conflicts and idempotency (docs/protocol.md §6, §8)', () => {
  const orgId = newOrgId();
  let a: TestClient;
  let b: TestClient;
  let observer: TestClient;

  beforeAll(async () => {
    a = await TestClient.connect({ orgId });
    b = await TestClient.connect({ orgId, role: 'admin' });
    observer = await TestClient.connect({ orgId, role: 'viewer' });
  });
  afterAll(() => {
    for (const client of [a, b, observer]) client?.close();
    expect(logLinesWithTokens()).toEqual([]);
  });

  const update = (client: TestClient, staffId: unknown, baseVersion: number, changes: Record<string, unknown>, requestId?: string) =>
    client.request({ type: 'STAFF_UPDATE', payload: { staffId, baseVersion, changes }, ...(requestId ? { requestId } : {}) });

  it('merges an update on an older version that touches other fields', async () => {
    const { staff } = await createStaff(a);
    await update(a, staff.id, 1, { phone: '+1 555 0100' });

    const merged = await update(b, staff.id, 1, { department: 'ICU' });

    expect(merged).toMatchObject({ type: 'ACK', merged: true, change: { version: 3, changedFields: ['department'], staff: { phone: '+1 555 0100', department: 'ICU' } } });
  });

  it('refuses an update on an older version that touches a changed field, with the current record', async () => {
    const { staff } = await createStaff(a);
    await update(a, staff.id, 1, { position: 'Charge nurse' });

    const conflict = await update(b, staff.id, 1, { position: 'Midwife' });

    expect(conflict).toMatchObject({ type: 'ERROR', code: 'VERSION_CONFLICT', current: { id: staff.id, version: 2, position: 'Charge nurse' } });
  });

  it('treats an endDate before a startDate changed since as a conflict on the merged record', async () => {
    const { staff } = await createStaff(a, { startDate: '2026-01-01' });
    await update(a, staff.id, 1, { startDate: '2026-06-01' });

    const conflict = await update(b, staff.id, 1, { endDate: '2026-03-01' });

    expect(conflict).toMatchObject({ type: 'ERROR', code: 'VERSION_CONFLICT' });
  });

  it('answers a no-op update with change null and the current record, and broadcasts nothing', async () => {
    const { staff, seq } = await createStaff(a, { position: 'Porter' });
    await skipThrough(observer, seq);

    const noop = await update(a, staff.id, 1, { position: 'Porter' });

    expect(noop).toMatchObject({ type: 'ACK', change: null, current: { id: staff.id, version: 1 } });
    await barrier(a, observer);
  });

  it('refuses a baseVersion ahead of the record', async () => {
    const { staff } = await createStaff(a);
    expect(await update(a, staff.id, 7, { name: 'Later' })).toMatchObject({ type: 'ERROR', code: 'VALIDATION_FAILED' });
  });

  it('refuses a delete on a stale version, then deletes for good', async () => {
    const { staff } = await createStaff(a);
    await update(a, staff.id, 1, { name: 'Renamed' });

    const stale = await a.request({ type: 'STAFF_DELETE', payload: { staffId: staff.id, baseVersion: 1 } });
    const removed = await a.request({ type: 'STAFF_DELETE', payload: { staffId: staff.id, baseVersion: 2 } });
    const again = await update(a, staff.id, 3, { name: 'Ghost' });
    const recreate = await a.request({ type: 'STAFF_CREATE', payload: { staff: newStaff({ id: staff.id }) } });

    expect(stale).toMatchObject({ type: 'ERROR', code: 'VERSION_CONFLICT', current: { version: 2 } });
    expect(removed).toMatchObject({ type: 'ACK', change: { op: 'delete', version: 3, staff: { name: 'Renamed' } } });
    expect(again).toMatchObject({ type: 'ERROR', code: 'NOT_FOUND' });
    expect(recreate).toMatchObject({ type: 'ERROR', code: 'VALIDATION_FAILED' });
  });

  it('replays a repeated requestId with the original ACK and no second broadcast', async () => {
    const requestId = randomUUID();
    const frame = { type: 'STAFF_CREATE', requestId, payload: { staff: newStaff({ id: randomUUID() }) } };
    await settle(observer);

    const first = await a.request(frame);
    a.frames.splice(a.frames.indexOf(first), 1);
    const second = await a.request(frame);

    expect(first.type).toBe('ACK');
    expect(changeOf(second).seq).toBe(changeOf(first).seq);
    expect(await observer.nextFrame()).toMatchObject({ change: { seq: changeOf(first).seq } });
    await barrier(a, observer);
  });

  it('refuses a requestId reused for a different request', async () => {
    const requestId = randomUUID();
    await a.request({ type: 'STAFF_CREATE', requestId, payload: { staff: newStaff() } });

    a.send({ type: 'STAFF_CREATE', requestId, payload: { staff: newStaff({ name: 'Someone else' }) } });
    const reused = await a.waitFor((frame) => frame.requestId === requestId && frame.type === 'ERROR');

    expect(reused).toMatchObject({ type: 'ERROR', code: 'VALIDATION_FAILED', details: [expect.objectContaining({ path: 'requestId' })] });
  });

  it('gives every committed change of the org the next seq, with no gaps', async () => {
    const acks = await Promise.all(Array.from({ length: 10 }, () => createStaff(a)));
    const seqs = acks.map((ack) => ack.seq).sort((x, y) => x - y);

    expect(seqs).toEqual(Array.from({ length: 10 }, (_, i) => seqs[0]! + i));
  });
});
