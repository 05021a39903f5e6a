import { randomUUID } from 'node:crypto';
import { TestClient } from './support/client';
import { logLinesWithTokens } from './support/hygiene';
import { newOrgId } from './support/stage';
import { barrier, changeOf, createStaff, newStaff, settle, skipThrough } from './support/staff';

describe('frames and errors (docs/protocol.md §3, §4)', () => {
  const orgId = newOrgId();
  let writer: TestClient;
  let observer: TestClient;
  let outsider: TestClient;
  let outsiderWriter: TestClient;

  beforeAll(async () => {
    writer = await TestClient.connect({ orgId, role: 'manager' });
    observer = await TestClient.connect({ orgId, role: 'viewer' });
    const otherOrg = newOrgId();
    outsider = await TestClient.connect({ orgId: otherOrg, role: 'viewer' });
    outsiderWriter = await TestClient.connect({ orgId: otherOrg, role: 'admin' });
  });

  afterAll(() => {
    for (const client of [writer, observer, outsider, outsiderWriter]) client?.close();
    expect(logLinesWithTokens()).toEqual([]);
  });

  it('acknowledges a create to the sender and broadcasts it to the rest of the org only', async () => {
    await settle(observer);
    outsider.skipReceived();
    const id = randomUUID();

    const ack = await writer.request({ type: 'STAFF_CREATE', payload: { staff: newStaff({ id, name: '  Ada Lovelace ' }) } });

    expect(ack).toMatchObject({ type: 'ACK', change: { op: 'create', staffId: id, version: 1, origin: 'ws', staff: { id, orgId, name: 'Ada Lovelace', version: 1, employmentType: 'full_time', status: 'active', metadata: {} } } });
    const change = changeOf(ack);
    expect(change.at).toMatch(/Z$/);
    expect(change.staff.createdAt).toMatch(/Z$/);
    const broadcast = await observer.nextFrame();
    expect(broadcast).toEqual({ type: 'STAFF_CREATE', change });
    // The outsider's next frame is its own org's barrier: nothing of this org reached it.
    await barrier(outsiderWriter, outsider);
    // The sender got its ACK and no broadcast of its own change.
    expect(writer.frames.filter((frame) => frame.type === 'STAFF_CREATE')).toEqual([]);
  });

  it('broadcasts updates and deletes with their op', async () => {
    const { staff, seq } = await createStaff(writer);
    await skipThrough(observer, seq);

    const update = await writer.request({ type: 'STAFF_UPDATE', payload: { staffId: staff.id, baseVersion: 1, changes: { position: 'Head nurse' } } });
    const remove = await writer.request({ type: 'STAFF_DELETE', payload: { staffId: staff.id, baseVersion: 2 } });

    expect(update).toMatchObject({ type: 'ACK', change: { op: 'update', version: 2, changedFields: ['position'] } });
    expect(remove).toMatchObject({ type: 'ACK', change: { op: 'delete', version: 3, staff: { position: 'Head nurse' } } });
    expect(await observer.nextFrame()).toMatchObject({ type: 'STAFF_UPDATE', change: { seq: changeOf(update).seq } });
    expect(await observer.nextFrame()).toMatchObject({ type: 'STAFF_DELETE', change: { seq: changeOf(remove).seq } });
  });

  it('answers PING with PONG carrying the org latest seq', async () => {
    const { seq } = await createStaff(writer);

    const pong = await observer.request({ type: 'PING' });

    expect(pong).toMatchObject({ type: 'PONG', seq });
    expect(new Date(pong.serverTime as string).toISOString()).toBe(pong.serverTime);
  });

  it('answers PING without payload or requestId', async () => {
    observer.send({ type: 'PING' });
    const pong = await observer.waitFor((frame) => frame.type === 'PONG' && frame.requestId === undefined);
    expect(typeof pong.seq).toBe('number');
  });

  const badFrames: Array<[string, unknown, string]> = [
    ['text that is not JSON', '{not json', 'BAD_REQUEST'],
    ['a JSON array', '[1,2]', 'BAD_REQUEST'],
    ['a frame without type', { requestId: 'r1', payload: {} }, 'BAD_REQUEST'],
    ['a malformed requestId', { type: 'PING', requestId: 'has spaces' }, 'BAD_REQUEST'],
    ['a write without requestId', { type: 'STAFF_CREATE', payload: { staff: { name: 'x' } } }, 'BAD_REQUEST'],
    ['an unknown type', { type: 'STAFF_EXPLODE', requestId: 'r2' }, 'UNKNOWN_TYPE'],
    ['a create without name', { type: 'STAFF_CREATE', requestId: 'r3', payload: { staff: { email: 'a@b.co' } } }, 'VALIDATION_FAILED'],
    ['a create with a server-owned field', { type: 'STAFF_CREATE', requestId: 'r4', payload: { staff: { name: 'x', version: 5 } } }, 'VALIDATION_FAILED'],
    ['a create with an unknown field', { type: 'STAFF_CREATE', requestId: 'r5', payload: { staff: { name: 'x', shoeSize: 44 } } }, 'VALIDATION_FAILED'],
    ['a create with endDate before startDate', { type: 'STAFF_CREATE', requestId: 'r6', payload: { staff: { name: 'x', startDate: '2026-02-01', endDate: '2026-01-01' } } }, 'VALIDATION_FAILED'],
    ['an update with no changes', { type: 'STAFF_UPDATE', requestId: 'r7', payload: { staffId: randomUUID(), baseVersion: 1, changes: {} } }, 'VALIDATION_FAILED'],
    ['a sync with both sinceSeq and cursor', { type: 'SYNC_REQUEST', requestId: 'r8', payload: { sinceSeq: 0, cursor: 'abc' } }, 'VALIDATION_FAILED'],
    ['metadata over 8 KB', { type: 'STAFF_CREATE', requestId: 'r9', payload: { staff: { name: 'x', metadata: { blob: 'x'.repeat(9000) } } } }, 'PAYLOAD_TOO_LARGE'],
    ['an update of an unknown id', { type: 'STAFF_UPDATE', requestId: 'r10', payload: { staffId: randomUUID(), baseVersion: 1, changes: { name: 'y' } } }, 'NOT_FOUND'],
  ];

  it.each(badFrames)('answers %s with ERROR %s, keeps the socket open and changes nothing', async (_name, frame, code) => {
    await settle(observer);
    writer.skipReceived();

    writer.send(frame);
    const error = await writer.nextFrame();

    expect(error).toMatchObject({ type: 'ERROR', code, message: expect.any(String) });
    if (typeof frame === 'object' && frame && 'requestId' in frame && code !== 'BAD_REQUEST') expect(error.requestId).toBe((frame as { requestId: string }).requestId);
    if (code === 'VALIDATION_FAILED') expect(error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: expect.any(String), message: expect.any(String) })]));
    // Nothing was written: the next broadcast the observer sees is the barrier.
    await barrier(writer, observer);
  });

  it('answers a binary frame with BAD_REQUEST', async () => {
    writer.skipReceived();
    writer.socket.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await writer.nextFrame()).toMatchObject({ type: 'ERROR', code: 'BAD_REQUEST' });
  });

  it('answers a viewer write with FORBIDDEN', async () => {
    const reply = await observer.request({ type: 'STAFF_CREATE', payload: { staff: newStaff() } });
    expect(reply).toMatchObject({ type: 'ERROR', code: 'FORBIDDEN' });
  });

  it('lets a viewer read with SYNC_REQUEST', async () => {
    const reply = await observer.request({ type: 'SYNC_REQUEST', payload: {} });
    expect(reply).toMatchObject({ type: 'SYNC_RESPONSE', mode: 'snapshot', hasMore: false });
  });

  it('answers another org\'s id with the same NOT_FOUND as an unknown id, for read and write', async () => {
    const { staff } = await createStaff(writer);

    const update = await outsiderWriter.request({ type: 'STAFF_UPDATE', payload: { staffId: staff.id, baseVersion: 1, changes: { name: 'stolen' } } });
    const remove = await outsiderWriter.request({ type: 'STAFF_DELETE', payload: { staffId: staff.id, baseVersion: 1 } });
    const unknown = await outsiderWriter.request({ type: 'STAFF_DELETE', payload: { staffId: randomUUID(), baseVersion: 1 } });
    const create = await outsiderWriter.request({ type: 'STAFF_CREATE', payload: { staff: newStaff({ id: staff.id }) } });
    const createFresh = await outsiderWriter.request({ type: 'STAFF_CREATE', payload: { staff: newStaff({ id: randomUUID() }) } });

    expect(update).toMatchObject({ type: 'ERROR', code: 'NOT_FOUND' });
    expect(remove).toMatchObject({ type: 'ERROR', code: 'NOT_FOUND' });
    const strip = ({ requestId: _r, ...rest }: Record<string, unknown>) => rest;
    expect(strip(remove)).toEqual(strip(unknown));
    expect(create).toMatchObject({ type: 'ERROR', code: 'VALIDATION_FAILED' });
    expect(JSON.stringify(create)).not.toContain(orgId);
    expect(createFresh.type).toBe('ACK');
  });
});
