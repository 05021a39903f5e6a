/**
 * STAFF_BATCH over real sockets (docs/protocol.md §6.1): one ACK with every result, the org's
 * other clients get the changes as STAFF_BATCH frames in seq order, a refused batch writes
 * nothing, a viewer may not send one, and the SDK's `batch()` converges another SDK client.
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { connect, splitBatch, type StaffSyncClient } from '../../client/src';
import { TestClient, type Frame } from './support/client';
import { createStaff } from './support/staff';
import { newOrgId, stage, tokenFor } from './support/stage';

/** A change as a STAFF_BATCH frame carries it (compact: `staffId` only when it is not `staff.id`). */
type BatchChange = { seq: number; op: string; staffId?: string; staff: { id: string; name: string } };

describe('STAFF_BATCH', () => {
  const orgId = newOrgId();
  let writer: TestClient;
  let observers: TestClient[];

  beforeAll(async () => {
    const clients = await Promise.all(Array.from({ length: 4 }, () => TestClient.connect({ orgId })));
    writer = clients[0]!;
    observers = clients.slice(1);
  });
  afterAll(() => {
    for (const client of [writer, ...observers]) client?.close();
  });

  /** Every STAFF_BATCH change an observer has received, in arrival order. */
  const batchChanges = (client: TestClient): BatchChange[] =>
    client.frames.filter((frame) => frame.type === 'STAFF_BATCH').flatMap((frame) => frame.changes as BatchChange[]);

  it('answers one ACK with each result and broadcasts the changes in seq order', async () => {
    const { staff, seq } = await createStaff(writer, { name: 'Before' });
    const id = randomUUID();
    const ack = await writer.request({
      type: 'STAFF_BATCH',
      payload: {
        operations: [
          { op: 'create', staff: { id, name: 'Batch one' } },
          { op: 'update', staffId: id, baseVersion: 1, changes: { position: 'Lead' } },
          { op: 'update', staffId: staff.id, baseVersion: 1, changes: { name: 'Before' } },
          { op: 'delete', staffId: staff.id, baseVersion: 1 },
        ],
      },
    });
    expect(ack.type).toBe('ACK');
    expect(ack.results).toEqual([
      { op: 'create', staffId: id, seq: seq + 1, version: 1 },
      { op: 'update', staffId: id, seq: seq + 2, version: 2 },
      { op: 'update', staffId: staff.id, seq: null, version: 1 },
      { op: 'delete', staffId: staff.id, seq: seq + 3, version: 2 },
    ]);

    for (const observer of observers) {
      await observer.waitFor(() => batchChanges(observer).some((change) => change.seq === seq + 3));
      expect(batchChanges(observer).map((change) => [change.seq, change.op, change.staffId ?? change.staff.id])).toEqual([
        [seq + 1, 'create', id],
        [seq + 2, 'update', id],
        [seq + 3, 'delete', staff.id],
      ]);
      const frame = observer.frames.find((candidate) => candidate.type === 'STAFF_BATCH')!;
      expect(frame).toMatchObject({ orgId, actor: expect.any(String), origin: 'ws', at: expect.stringMatching(/Z$/) });
    }
    // The sender gets the same changes just before its ACK, which only counts them.
    const ackAt = writer.frames.indexOf(ack);
    const sent = writer.frames.slice(0, ackAt).filter((frame) => frame.type === 'STAFF_BATCH');
    expect(sent.flatMap((frame) => (frame.changes as BatchChange[]).map((change) => change.seq))).toEqual([seq + 1, seq + 2, seq + 3]);
  });

  it('replays the ACK for the same requestId without a second broadcast', async () => {
    const requestId = randomUUID();
    const frame = { type: 'STAFF_BATCH', requestId, payload: { operations: [{ op: 'create', staff: { name: 'Once' } }] } };
    const first = await writer.request(frame);
    await observers[0]!.waitFor(() => batchChanges(observers[0]!).some((change) => change.staff.name === 'Once'));
    const again = await writer.request(frame);
    expect(again).toEqual(first);
    const pong = await observers[0]!.request({ type: 'PING' });
    expect(batchChanges(observers[0]!).filter((change) => change.staff.name === 'Once')).toHaveLength(1);
    expect(pong.seq).toBe((first.results as Array<{ seq: number }>)[0]!.seq);
  });

  it('writes nothing when an operation fails, and names it', async () => {
    const before = (await writer.request({ type: 'PING' })).seq;
    const refused = await writer.request({
      type: 'STAFF_BATCH',
      payload: { operations: [{ op: 'create', staff: { name: 'Kept?' } }, { op: 'delete', staffId: randomUUID(), baseVersion: 1 }] },
    });
    expect(refused).toMatchObject({ type: 'ERROR', code: 'NOT_FOUND' });
    const invalid: Frame = await writer.request({ type: 'STAFF_BATCH', payload: { operations: [{ op: 'create', staff: { name: 'Ok' } }, { op: 'create', staff: {} }] } });
    expect(invalid).toMatchObject({ type: 'ERROR', code: 'VALIDATION_FAILED', details: [{ path: 'payload.operations.1.staff.name', message: 'is required' }] });
    expect((await writer.request({ type: 'PING' })).seq).toBe(before);
  });

  it('is FORBIDDEN for a viewer', async () => {
    const viewer = await TestClient.connect({ orgId, role: 'viewer' });
    try {
      const reply = await viewer.request({ type: 'STAFF_BATCH', payload: { operations: [{ op: 'create', staff: { name: 'No' } }] } });
      expect(reply).toMatchObject({ type: 'ERROR', code: 'FORBIDDEN' });
    } finally {
      viewer.close();
    }
  });
});

describe('client.batch()', () => {
  const orgId = newOrgId();
  const clients: StaffSyncClient[] = [];
  const open = (): StaffSyncClient => {
    const client = connect(stage.wsUrl, () => tokenFor({ orgId }), { WebSocket, requestTimeoutMs: 10_000 });
    clients.push(client);
    return client;
  };
  afterAll(() => {
    for (const client of clients) client.close();
  });

  it('imports more than one batch holds and another client converges', async () => {
    const [importer, watcher] = [open(), open()];
    await Promise.all([importer.ready(), watcher.ready()]);
    const rows = Array.from({ length: 600 }, (_, i) => ({ op: 'create' as const, staff: { name: `Imported ${i}`, department: ['ICU', 'Ward'][i % 2]!, displayOrder: i } }));
    const batches = splitBatch(rows);
    expect(batches.length).toBeGreaterThan(1);
    for (const batch of batches) await importer.batch(batch);
    expect(importer.state.staff.size).toBe(600);

    const [first, second] = importer.list();
    const results = await importer.batch([
      { op: 'update', staffId: first!.id, changes: { position: 'Lead' } },
      { op: 'update', staffId: first!.id, changes: { position: 'Head' } },
      { op: 'delete', staffId: second!.id },
    ]);
    expect(results.map(({ op, version }) => [op, version])).toEqual([
      ['update', 2],
      ['update', 3],
      ['delete', 2],
    ]);
    // Resolved once the local copy holds the batch.
    expect(importer.get(first!.id)).toMatchObject({ position: 'Head', version: 3 });

    const deadline = Date.now() + 15_000;
    while (watcher.state.lastSeq < importer.state.lastSeq && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const view = (client: StaffSyncClient) => client.list().map(({ id, name, position, version }) => ({ id, name, position, version }));
    expect(view(watcher)).toEqual(view(importer));
    expect(watcher.get(first!.id)).toMatchObject({ position: 'Head', version: 3 });
    expect(watcher.get(second!.id)).toBeUndefined();
  }, 60_000);
});
