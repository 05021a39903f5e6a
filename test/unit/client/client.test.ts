import { connect, isStaffSyncClientError, type StaffSyncClient, type StaffSyncClientError } from '../../../client/src';
import type { Change } from '../../../shared/protocol/staff';
import { EDITING_RENEW_MS, EDITING_TTL_MS } from '../../../shared/protocol/editing';
import { FakeSocket } from './fake-socket';
import { change, staff } from './fixtures';

const URL_ = 'ws://stage.test/staff-sync';
const flush = () => jest.advanceTimersByTimeAsync(0);

interface Started {
  client: StaffSyncClient;
  socket: FakeSocket;
  tokens: jest.Mock;
  changes: Change[];
  errors: StaffSyncClientError[];
}

/** A client whose first socket is open and whose initial snapshot (at `seq`) has been answered. */
async function started({ seq = 0, records = [] as ReturnType<typeof staff>[], options = {} } = {}): Promise<Started> {
  let n = 0;
  const tokens = jest.fn(async () => `token-${++n}`);
  const client = connect(URL_, tokens, { WebSocket: FakeSocket, requestTimeoutMs: 1000, reconnect: { initialDelayMs: 100 }, ...options });
  const changes: Change[] = [];
  const errors: StaffSyncClientError[] = [];
  client.on('change', (c) => changes.push(c));
  client.on('error', (e) => errors.push(e));
  await flush();
  const socket = FakeSocket.last;
  socket.open();
  await flush();
  answerSync(socket, { mode: 'snapshot', staff: records, seq, hasMore: false });
  await flush();
  answerSync(socket, { mode: 'delta', changes: [], seq, hasMore: false });
  await flush();
  return { client, socket, tokens, changes, errors };
}

function answerSync(socket: FakeSocket, page: Record<string, unknown>): void {
  const request = socket.sentOf('SYNC_REQUEST').at(-1);
  if (!request) throw new Error('no SYNC_REQUEST to answer');
  socket.receive({ type: 'SYNC_RESPONSE', requestId: request.requestId, ...page });
}

beforeEach(() => {
  FakeSocket.reset();
  jest.useFakeTimers({ doNotFake: ['queueMicrotask', 'nextTick'] });
});
afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
});

