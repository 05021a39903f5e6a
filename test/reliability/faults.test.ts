/**
 * Faults, injected only by servers that misbehave on purpose: a proxy in front of the Supabase
 * RPC endpoint (5xx, hanging, closing the socket, losing the answer of a committed write), one in
 * front of DynamoDB (throttling, timeouts), one in front of the webhook route (delivery failing),
 * and `@connections` targets that answer 410, 429, 5xx or never (the gateway's sinks). The
 * Lambda handlers, gateway, PGlite and dynalite are the real ones.
 *
 * Expected: typed `UPSTREAM_UNAVAILABLE`, nothing half-written, a write whose outcome was unknown
 * found exactly once by its retry, gone connections pruned and the others kept, health 503 within
 * 3 s, missed broadcasts healed at the next PONG, and recovery once each fault ends.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { PutCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Change } from '../../shared/protocol/staff';
import { TestClient, handshakeStatus, type Frame } from '../e2e/support/client';
import { tokenFor } from '../e2e/support/stage';
import { startMisbehavingStage, type MisbehavingStage } from './support/misbehaving-stage';
import type { MisbehavingProxy } from './support/misbehaving-proxy';
import { BAD_GATEWAY_HTML, PLAIN_500, POSTGREST_503, THROTTLED, dynamoOperation, rpcCall } from './support/misbehaving-rules';

jest.setTimeout(60_000);

const HEALTH_DEADLINE_MS = 3000;

interface Figure {
  readonly fault: string;
  readonly injected: number;
  readonly produced: string;
}

describe('faults injected by misbehaving dependencies', () => {
  const orgId = `faults-${randomBytes(5).toString('hex')}`;
  const figures: Figure[] = [];
  let stage: MisbehavingStage;
  let writer: TestClient;
  let observer: TestClient;

  const injectedBy = (proxy: MisbehavingProxy): number => Object.values(proxy.injected).reduce((sum, n) => sum + n, 0);
  const record = (fault: string, proxy: MisbehavingProxy, before: number, produced: string): void => {
    figures.push({ fault, injected: injectedBy(proxy) - before, produced });
  };

  async function health(): Promise<{ status: number; body: { status: string; checks: Record<string, { status: string; error?: string }> }; ms: number }> {
    const started = Date.now();
    const response = await fetch(`${stage.httpUrl}/health`);
    const body = (await response.json()) as { status: string; checks: Record<string, { status: string; error?: string }> };
    return { status: response.status, body, ms: Date.now() - started };
  }

  /** The log entries a requestId produced, straight from the database. */
  async function logSeqsOf(requestId: string): Promise<number[]> {
    const { rows } = await stage.supabase.query<{ seq: string }>('select seq::text from public.staff_changes where org_id = $1 and request_id = $2 order by seq', [orgId, requestId]);
    return rows.map((row) => Number(row.seq));
  }

  /** The org's latest seq, through the protocol (the observer's PONG). */
  const latestSeq = async (): Promise<number> => (await observer.request({ type: 'PING' })).seq as number;

  /**
   * Proves the observer missed everything after `knownSeq` (its next frame is the PONG, no
   * broadcast came first), then heals as a client does: the PONG is ahead, so it asks for the delta.
   */
  async function healAtNextPong(knownSeq: number): Promise<Change[]> {
    const requestId = randomUUID();
    observer.send({ type: 'PING', requestId });
    const pong = await observer.nextFrame();
    expect(pong).toMatchObject({ type: 'PONG', requestId });
    expect(pong.seq as number).toBeGreaterThan(knownSeq);
    const delta = await observer.request({ type: 'SYNC_REQUEST', payload: { sinceSeq: knownSeq } });
    expect(delta).toMatchObject({ type: 'SYNC_RESPONSE', mode: 'delta', seq: pong.seq });
    observer.skipReceived();
    return delta.changes as Change[];
  }

  const createFrame = (requestId: string, name: string) => ({ type: 'STAFF_CREATE', requestId, payload: { staff: { name } } });

  /** Sends a frame again with its requestId and waits for the new reply (not the one already received). */
  async function retry(client: TestClient, frame: { type: string; requestId: string; payload?: unknown }): Promise<Frame> {
    const earlier = new Set(client.frames);
    client.send(frame);
    return client.waitFor((reply) => !earlier.has(reply) && reply.requestId === frame.requestId && reply.type !== undefined);
  }

  beforeAll(async () => {
    stage = await startMisbehavingStage();
    writer = await TestClient.connect({ orgId });
    observer = await TestClient.connect({ orgId, role: 'viewer' });
  });
  afterAll(async () => {
    writer?.close();
    observer?.close();
    await stage?.close();
    console.log(`faults injected and what each produced:\n${figures.map((f) => `  ${f.fault}: ${f.injected} injected → ${f.produced}`).join('\n')}`);
  });
  beforeEach(() => {
    stage.rpc.heal();
    stage.dynamo.heal();
    stage.webhook.heal();
  });

  it('answers UPSTREAM_UNAVAILABLE when the RPC endpoint returns 5xx, writes nothing, and commits once on the retry', async () => {
    const before = injectedBy(stage.rpc);
    const base = await latestSeq();
    observer.skipReceived();
    const requestId = randomUUID();
    stage.rpc.misbehave(
      { fault: BAD_GATEWAY_HTML, match: rpcCall('staff_create'), times: 1 },
      { fault: POSTGREST_503, match: rpcCall('staff_latest_seq'), times: 1 },
      { fault: PLAIN_500, match: rpcCall('staff_changes', 'staff_snapshot'), times: 1 },
    );

    const refused = await writer.request(createFrame(requestId, 'After a 502'));
    const ping = await writer.request({ type: 'PING' });
    const sync = await writer.request({ type: 'SYNC_REQUEST', payload: { sinceSeq: base } });

    expect(refused).toMatchObject({ type: 'ERROR', requestId, code: 'UPSTREAM_UNAVAILABLE' });
    expect(ping).toMatchObject({ type: 'ERROR', code: 'UPSTREAM_UNAVAILABLE' });
    expect(sync).toMatchObject({ type: 'ERROR', code: 'UPSTREAM_UNAVAILABLE' });
    expect(await logSeqsOf(requestId)).toEqual([]);

    // Recovery: the rules are spent; the same request commits once, and is the observer's next frame.
    const retried = await retry(writer, createFrame(requestId, 'After a 502'));
    expect(retried).toMatchObject({ type: 'ACK', requestId, change: { seq: base + 1 } });
    expect(await observer.nextFrame()).toMatchObject({ type: 'STAFF_CREATE', change: { seq: base + 1 } });
    expect(await logSeqsOf(requestId)).toEqual([base + 1]);
    record('RPC 502 (HTML) / 503 PGRST001 / 500 without a code', stage.rpc, before, 'ERROR UPSTREAM_UNAVAILABLE for write, PING and SYNC; nothing written; the retry committed once');
  });

  it('answers UPSTREAM_UNAVAILABLE when the RPC endpoint closes the socket, and the retry commits once', async () => {
    const before = injectedBy(stage.rpc);
    const base = await latestSeq();
    observer.skipReceived();
    const requestId = randomUUID();
    stage.rpc.misbehave({ fault: { kind: 'close' }, match: rpcCall('staff_create'), times: 1 });

    const refused = await writer.request(createFrame(requestId, 'After a reset'));
    expect(refused).toMatchObject({ type: 'ERROR', requestId, code: 'UPSTREAM_UNAVAILABLE' });
    expect(await logSeqsOf(requestId)).toEqual([]);

    const retried = await retry(writer, createFrame(requestId, 'After a reset'));
    expect(retried).toMatchObject({ type: 'ACK', requestId, change: { seq: base + 1 } });
    expect(await observer.nextFrame()).toMatchObject({ type: 'STAFF_CREATE', change: { seq: base + 1 } });
    record('RPC socket closed before answering', stage.rpc, before, 'ERROR UPSTREAM_UNAVAILABLE; nothing written; the retry committed once');
  });

  it('finds a write whose answer was lost exactly once by its retry, and the observer heals at the next PONG', async () => {
    const before = injectedBy(stage.rpc);
    const base = await latestSeq();
    observer.skipReceived();
    const requestId = randomUUID();
    stage.rpc.misbehave({ fault: { kind: 'forward-then-close' }, match: rpcCall('staff_create'), times: 1 });

    const unknown = await writer.request(createFrame(requestId, 'Outcome unknown'));
    expect(unknown).toMatchObject({ type: 'ERROR', requestId, code: 'UPSTREAM_UNAVAILABLE' });
    const committed = await logSeqsOf(requestId);
    expect(committed).toEqual([base + 1]);

    // The retry answers the original ACK (same seq) and broadcasts nothing a second time.
    const retried = await retry(writer, createFrame(requestId, 'Outcome unknown'));
    expect(retried).toMatchObject({ type: 'ACK', requestId, change: { seq: base + 1 } });
    expect(await logSeqsOf(requestId)).toEqual([base + 1]);

    // Nobody was told: the observer's next frame is its PONG, which is ahead, and the delta heals it.
    const healed = await healAtNextPong(base);
    expect(healed.map((change) => change.seq)).toEqual([base + 1]);
    expect(healed[0]).toEqual((retried as Frame & { change: Change }).change);
    record('RPC answer lost after the commit', stage.rpc, before, 'ERROR UPSTREAM_UNAVAILABLE; committed once; retry answered the original ACK (same seq); no broadcast; observer healed by PONG + delta');
  });

  it('answers health 503 within 3 s while the RPC endpoint hangs, times the write out as UPSTREAM_UNAVAILABLE, and recovers', async () => {
    const before = injectedBy(stage.rpc);
    const base = await latestSeq();
    const requestId = randomUUID();
    stage.rpc.misbehave({ fault: { kind: 'hang' } });

    const write = writer.request(createFrame(requestId, 'While hanging'), 15_000);
    const degraded = await health();
    const refused = await write;

    expect(degraded.status).toBe(503);
    expect(degraded.ms).toBeLessThan(HEALTH_DEADLINE_MS);
    expect(degraded.body).toMatchObject({ status: 'degraded', checks: { supabase: { status: 'error' }, dynamodb: { status: 'ok' } } });
    expect(refused).toMatchObject({ type: 'ERROR', requestId, code: 'UPSTREAM_UNAVAILABLE' });

    stage.rpc.heal();
    const recovered = await health();
    const retried = await retry(writer, createFrame(requestId, 'While hanging'));
    expect(recovered.status).toBe(200);
    expect(retried).toMatchObject({ type: 'ACK', requestId, change: { seq: base + 1 } });
    await observer.waitFor((frame) => frame.type === 'STAFF_CREATE' && (frame.change as Change).seq === base + 1);
    record('RPC hanging', stage.rpc, before, `health 503 in ${degraded.ms} ms; write ERROR UPSTREAM_UNAVAILABLE at the staff store's 5 s bound; health 200 and the retry committed once healed`);
  });

  it('survives DynamoDB throttling: handshakes refused with 503, health 503, the missed broadcast healed at the next PONG', async () => {
    const before = injectedBy(stage.dynamo);
    const base = await latestSeq();
    observer.skipReceived();
    writer.skipReceived();
    stage.dynamo.misbehave({ fault: THROTTLED, match: dynamoOperation('Query'), label: 'query' }, { fault: THROTTLED });
    const queriesBefore = stage.dynamo.injectedAs('query');

    const handshake = await handshakeStatus(await tokenFor({ orgId }));
    const degraded = await health();
    const ack = await writer.request(createFrame(randomUUID(), 'While throttled'));
    // Barrier: the org index read has used all of the document client's attempts (3, shared/aws-clients.ts), so the broadcast gave up.
    await stage.dynamo.waitInjected(queriesBefore + 3, 'query');

    expect(handshake).toBe(503);
    expect(degraded.status).toBe(503);
    expect(degraded.ms).toBeLessThan(HEALTH_DEADLINE_MS);
    expect(degraded.body.checks).toMatchObject({ dynamodb: { status: 'error' }, supabase: { status: 'ok' } });
    expect(ack).toMatchObject({ type: 'ACK', change: { seq: base + 1 } });
    const healed = await healAtNextPong(base);
    expect(healed.map((change) => change.seq)).toEqual([base + 1]);

    stage.dynamo.heal();
    const client = await TestClient.connect({ orgId });
    client.close();
    expect((await health()).status).toBe(200);
    // The failed broadcast did not fail the invocation: the sender's frames after its ACK are just its PONG.
    await writer.request({ type: 'PING' });
    expect(writer.frames.slice(writer.frames.indexOf(ack) + 1).map((frame) => frame.type ?? frame.message)).toEqual(['PONG']);
    record('DynamoDB throttling (ProvisionedThroughputExceededException)', stage.dynamo, before,
      `$connect 503; health 503 in ${degraded.ms} ms; write ACKed, its broadcast lost (no error frame to the sender); observer healed by PONG + delta; handshake and health recovered`);
  });

  it('keeps the ACK prompt while DynamoDB times out, answers health 503 within 3 s, and delivers the broadcast once the index read is retried', async () => {
    const before = injectedBy(stage.dynamo);
    observer.skipReceived();
    stage.dynamo.misbehave({ fault: { kind: 'hang' }, match: dynamoOperation('GetItem') }, { fault: { kind: 'hang' }, match: dynamoOperation('Query'), times: 1 });

    const ack = await writer.request(createFrame(randomUUID(), 'While DynamoDB hangs'));
    const seq = (ack.change as Change).seq;
    // The ACK did not wait for the org index: the observer has not had the broadcast yet.
    expect(observer.frames.some((frame) => (frame.change as Change | undefined)?.seq === seq)).toBe(false);
    const degraded = await health();
    expect(degraded.status).toBe(503);
    expect(degraded.ms).toBeLessThan(HEALTH_DEADLINE_MS);
    expect(degraded.body.checks).toMatchObject({ dynamodb: { status: 'error' }, supabase: { status: 'ok' } });

    // The SDK's request timeout ends the hanging read; its retry is answered and the broadcast goes out.
    const late = await observer.waitFor((frame) => frame.type === 'STAFF_CREATE' && (frame.change as Change).seq === seq, 15_000);
    stage.dynamo.heal();
    expect(late).toMatchObject({ change: { seq } });
    expect((await health()).status).toBe(200);
    record('DynamoDB hanging (GetItem always, one Query)', stage.dynamo, before, `ACK not delayed; health 503 in ${degraded.ms} ms; broadcast delivered after the SDK timed the read out and retried; health 200 healed`);
  });

  it('prunes connections answering 410, keeps those answering 429, 5xx or hanging, and never lets them hold up the others', async () => {
    const real = await Promise.all(Array.from({ length: 8 }, () => TestClient.connect({ orgId, role: 'viewer' })));
    const slowDone = new Promise<void>((resolve) => {
      stage.gateway.registerSink('sink-slow', { latencyMs: 4000, onData: () => resolve() });
    });
    const sinks = { 'sink-410': { latencyMs: 0, status: 410 }, 'sink-429': { latencyMs: 0, status: 429 }, 'sink-500': { latencyMs: 0, status: 500 }, 'sink-503': { latencyMs: 0, status: 503 }, 'sink-hang': { latencyMs: Infinity } };
    const removals = Object.entries(sinks).map(([id, options]) => stage.gateway.registerSink(id, options));
    const ids = [...Object.keys(sinks), 'sink-slow', 'ghost-never-connected'];
    const nowS = Math.floor(Date.now() / 1000);
    for (const connectionId of ids) {
      await stage.documents.send(new PutCommand({ TableName: stage.connectionsTable, Item: { connectionId, orgId, userId: 'sink', role: 'viewer', connectedAt: Date.now(), expiresAt: nowS + 3600 } }));
    }
    const exists = async (connectionId: string) => Boolean((await stage.documents.send(new GetCommand({ TableName: stage.connectionsTable, Key: { connectionId }, ConsistentRead: true }))).Item);
    try {
      for (const client of [...real, observer]) client.skipReceived();
      const sent = Date.now();
      const ack = await writer.request(createFrame(randomUUID(), 'Among bad connections'));
      const seq = (ack.change as Change).seq;
      await Promise.all([...real, observer].map((client) => client.waitFor((frame) => frame.type === 'STAFF_CREATE' && (frame.change as Change).seq === seq)));
      const deliveredMs = Date.now() - sent;
      // A post's budget is 3 s: every healthy client had the frame well before the hanging one gave up.
      expect(deliveredMs).toBeLessThan(3000);

      // Barrier: the slow sink answers after every post of this broadcast has settled (each within 3 s).
      await slowDone;
      expect(await exists('sink-410')).toBe(false);
      expect(await exists('ghost-never-connected')).toBe(false);
      for (const kept of ['sink-429', 'sink-500', 'sink-503', 'sink-hang', 'sink-slow']) expect([kept, await exists(kept)]).toEqual([kept, true]);
      figures.push({
        fault: '@connections 410 / unknown id / 429 / 500 / 503 / hanging / 4 s slow, among 9 sockets',
        injected: 7,
        produced: `9 sockets had the broadcast in ${deliveredMs} ms; the 410 and unknown ids pruned; 429, 5xx, hanging and slow kept (transient)`,
      });
    } finally {
      for (const remove of removals) remove();
      for (const client of real) client.close();
    }
  });

  it('heals a database change whose webhook delivery failed at the next PONG, and delivers once the webhook works', async () => {
    const before = injectedBy(stage.webhook);
    const base = await latestSeq();
    observer.skipReceived();
    stage.webhook.misbehave({ fault: PLAIN_500, times: 1 }, { fault: { kind: 'close' }, times: 1 });
    const insert = (name: string) => stage.supabase.query('insert into public.staff (org_id, name) values ($1, $2)', [orgId, name]);

    await insert('Written in SQL, webhook 500');
    await insert('Written in SQL, webhook reset');
    await stage.webhook.waitInjected(before + 2);
    const healed = await healAtNextPong(base);
    expect(healed.map((change) => [change.seq, change.origin])).toEqual([
      [base + 1, 'db'],
      [base + 2, 'db'],
    ]);

    await insert('Written in SQL, webhook healthy');
    const delivered = await observer.nextFrame();
    expect(delivered).toMatchObject({ type: 'STAFF_CREATE', change: { seq: base + 3, origin: 'db', actor: 'db' } });
    record('webhook delivery failing (500, then socket closed)', stage.webhook, before, 'both db changes missed by every client; observer healed by PONG + delta; the next db change delivered');
  });
});
