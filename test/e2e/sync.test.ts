import { Client } from 'pg';
import { TestClient, type Frame } from './support/client';
import { logLinesWithTokens } from './support/hygiene';
import { itLocal, newOrgId } from './support/stage';
import { changeOf, createStaff } from './support/staff';

const FRAME_LIMIT = 128 * 1024;

describe('resync: delta, snapshot, PONG and database writes (docs/protocol.md §7)', () => {
  const orgId = newOrgId();
  let writer: TestClient;
  let reader: TestClient;

  beforeAll(async () => {
    writer = await TestClient.connect({ orgId });
    reader = await TestClient.connect({ orgId, role: 'viewer' });
    // Enough large records that neither a snapshot nor a delta fits one frame.
    await Promise.all(Array.from({ length: 40 }, (_, i) => createStaff(writer, { name: `Big ${i}`, metadata: { notes: 'n'.repeat(7000) } })));
  }, 60_000);
  afterAll(() => {
    writer?.close();
    reader?.close();
    expect(logLinesWithTokens()).toEqual([]);
  });

  async function pages(first: Record<string, unknown>): Promise<Frame[]> {
    const result: Frame[] = [];
    let payload = first;
    for (;;) {
      const reply = await reader.request({ type: 'SYNC_REQUEST', payload });
      const raw = JSON.stringify(reply);
      expect(Buffer.byteLength(raw)).toBeLessThanOrEqual(FRAME_LIMIT);
      expect(reply.type).toBe('SYNC_RESPONSE');
      result.push(reply);
      if (!reply.hasMore) return result;
      expect(typeof reply.cursor).toBe('string');
      payload = { cursor: reply.cursor };
    }
  }

  it('pages a snapshot under 128 KB with one fixed seq, ordered by id', async () => {
    const snapshot = await pages({});

    expect(snapshot.length).toBeGreaterThan(1);
    expect(new Set(snapshot.map((page) => page.seq)).size).toBe(1);
    expect(snapshot.every((page) => page.mode === 'snapshot')).toBe(true);
    const ids = snapshot.flatMap((page) => (page.staff as Array<{ id: string }>).map((staff) => staff.id));
    expect(ids.length).toBe(40);
    expect([...ids].sort()).toEqual(ids);
  });

  it('pages a delta under 128 KB in seq order without gaps', async () => {
    const delta = await pages({ sinceSeq: 0 });

    expect(delta.every((page) => page.mode === 'delta')).toBe(true);
    expect(delta.length).toBeGreaterThan(1);
    const seqs = delta.flatMap((page) => (page.changes as Array<{ seq: number }>).map((change) => change.seq));
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(delta.at(-1)!.seq).toBe(seqs.at(-1));
  });

  /** The frames of one streamed reply: every one that says continued, then the last. */
  async function streamed(payload: Record<string, unknown>): Promise<Frame[]> {
    const requestId = `stream-${Math.random().toString(36).slice(2)}`;
    reader.send({ type: 'SYNC_REQUEST', requestId, payload: { ...payload, stream: true } });
    await reader.waitFor((frame) => frame.requestId === requestId && frame.continued === undefined);
    const frames = reader.frames.filter((frame) => frame.requestId === requestId);
    for (const frame of frames) expect(Buffer.byteLength(JSON.stringify(frame))).toBeLessThanOrEqual(FRAME_LIMIT);
    expect(frames.slice(0, -1).every((frame) => frame.type === 'SYNC_RESPONSE' && frame.continued === true && frame.hasMore === true)).toBe(true);
    return frames;
  }

  it('streams a snapshot and a delta: the pages of one read as frames of one reply, the same records and changes as page by page', async () => {
    const snapshot = await streamed({});
    expect(snapshot.length).toBeGreaterThan(1);
    expect(snapshot.at(-1)).toMatchObject({ type: 'SYNC_RESPONSE', mode: 'snapshot', hasMore: false });
    const byPage = (await pages({})).flatMap((page) => page.staff as unknown[]);
    expect(snapshot.flatMap((frame) => frame.staff as unknown[])).toEqual(byPage);

    const delta = await streamed({ sinceSeq: 0 });
    expect(delta.at(-1)).toMatchObject({ mode: 'delta', hasMore: false });
    const byDeltaPage = (await pages({ sinceSeq: 0 })).flatMap((page) => page.changes as unknown[]);
    expect(delta.flatMap((frame) => frame.changes as unknown[])).toEqual(byDeltaPage);
  });

  it('answers a sinceSeq at the latest seq with an empty delta', async () => {
    const { seq } = (await reader.request({ type: 'PING' })) as unknown as { seq: number };

    const reply = await reader.request({ type: 'SYNC_REQUEST', payload: { sinceSeq: seq } });

    expect(reply).toMatchObject({ mode: 'delta', changes: [], seq, hasMore: false });
  });

  it('falls back to a snapshot when sinceSeq is ahead of the org', async () => {
    const reply = await reader.request({ type: 'SYNC_REQUEST', payload: { sinceSeq: 10_000_000 } });
    expect(reply).toMatchObject({ mode: 'snapshot' });
  });

  it('refuses a cursor that is malformed or from another org', async () => {
    const snapshot = await reader.request({ type: 'SYNC_REQUEST', payload: {} });
    const stranger = await TestClient.connect({ orgId: newOrgId(), role: 'viewer' });

    const foreign = await stranger.request({ type: 'SYNC_REQUEST', payload: { cursor: snapshot.cursor } });
    const garbage = await reader.request({ type: 'SYNC_REQUEST', payload: { cursor: 'bm90IGEgY3Vyc29y' } });
    stranger.close();

    expect(foreign).toMatchObject({ type: 'ERROR', code: 'VALIDATION_FAILED' });
    expect(garbage).toMatchObject({ type: 'ERROR', code: 'VALIDATION_FAILED' });
  });

  it('reports a missed change through the PONG seq and heals it with a delta', async () => {
    const before = (await reader.request({ type: 'PING' })).seq as number;
    const { seq } = await createStaff(writer, { name: 'Heal me' });

    const pong = await reader.request({ type: 'PING' });
    const delta = await reader.request({ type: 'SYNC_REQUEST', payload: { sinceSeq: before } });

    expect(pong.seq).toBe(seq);
    expect(delta).toMatchObject({ mode: 'delta', seq, hasMore: false });
    expect((delta.changes as Array<{ seq: number }>).map((change) => change.seq)).toEqual([seq]);
  });

  itLocal('delivers a write made straight in the database as a change with origin db', async () => {
    const { staff } = await createStaff(writer, { name: 'Via psql' });
    const db = new Client({ host: '127.0.0.1', port: Number(process.env.LOCAL_STAGE_DB_PORT), user: 'postgres', password: 'postgres', database: 'postgres' });
    await db.connect();
    reader.skipReceived();

    try {
      await db.query(`update staff set position = 'Set in psql' where id = $1`, [staff.id]);
    } finally {
      await db.end();
    }
    const broadcast = await reader.waitFor((frame) => frame.type === 'STAFF_UPDATE' && changeOf(frame).staffId === staff.id, 15_000);

    expect(changeOf(broadcast)).toMatchObject({ origin: 'db', actor: 'db', version: 2, changedFields: ['position'], staff: { position: 'Set in psql' } });
  }, 30_000);
});