describe('StaffSyncClient (scripted socket)', () => {
  it('starts with a snapshot, then asks for the delta since its seq', async () => {
    const record = staff({ n: 1 });
    const { client, socket } = await started({ seq: 4, records: [record] });

    const requests = socket.sentOf('SYNC_REQUEST').map((frame) => frame.payload);

    expect(requests).toEqual([{ stream: true }, { sinceSeq: 4, stream: true }]);
    expect(client.state).toMatchObject({ lastSeq: 4, synced: true });
    expect(client.get(record.id)).toEqual(record);
    await expect(client.ready()).resolves.toBeUndefined();
    client.close();
  });

  it('takes a streamed reply: every frame that says continued, then the last, without asking for the pages in between', async () => {
    const records = [staff({ n: 1 }), staff({ n: 2 }), staff({ n: 3 })];
    const client = connect(URL_, 'token', { WebSocket: FakeSocket, requestTimeoutMs: 1000 });
    await flush();
    const socket = FakeSocket.last;
    socket.open();
    await flush();
    const [first] = socket.sentOf('SYNC_REQUEST');
    for (const [i, record] of records.entries()) {
      const last = i === records.length - 1;
      socket.receive({ type: 'SYNC_RESPONSE', requestId: first?.requestId, mode: 'snapshot', staff: [record], seq: 7, hasMore: !last, ...(last ? {} : { cursor: `c${i}`, continued: true }) });
      await flush();
      // The request stays open across its frames: no cursor is asked for.
      expect(socket.sentOf('SYNC_REQUEST')).toHaveLength(last ? 2 : 1);
    }
    expect(socket.sentOf('SYNC_REQUEST').at(-1)?.payload).toEqual({ sinceSeq: 7, stream: true });
    answerSync(socket, { mode: 'delta', changes: [], seq: 7, hasMore: false });
    await client.ready();
    expect(client.list().map((record) => record.id)).toEqual(records.map((record) => record.id));
    client.close();
  });

  it('follows cursor pages of a delta', async () => {
    const { client, socket } = await started();
    const a = staff({ n: 1 });
    const b = staff({ n: 2 });

    const synced = client.sync();
    await flush();
    answerSync(socket, { mode: 'delta', changes: [change(1, a)], seq: 1, hasMore: true, cursor: 'next' });
    await flush();
    expect(socket.sentOf('SYNC_REQUEST').at(-1)?.payload).toEqual({ cursor: 'next', stream: true });
    answerSync(socket, { mode: 'delta', changes: [change(2, b)], seq: 2, hasMore: false });
    await synced;

    expect(client.state.lastSeq).toBe(2);
    expect(client.list().map((s) => s.id)).toEqual([a.id, b.id]);
    client.close();
  });

  it('assembles a paged snapshot, then applies the catch-up delta only where it is newer', async () => {
    const client = connect(URL_, 'token', { WebSocket: FakeSocket });
    const changes: Change[] = [];
    client.on('change', (c) => changes.push(c));
    await flush();
    const socket = FakeSocket.last;
    socket.open();
    await flush();
    const a = staff({ n: 1, version: 2, name: 'a v2' });
    const b = staff({ n: 2 });
    const c = staff({ n: 3 });

    answerSync(socket, { mode: 'snapshot', staff: [a], seq: 5, hasMore: true, cursor: 'page-2' });
    await flush();
    socket.receive({ type: 'STAFF_CREATE', change: change(7, c) });
    answerSync(socket, { mode: 'snapshot', staff: [b], seq: 5, hasMore: false });
    await flush();
    answerSync(socket, { mode: 'delta', changes: [change(6, { ...a, version: 2, name: 'a v2' })], seq: 6, hasMore: false });
    await flush();

    expect(socket.sentOf('SYNC_REQUEST').map((frame) => frame.payload)).toEqual([{ stream: true }, { cursor: 'page-2', stream: true }, { sinceSeq: 5, stream: true }]);
    expect(changes.map((x) => x.seq)).toEqual([6, 7]);
    expect(client.state).toMatchObject({ lastSeq: 7, synced: true });
    expect(client.list().map((x) => x.name)).toEqual(['a v2', 'Staff 2', 'Staff 3']);
    client.close();
  });

  it('asks for a delta when a gap stays open for a second, and emits changes in seq order', async () => {
    const { client, socket, changes } = await started();
    const before = socket.sentOf('SYNC_REQUEST').length;

    socket.receive({ type: 'STAFF_CREATE', change: change(2, staff({ n: 2 })) });
    await jest.advanceTimersByTimeAsync(999);
    expect(socket.sentOf('SYNC_REQUEST').length).toBe(before);
    await jest.advanceTimersByTimeAsync(1);
    expect(socket.sentOf('SYNC_REQUEST').at(-1)?.payload).toEqual({ sinceSeq: 0, stream: true });
    answerSync(socket, { mode: 'delta', changes: [change(1, staff({ n: 1 })), change(2, staff({ n: 2 }))], seq: 2, hasMore: false });
    await flush();

    expect(changes.map((c) => c.seq)).toEqual([1, 2]);
    expect(client.state).toMatchObject({ lastSeq: 2, synced: true });
    client.close();
  });

  it('needs no delta when the missing broadcast arrives within the second', async () => {
    const { client, socket, changes } = await started();
    const before = socket.sentOf('SYNC_REQUEST').length;

    socket.receive({ type: 'STAFF_CREATE', change: change(2, staff({ n: 2 })) });
    socket.receive({ type: 'STAFF_CREATE', change: change(1, staff({ n: 1 })) });
    await jest.advanceTimersByTimeAsync(2000);

    expect(changes.map((c) => c.seq)).toEqual([1, 2]);
    expect(socket.sentOf('SYNC_REQUEST').length).toBe(before);
    client.close();
  });

  it('sends a PING every heartbeat and asks for a delta when the PONG is ahead', async () => {
    const { client, socket } = await started({ options: { heartbeatSeconds: 30 } });

    await jest.advanceTimersByTimeAsync(30_000);
    const ping = socket.sentOf('PING').at(-1);
    socket.receive({ type: 'PONG', requestId: ping?.requestId, serverTime: 'now', seq: 3 });
    await flush();

    expect(socket.sentOf('SYNC_REQUEST').at(-1)?.payload).toEqual({ sinceSeq: 0, stream: true });
    client.close();
  });

  it('replaces a socket whose PING gets no PONG', async () => {
    const { client, socket } = await started({ options: { heartbeatSeconds: 30 } });

    await jest.advanceTimersByTimeAsync(30_000 + 1000);
    await jest.advanceTimersByTimeAsync(200);

    expect(socket.closedWith).toBe(4000);
    expect(FakeSocket.instances.length).toBe(2);
    client.close();
  });

  it('reports a frame that is not the protocol as an error event and carries on', async () => {
    const { client, socket, errors } = await started();

    socket.receive({ message: 'Internal server error', connectionId: 'c=', requestId: 'r=' });

    expect(errors.map((e) => e.code)).toEqual(['BAD_FRAME']);
    expect(client.status).toBe('open');
    client.close();
  });

  it('creates with a client-chosen UUID and applies the ACK at once', async () => {
    const { client, socket, changes } = await started();

    const created = client.create({ name: 'Ada' });
    await flush();
    const frame = socket.sentOf('STAFF_CREATE')[0]!;
    const record = staff({ id: frame.payload.staff.id, name: 'Ada' });
    socket.receive({ type: 'ACK', requestId: frame.requestId, change: change(1, record) });

    expect(frame.payload.staff.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(frame.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await created).staff.name).toBe('Ada');
    expect(client.get(record.id)?.name).toBe('Ada');
    expect(changes.map((c) => c.seq)).toEqual([1]);
    client.close();
  });

  it('bases an update on the local version and rejects an id it does not know', async () => {
    const record = staff({ n: 1, version: 3 });
    const { client, socket } = await started({ seq: 3, records: [record] });

    void client.update(record.id, { name: 'x' });
    const unknown = client.update(staff({ n: 99 }).id, { name: 'x' });
    await flush();

    expect(socket.sentOf('STAFF_UPDATE')[0]?.payload.baseVersion).toBe(3);
    await expect(unknown).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(socket.sentOf('STAFF_UPDATE').length).toBe(1);
    client.close();
  });

  it('sends a second write to a record only after the first is acknowledged, based on its result', async () => {
    const record = staff({ n: 1 });
    const { client, socket } = await started({ seq: 1, records: [record] });

    const first = client.update(record.id, { name: 'one' });
    const second = client.update(record.id, { position: 'two' });
    await flush();
    expect(socket.sentOf('STAFF_UPDATE').length).toBe(1);
    const v2 = { ...record, version: 2, name: 'one' };
    socket.receive({ type: 'ACK', requestId: socket.sentOf('STAFF_UPDATE')[0]!.requestId, change: change(2, v2) });
    await first;
    await flush();

    expect(socket.sentOf('STAFF_UPDATE')[1]?.payload).toMatchObject({ baseVersion: 2, changes: { position: 'two' } });
    socket.receive({ type: 'ACK', requestId: socket.sentOf('STAFF_UPDATE')[1]!.requestId, change: change(3, { ...v2, version: 3 }) });
    await second;
    client.close();
  });

  it('rejects a conflict with a typed error carrying current, and learns current', async () => {
    const record = staff({ n: 1 });
    const { client, socket } = await started({ seq: 1, records: [record] });
    const current = { ...record, version: 2, name: 'theirs' };

    const update = client.update(record.id, { name: 'mine' });
    await flush();
    socket.receive({ type: 'ERROR', requestId: socket.sentOf('STAFF_UPDATE')[0]!.requestId, code: 'VERSION_CONFLICT', message: 'changed', current });
    const error = await update.catch((e: unknown) => e);

    expect(isStaffSyncClientError(error) && error.code).toBe('VERSION_CONFLICT');
    expect((error as StaffSyncClientError).current).toEqual(current);
    expect(client.get(record.id)?.name).toBe('theirs');
    client.close();
  });

  it('resolves a no-op update with null', async () => {
    const record = staff({ n: 1 });
    const { client, socket } = await started({ seq: 1, records: [record] });

    const update = client.update(record.id, { name: record.name });
    await flush();
    socket.receive({ type: 'ACK', requestId: socket.sentOf('STAFF_UPDATE')[0]!.requestId, change: null, current: record });

    await expect(update).resolves.toBeNull();
    client.close();
  });

  it('retries a write with the same requestId after a timeout and after UPSTREAM_UNAVAILABLE', async () => {
    const { client, socket } = await started();
    jest.spyOn(Math, 'random').mockReturnValue(0.5);

    const created = client.create({ name: 'Ada' });
    await flush();
    await jest.advanceTimersByTimeAsync(1000);
    const [first, second] = socket.sentOf('STAFF_CREATE');
    socket.receive({ type: 'ERROR', requestId: first!.requestId, code: 'UPSTREAM_UNAVAILABLE', message: 'db' });
    await jest.advanceTimersByTimeAsync(500);
    const sent = socket.sentOf('STAFF_CREATE');
    socket.receive({ type: 'ACK', requestId: first!.requestId, change: change(1, staff({ id: first!.payload.staff.id })) });

    expect(sent.length).toBe(3);
    expect(new Set(sent.map((f) => f.requestId)).size).toBe(1);
    expect(second).toEqual(first);
    await expect(created).resolves.toMatchObject({ seq: 1 });
    client.close();
  });

  it('gives up on a write after maxWriteAttempts timeouts with TIMEOUT', async () => {
    const { client, socket } = await started({ options: { maxWriteAttempts: 2 } });

    const created = client.create({ name: 'Ada' });
    created.catch(() => undefined);
    await flush();
    await jest.advanceTimersByTimeAsync(2000);

    await expect(created).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(socket.sentOf('STAFF_CREATE').length).toBe(2);
    client.close();
  });

  it('sends a write in flight during a drop again on the next socket, with the same requestId', async () => {
    const { client, socket, tokens } = await started();

    const created = client.create({ name: 'Ada' });
    await flush();
    socket.drop();
    await jest.advanceTimersByTimeAsync(200);
    const next = FakeSocket.last;
    next.open();
    await flush();
    const resent = next.sentOf('STAFF_CREATE')[0];

    expect(next).not.toBe(socket);
    expect(next.token).toBe('token-2');
    expect(tokens).toHaveBeenLastCalledWith({ forceRefresh: false });
    expect(resent?.requestId).toBe(socket.sentOf('STAFF_CREATE')[0]?.requestId);
    expect(next.sentOf('SYNC_REQUEST').at(-1)?.payload).toEqual({ sinceSeq: 0, stream: true });
    next.receive({ type: 'ACK', requestId: resent!.requestId, change: change(1, staff({ id: resent!.payload.staff.id })) });
    await expect(created).resolves.toMatchObject({ seq: 1 });
    client.close();
  });

  it('reconnects with a forced fresh token after TOKEN_EXPIRED, and the write goes through', async () => {
    const { client, socket, tokens } = await started();

    const created = client.create({ name: 'Ada' });
    await flush();
    const frame = socket.sentOf('STAFF_CREATE')[0]!;
    socket.receive({ type: 'ERROR', requestId: frame.requestId, code: 'TOKEN_EXPIRED', message: 'expired' });
    await jest.advanceTimersByTimeAsync(200);
    FakeSocket.last.open();
    await flush();
    FakeSocket.last.receive({ type: 'ACK', requestId: frame.requestId, change: change(1, staff({ id: frame.payload.staff.id })) });

    expect(socket.closedWith).toBe(4000);
    expect(tokens).toHaveBeenLastCalledWith({ forceRefresh: true });
    expect(FakeSocket.last.sentOf('STAFF_CREATE')[0]?.requestId).toBe(frame.requestId);
    await expect(created).resolves.toMatchObject({ seq: 1 });
    client.close();
  });

  it('backs off after refused handshakes and then forces a token refresh', async () => {
    const tokens = jest.fn(async (_context: { forceRefresh: boolean }) => 'token');
    const errors: string[] = [];
    const client = connect(URL_, tokens, { WebSocket: FakeSocket, reconnect: { initialDelayMs: 100, forceRefreshAfter: 2 } });
    client.on('error', (e) => errors.push(e.code));

    for (let i = 0; i < 3; i++) {
      await flush();
      FakeSocket.last.refuse();
      await jest.advanceTimersByTimeAsync(100 * 2 ** i);
    }

    expect(tokens.mock.calls.map(([context]) => context)).toEqual([{ forceRefresh: false }, { forceRefresh: false }, { forceRefresh: true }, { forceRefresh: true }]);
    expect(errors).toEqual(['HANDSHAKE_FAILED', 'HANDSHAKE_FAILED', 'HANDSHAKE_FAILED']);
    expect(client.status).toBe('connecting');
    client.close();
    expect(client.status).toBe('closed');
  });

  it('rejects pending calls with CLOSED when closed', async () => {
    const { client } = await started();

    const created = client.create({ name: 'Ada' });
    await flush();
    client.close();

    await expect(created).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(client.sync()).rejects.toMatchObject({ code: 'CLOSED' });
  });
});

