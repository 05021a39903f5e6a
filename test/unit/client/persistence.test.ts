/**
 * Persistence of the replica and of unanswered writes (the `storage` option), with a scripted
 * socket and the in-memory storage: a restarted client shows its data before it connects, catches
 * up with a delta, and sends a write made offline once, with its original requestId.
 */
import { connect, type StaffSyncClient, type StaffSyncClientError } from '../../../client/src';
import { memoryStorage, type ClientStorage } from '../../../client/src/persistence';
import { FakeSocket } from './fake-socket';
import { change, staff } from './fixtures';

const URL_ = 'ws://stage.test/staff-sync';
const flush = () => jest.advanceTimersByTimeAsync(0);

function client(storage: ClientStorage, errors: StaffSyncClientError[] = [], departments?: string[]): StaffSyncClient {
  const created = connect(URL_, 'token', { WebSocket: FakeSocket, storage, requestTimeoutMs: 1000, reconnect: { initialDelayMs: 100 }, ...(departments ? { departments } : {}) });
  created.on('error', (error) => errors.push(error));
  return created;
}

function answerSync(socket: FakeSocket, page: Record<string, unknown>): void {
  const request = socket.sentOf('SYNC_REQUEST').at(-1);
  if (!request) throw new Error('no SYNC_REQUEST to answer');
  socket.receive({ type: 'SYNC_RESPONSE', requestId: request.requestId, ...page });
}

/** Opens the newest socket and answers its first sync: a snapshot (when asked) and the empty delta after it. */
async function openAndSync(seq: number, records: ReturnType<typeof staff>[] = []): Promise<FakeSocket> {
  await flush();
  const socket = FakeSocket.last;
  socket.open();
  await flush();
  if (socket.sentOf('SYNC_REQUEST').at(-1)?.payload?.sinceSeq === undefined) {
    answerSync(socket, { mode: 'snapshot', staff: records, seq, hasMore: false });
    await flush();
  }
  answerSync(socket, { mode: 'delta', changes: [], seq, hasMore: false });
  await flush();
  return socket;
}

beforeEach(() => {
  FakeSocket.reset();
  jest.useFakeTimers({ doNotFake: ['queueMicrotask', 'nextTick'] });
});
afterEach(() => jest.useRealTimers());