describe('client.presence (scripted socket)', () => {
  const STAFF_ID = '0b3a2a9e-8f1c-4d2e-9a7b-1c2d3e4f5a6b';
  const member = (memberId: string, editing: { staffId: string; at: string } | null = null) => ({
    memberId,
    userId: `user-${memberId}`,
    role: 'manager' as const,
    connectedAt: `2026-12-07T10:00:0${memberId.length % 10}.000Z`,
    editing,
  });
  const answerPresence = (socket: FakeSocket, members: unknown[], self = 'me') =>
    socket.receive({ type: 'PRESENCE', requestId: socket.sentOf('PRESENCE_REQUEST').at(-1)!.requestId, event: 'snapshot', self, members });

  it('keeps members from the snapshot and the events after it, and tells each change', async () => {
    const { client, socket } = await started();
    const told: string[][] = [];
    client.on('presence', (members) => told.push(members.map((m) => m.memberId)));
    const watched = client.presence.watch();
    await flush();
    // An event that overtook the snapshot is applied again over it.
    socket.receive({ type: 'PRESENCE', event: 'join', member: member('late') });
    answerPresence(socket, [member('me'), member('bo')]);
    expect((await watched).map((m) => m.memberId).sort()).toEqual(['bo', 'late', 'me']);
    expect(client.presence.self).toBe('me');

    socket.receive({ type: 'PRESENCE', event: 'leave', memberId: 'bo' });
    socket.receive({ type: 'PRESENCE', event: 'update', member: member('late', { staffId: STAFF_ID, at: '2026-12-07T10:01:00.000Z' }) });
    expect([...client.presence.members.keys()].sort()).toEqual(['late', 'me']);
    expect(client.presence.members.get('late')?.editing?.staffId).toBe(STAFF_ID);
    expect(told.at(-1)?.sort()).toEqual(['late', 'me']);
    client.close();
  });

  it("drops a member's marker EDITING_TTL_MS after it arrived unless it is said again", async () => {
    // No heartbeat in these minutes: an unanswered PING would replace the socket.
    const { client, socket } = await started({ options: { heartbeatSeconds: 540 } });
    const watched = client.presence.watch();
    await flush();
    answerPresence(socket, [member('me'), member('ed', { staffId: STAFF_ID, at: '2026-12-07T10:00:00.000Z' })]);
    await watched;
    await jest.advanceTimersByTimeAsync(EDITING_TTL_MS - 10_000);
    socket.receive({ type: 'PRESENCE', event: 'update', member: member('ed', { staffId: STAFF_ID, at: '2026-12-07T10:01:50.000Z' }) });
    await jest.advanceTimersByTimeAsync(20_000);
    expect(client.presence.members.get('ed')?.editing?.staffId).toBe(STAFF_ID);
    await jest.advanceTimersByTimeAsync(EDITING_TTL_MS);
    expect(client.presence.members.get('ed')?.editing).toBeNull();
    client.close();
  });

  it('says what it edits again every EDITING_RENEW_MS and after a reconnect, until told null', async () => {
    const { client, socket } = await started({ options: { heartbeatSeconds: 540 } });
    const answerEditing = (on: FakeSocket) => {
      const frame = on.sentOf('PRESENCE_EDITING').at(-1)!;
      on.receive({ type: 'PRESENCE', requestId: frame.requestId, event: 'update', member: member('me', frame.payload.staffId ? { staffId: frame.payload.staffId, at: 'now' } : null) });
    };
    const said = client.presence.editing(STAFF_ID);
    await flush();
    answerEditing(socket);
    await said;
    expect(socket.sentOf('PRESENCE_EDITING').map((frame) => frame.payload)).toEqual([{ staffId: STAFF_ID }]);

    await jest.advanceTimersByTimeAsync(EDITING_RENEW_MS);
    answerEditing(socket);
    expect(socket.sentOf('PRESENCE_EDITING')).toHaveLength(2);

    socket.drop();
    await jest.advanceTimersByTimeAsync(1000);
    const next = FakeSocket.last;
    next.open();
    await flush();
    expect(next.sentOf('PRESENCE_EDITING').map((frame) => frame.payload)).toEqual([{ staffId: STAFF_ID }]);
    answerEditing(next);

    const cleared = client.presence.editing(null);
    await flush();
    answerEditing(next);
    await cleared;
    await jest.advanceTimersByTimeAsync(EDITING_RENEW_MS * 3);
    expect(next.sentOf('PRESENCE_EDITING').map((frame) => frame.payload)).toEqual([{ staffId: STAFF_ID }, { staffId: null }]);
    client.close();
  });

  it('neither renews nor re-sends a marker the server refused', async () => {
    const { client, socket } = await started({ options: { heartbeatSeconds: 540 } });
    const said = client.presence.editing(STAFF_ID);
    await flush();
    socket.receive({ type: 'ERROR', requestId: socket.sentOf('PRESENCE_EDITING')[0]!.requestId, code: 'FORBIDDEN', message: 'role viewer may not send PRESENCE_EDITING' });
    await expect(said).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await jest.advanceTimersByTimeAsync(EDITING_RENEW_MS * 2);
    socket.drop();
    await jest.advanceTimersByTimeAsync(1000);
    FakeSocket.last.open();
    await flush();
    expect(socket.sentOf('PRESENCE_EDITING')).toHaveLength(1);
    expect(FakeSocket.last.sentOf('PRESENCE_EDITING')).toHaveLength(0);
    client.close();
  });

  it('asks for a new snapshot on every reconnect once watching', async () => {
    const { client, socket } = await started();
    const watched = client.presence.watch();
    await flush();
    answerPresence(socket, [member('me')]);
    await watched;
    socket.drop();
    await jest.advanceTimersByTimeAsync(1000);
    const next = FakeSocket.last;
    next.open();
    await flush();
    expect(next.sentOf('PRESENCE_REQUEST')).toHaveLength(1);
    answerPresence(next, [member('me-again')], 'me-again');
    await flush();
    expect(client.presence.self).toBe('me-again');
    expect([...client.presence.members.keys()]).toEqual(['me-again']);
    client.close();
  });
});

describe('client.subscribe (scripted socket)', () => {
  const inDept = (seq: number, record: ReturnType<typeof staff>, deptSeqs: Record<string, number>): Change => ({ ...change(seq, record), deptSeqs });

  function answerSubscribe(socket: FakeSocket, departments: string[] | null, deptSeqs: Record<string, number> = {}): void {
    const request = socket.sentOf('SUBSCRIBE').at(-1);
    if (!request) throw new Error('no SUBSCRIBE to answer');
    socket.receive({ type: 'SUBSCRIBED', requestId: request.requestId, departments, seq: 50, deptSeqs });
  }

  /** A client following ICU from a snapshot at ICU position `at`. */
  async function subscribed(at = 3, options = {}) {
    const run = await started({ options });
    const done = run.client.subscribe(['ICU', ' ICU ']);
    await flush();
    expect(run.socket.sentOf('SUBSCRIBE').at(-1)?.payload).toEqual({ departments: ['ICU'] });
    answerSubscribe(run.socket, ['ICU'], { ICU: at });
    await flush();
    answerSync(run.socket, { mode: 'snapshot', staff: [staff({ n: 1, department: 'ICU' })], seq: 50, deptSeqs: { ICU: at }, hasMore: false });
    await flush();
    answerSync(run.socket, { mode: 'delta', changes: [], seq: 50, deptSeqs: { ICU: at }, hasMore: false });
    await done;
    return run;
  }

  it('subscribes, takes a snapshot of its departments and a delta from their positions, and drops the other records', async () => {
    const { client, socket } = await started({ records: [staff({ n: 9, department: 'Lab' })] });
    const done = client.subscribe(['ICU']);
    await flush();
    answerSubscribe(socket, ['ICU'], { ICU: 3 });
    await flush();
    answerSync(socket, { mode: 'snapshot', staff: [staff({ n: 1, department: 'ICU' })], seq: 50, deptSeqs: { ICU: 3 }, hasMore: true, cursor: 'c1' });
    await flush();
    answerSync(socket, { mode: 'snapshot', staff: [staff({ n: 2, department: 'ICU' })], seq: 50, deptSeqs: { ICU: 3 }, hasMore: false });
    await flush();
    answerSync(socket, { mode: 'delta', changes: [inDept(51, staff({ n: 3, department: 'ICU' }), { ICU: 4 })], seq: 51, deptSeqs: { ICU: 4 }, hasMore: false });
    await done;

    const requests = socket.sentOf('SYNC_REQUEST').map((frame) => frame.payload);
    expect(requests.slice(2)).toEqual([{ departments: ['ICU'] }, { departments: ['ICU'], cursor: 'c1' }, { departments: ['ICU'], sinceDeptSeqs: { ICU: 3 } }]);
    expect(client.state).toMatchObject({ departments: ['ICU'], deptSeqs: { ICU: 4 }, synced: true });
    expect(client.list().map((record) => record.name)).toEqual(['Staff 1', 'Staff 2', 'Staff 3']);
    client.close();
  });

  it('heals a gap in one department with a delta by departments, and ignores the departments it does not follow', async () => {
    const { client, socket, changes } = await subscribed(3);
    const before = socket.sentOf('SYNC_REQUEST').length;

    socket.receive({ type: 'STAFF_CREATE', change: inDept(60, staff({ n: 5, department: 'Lab' }), { Lab: 9 }) });
    await jest.advanceTimersByTimeAsync(2000);
    expect(socket.sentOf('SYNC_REQUEST')).toHaveLength(before);
    socket.receive({ type: 'STAFF_CREATE', change: inDept(62, staff({ n: 6, department: 'ICU' }), { ICU: 5 }) });
    await jest.advanceTimersByTimeAsync(1000);

    expect(socket.sentOf('SYNC_REQUEST').at(-1)?.payload).toEqual({ departments: ['ICU'], sinceDeptSeqs: { ICU: 3 } });
    answerSync(socket, { mode: 'delta', changes: [inDept(61, staff({ n: 7, department: 'ICU' }), { ICU: 4 }), inDept(62, staff({ n: 6, department: 'ICU' }), { ICU: 5 })], seq: 62, deptSeqs: { ICU: 5 }, hasMore: false });
    await flush();
    expect(changes.map((c) => c.seq)).toEqual([61, 62]);
    expect(client.state).toMatchObject({ deptSeqs: { ICU: 5 }, synced: true });
    expect(client.get(staff({ n: 5 }).id)).toBeUndefined();
    client.close();
  });

  it("asks for a delta when a PONG tells a department's position ahead", async () => {
    const { client, socket } = await subscribed(3, { heartbeatSeconds: 30 });

    await jest.advanceTimersByTimeAsync(30_000);
    const ping = socket.sentOf('PING').at(-1);
    socket.receive({ type: 'PONG', requestId: ping?.requestId, serverTime: 'now', seq: 99, deptSeqs: { ICU: 4 } });
    await flush();

    expect(socket.sentOf('SYNC_REQUEST').at(-1)?.payload).toEqual({ departments: ['ICU'], sinceDeptSeqs: { ICU: 3 } });
    client.close();
  });

  it('subscribes again on the next socket before catching up from its positions', async () => {
    const { client, socket } = await subscribed(3);
    socket.drop();
    await jest.advanceTimersByTimeAsync(1000);
    const next = FakeSocket.last;
    next.open();
    await flush();

    expect(next.sent.map((frame) => frame.type)).toEqual(['SUBSCRIBE']);
    answerSubscribe(next, ['ICU'], { ICU: 3 });
    await flush();
    expect(next.sentOf('SYNC_REQUEST').map((frame) => frame.payload)).toEqual([{ departments: ['ICU'], sinceDeptSeqs: { ICU: 3 } }]);
    client.close();
  });

  it("follows a limited token's departments when a whole-org sync is refused", async () => {
    const client = connect(URL_, 'token', { WebSocket: FakeSocket, requestTimeoutMs: 1000 });
    await flush();
    const socket = FakeSocket.last;
    socket.open();
    await flush();
    const refused = socket.sentOf('SYNC_REQUEST').at(-1);
    socket.receive({ type: 'ERROR', requestId: refused?.requestId, code: 'FORBIDDEN', message: 'this token may sync only its departments' });
    await flush();

    expect(socket.sentOf('SUBSCRIBE').at(-1)?.payload).toEqual({});
    answerSubscribe(socket, ['ICU', 'Ward'], { ICU: 1, Ward: 0 });
    await flush();
    expect(socket.sentOf('SYNC_REQUEST').at(-1)?.payload).toEqual({ departments: ['ICU', 'Ward'] });
    answerSync(socket, { mode: 'snapshot', staff: [], seq: 9, deptSeqs: { ICU: 1, Ward: 0 }, hasMore: false });
    await flush();
    answerSync(socket, { mode: 'delta', changes: [], seq: 9, deptSeqs: { ICU: 1, Ward: 0 }, hasMore: false });
    await expect(client.ready()).resolves.toBeUndefined();
    expect(client.state.departments).toEqual(['ICU', 'Ward']);
    client.close();
  });

  it('goes back to the whole org with a snapshot of it', async () => {
    const { client, socket } = await subscribed(3);
    const done = client.subscribe(null);
    await flush();
    expect(socket.sentOf('SUBSCRIBE').at(-1)?.payload).toEqual({});
    answerSubscribe(socket, null);
    await flush();
    expect(socket.sentOf('SYNC_REQUEST').at(-1)?.payload).toEqual({ stream: true });
    answerSync(socket, { mode: 'snapshot', staff: [staff({ n: 8, department: 'Lab' })], seq: 70, hasMore: false });
    await flush();
    answerSync(socket, { mode: 'delta', changes: [], seq: 70, hasMore: false });
    await done;
    expect(client.state).toMatchObject({ departments: null, lastSeq: 70, deptSeqs: {} });
    expect(client.list().map((record) => record.name)).toEqual(['Staff 8']);
    client.close();
  });

  it('refuses a department name the server would refuse, before sending anything', async () => {
    const { client, socket } = await started();
    await expect(client.subscribe([''])).rejects.toThrow(RangeError);
    expect(() => connect(URL_, 'token', { WebSocket: FakeSocket, departments: ['x'.repeat(101)] })).toThrow(/1–100 characters/);
    expect(socket.sentOf('SUBSCRIBE')).toHaveLength(0);
    client.close();
  });
});