describe('StaffSyncClient with storage', () => {
  it('saves the replica as of its seq, and a new client starts from it with a delta', async () => {
    const storage = memoryStorage();
    const kept = staff({ n: 1 });
    const gone = staff({ n: 2 });
    const first = client(storage);
    const socket = await openAndSync(2, [kept, gone]);
    socket.receive({ type: 'STAFF_DELETE', change: change(3, { ...gone, version: 2 }, 'delete') });
    await first.flush();

    expect(storage.saved).toMatchObject({ format: 1, lastSeq: 3, staff: [kept], tombstones: [[gone.id, 2]], pending: [] });
    first.close();

    const second = client(storage);
    await flush();
    expect(second.state.lastSeq).toBe(3);
    expect(second.get(kept.id)).toEqual(kept);
    expect(second.state.synced).toBe(false);

    const next = await openAndSync(3);
    expect(next.sentOf('SYNC_REQUEST').map((frame) => frame.payload)).toEqual([{ sinceSeq: 3, stream: true }]);
    expect(second.state.synced).toBe(true);
    // The tombstone came along: an old broadcast of the deleted record does not bring it back.
    next.receive({ type: 'STAFF_UPDATE', change: change(2, gone) });
    await flush();
    expect(second.get(gone.id)).toBeUndefined();
    second.close();
  });

  it('keeps a write made offline and sends it once, with its requestId, from the next client', async () => {
    const storage = memoryStorage();
    const first = client(storage);
    await flush();
    FakeSocket.last.refuse();
    const offline = first.create({ name: 'Written offline' });
    await flush();

    const saved = storage.saved?.pending ?? [];
    expect(saved).toHaveLength(1);
    expect(saved[0]).toMatchObject({ type: 'STAFF_CREATE', payload: { staff: { name: 'Written offline' } } });
    first.close();
    await expect(offline).rejects.toMatchObject({ code: 'CLOSED' });
    await flush();
    expect(storage.saved?.pending).toEqual(saved);

    const second = client(storage);
    const socket = await openAndSync(0);
    const sent = socket.sentOf('STAFF_CREATE');
    expect(sent).toEqual([saved[0]]);

    const record = staff({ id: sent[0]!.payload.staff.id, name: 'Written offline' });
    socket.receive({ type: 'ACK', requestId: sent[0]!.requestId, change: change(1, record) });
    await flush();
    await second.flush();
    expect(second.get(record.id)).toEqual(record);
    expect(storage.saved).toMatchObject({ lastSeq: 1, pending: [] });
    second.close();
  });

  it('waits for the saved replica before it frames an update against it', async () => {
    const storage = memoryStorage();
    const record = staff({ n: 3, version: 4 });
    storage.save({ format: 1, lastSeq: 9, staff: [record], tombstones: [], pending: [] });
    const restarted = client(storage);
    const update = restarted.update(record.id, { position: 'Charge nurse' });

    const socket = await openAndSync(9);
    const [frame] = socket.sentOf('STAFF_UPDATE');
    expect(frame?.payload).toEqual({ staffId: record.id, baseVersion: 4, changes: { position: 'Charge nurse' } });
    socket.receive({ type: 'ACK', requestId: frame!.requestId, change: change(10, { ...record, version: 5, position: 'Charge nurse' }) });
    await expect(update).resolves.toMatchObject({ seq: 10, version: 5 });
    restarted.close();
  });

  it('reports a saved write the server then refuses as an error event', async () => {
    const storage = memoryStorage();
    const record = staff({ n: 4, version: 2 });
    const frame = { type: 'STAFF_DELETE' as const, requestId: 'saved-delete-1', payload: { staffId: record.id, baseVersion: 1 } };
    storage.save({ format: 1, lastSeq: 5, staff: [record], tombstones: [], pending: [frame] });
    const errors: StaffSyncClientError[] = [];
    const restarted = client(storage, errors);

    const socket = await openAndSync(5);
    expect(socket.sentOf('STAFF_DELETE')).toEqual([frame]);
    socket.receive({ type: 'ERROR', requestId: frame.requestId, code: 'VERSION_CONFLICT', message: 'stale', current: record });
    await flush();
    await restarted.flush();

    expect(errors.map((error) => [error.code, error.requestId])).toEqual([['VERSION_CONFLICT', frame.requestId]]);
    expect(storage.saved?.pending).toEqual([]);
    restarted.close();
  });

  it('starts empty, with a snapshot, when the storage cannot load, and says so', async () => {
    const broken: ClientStorage = {
      load: () => Promise.reject(new Error('quota exceeded')),
      save: () => undefined,
      clear: () => undefined,
    };
    const errors: StaffSyncClientError[] = [];
    const started = client(broken, errors);
    const socket = await openAndSync(0);

    expect(errors.map((error) => error.code)).toEqual(['STORAGE_FAILED']);
    expect(errors[0]?.message).toContain('quota exceeded');
    expect(socket.sentOf('SYNC_REQUEST').map((frame) => frame.payload)).toEqual([{ stream: true }, { sinceSeq: 0, stream: true }]);
    started.close();
  });

  it('leaves the saved state alone when closed before it was loaded', async () => {
    const storage = memoryStorage();
    const record = staff({ n: 5 });
    const frame = { type: 'STAFF_DELETE' as const, requestId: 'saved-delete-2', payload: { staffId: record.id, baseVersion: 1 } };
    storage.save({ format: 1, lastSeq: 8, staff: [record], tombstones: [], pending: [frame] });
    let release = () => undefined as void;
    const slow: ClientStorage = { ...storage, load: () => new Promise((resolve) => (release = () => resolve(storage.load()))) };
    const closedEarly = client(slow);
    closedEarly.close();
    release();
    await flush();
    await closedEarly.flush();

    expect(storage.saved).toEqual({ format: 1, lastSeq: 8, staff: [record], tombstones: [], pending: [frame] });
    expect(FakeSocket.instances).toHaveLength(0);
  });

  it('ignores a saved state of another format', async () => {
    const storage = memoryStorage();
    await storage.save({ format: 99, lastSeq: 7, staff: [], tombstones: [], pending: [] } as never);
    const started = client(storage);
    const socket = await openAndSync(0);

    expect(socket.sentOf('SYNC_REQUEST')[0]?.payload).toEqual({ stream: true });
    started.close();
  });

  describe('following departments', () => {
    const icu = staff({ n: 1, department: 'ICU' });

    /** A client started with `departments: ['ICU']`: SUBSCRIBE, the snapshot of ICU at position 2, the empty delta. */
    async function followingIcu(storage: ClientStorage): Promise<{ client: StaffSyncClient; socket: FakeSocket }> {
      const created = client(storage, [], ['ICU']);
      await flush();
      const socket = FakeSocket.last;
      socket.open();
      await flush();
      const subscribe = socket.sentOf('SUBSCRIBE').at(-1);
      socket.receive({ type: 'SUBSCRIBED', requestId: subscribe?.requestId, departments: ['ICU'], seq: 20, deptSeqs: { ICU: 2 } });
      await flush();
      if (socket.sentOf('SYNC_REQUEST').at(-1)?.payload.sinceDeptSeqs === undefined) {
        answerSync(socket, { mode: 'snapshot', staff: [icu], seq: 20, deptSeqs: { ICU: 2 }, hasMore: false });
        await flush();
      }
      answerSync(socket, { mode: 'delta', changes: [], seq: 20, deptSeqs: { ICU: 2 }, hasMore: false });
      await flush();
      return { client: created, socket };
    }

    it('saves the departments and positions, and a client following the same ones resumes from them', async () => {
      const storage = memoryStorage();
      const first = await followingIcu(storage);
      expect(first.socket.sentOf('SYNC_REQUEST')[0]?.payload).toEqual({ departments: ['ICU'] });
      await first.client.flush();
      expect(storage.saved).toMatchObject({ departments: ['ICU'], deptSeqs: { ICU: 2 }, staff: [icu] });
      first.client.close();

      const second = await followingIcu(storage);
      expect(second.socket.sentOf('SYNC_REQUEST').map((frame) => frame.payload)).toEqual([{ departments: ['ICU'], sinceDeptSeqs: { ICU: 2 } }]);
      expect(second.client.get(icu.id)).toEqual(icu);
      second.client.close();
    });

    it('does not start a client of the whole org from a replica of departments, but still sends its saved writes', async () => {
      const storage = memoryStorage();
      const first = await followingIcu(storage);
      first.socket.drop();
      void first.client.update(icu.id, { name: 'offline edit' }).catch(() => undefined);
      await flush();
      await first.client.flush();
      first.client.close();

      const whole = client(storage);
      await flush();
      expect(whole.state).toMatchObject({ departments: null, lastSeq: 0 });
      expect(whole.get(icu.id)).toBeUndefined();
      const socket = FakeSocket.last;
      socket.open();
      await flush();
      expect(socket.sentOf('STAFF_UPDATE').map((frame) => frame.payload.changes)).toEqual([{ name: 'offline edit' }]);
      expect(socket.sentOf('SYNC_REQUEST').map((frame) => frame.payload)).toEqual([{ stream: true }]);
      whole.close();
    });
  });
});
