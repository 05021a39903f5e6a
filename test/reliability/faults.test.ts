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
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Change } from '../../shared/protocol/staff';
import { TestClient, handshakeStatus, type Frame } from '../e2e/support/client';
import { tokenFor } from '../e2e/support/stage';
import { startMisbehavingStage, type MisbehavingStage } from './support/misbehaving-stage';
import type { MisbehavingProxy, ProxyRequest } from './support/misbehaving-proxy';
import { runRace } from './support/racing';
import { BAD_GATEWAY_HTML, PLAIN_500, POSTGREST_503, THROTTLED, dynamoOperation, rpcCall } from './support/misbehaving-rules';
import { hasConnectionRecord, healAtNextPong, health, isBroadcastOf, logSeqsOf, orgConnectionIds, retry } from './support/misbehaving-checks';

jest.setTimeout(60_000);

/** PROTOCOL.md section 1: a warm function answers health within 3 s even when a dependency hangs. */
const HEALTH_DEADLINE_MS = 3000;
/** Attempts of the Lambdas' DynamoDB client (shared/aws-clients.ts). */
const DYNAMODB_ATTEMPTS = 3;

describe('faults injected by misbehaving dependencies', () => {
  const orgId = `faults-${randomBytes(5).toString('hex')}`;
  const figures: string[] = [];
  let stage: MisbehavingStage;
  let writer: TestClient;
  let observer: TestClient;

  const injectedBy = (proxy: MisbehavingProxy): number => Object.values(proxy.injected).reduce((sum, n) => sum + n, 0);
  const report = (fault: string, injected: number, produced: string): void => {
    figures.push(`${fault}: ${injected} injected → ${produced}`);
  };
  const createFrame = (requestId: string, name: string) => ({ type: 'STAFF_CREATE', requestId, payload: { staff: { name } } });
  /** The org's latest seq, through the protocol (the observer's PONG). */
  const latestSeq = async (): Promise<number> => (await observer.request({ type: 'PING' })).seq as number;

  beforeAll(async () => {
    stage = await startMisbehavingStage();
    writer = await TestClient.connect({ orgId });
    observer = await TestClient.connect({ orgId, role: 'viewer' });
  });
  afterAll(async () => {
    writer?.close();
    observer?.close();
    await stage?.close();
    console.log(`faults injected and what each produced:\n  ${figures.join('\n  ')}`);
  });
  beforeEach(() => {
    stage.rpc.heal();
    stage.dynamo.heal();
    stage.webhook.heal();
  });

  describe('Supabase RPC', () => {
    it('answers UPSTREAM_UNAVAILABLE to 5xx, writes nothing, and commits once on the retry', async () => {
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
      expect(await logSeqsOf(stage, orgId, requestId)).toEqual([]);
      // Recovery (the rules are spent): the same request commits once and is the observer's next frame.
      expect(await retry(writer, createFrame(requestId, 'After a 502'))).toMatchObject({ type: 'ACK', requestId, change: { seq: base + 1 } });
      expect(await observer.nextFrame()).toMatchObject({ type: 'STAFF_CREATE', change: { seq: base + 1 } });
      expect(await logSeqsOf(stage, orgId, requestId)).toEqual([base + 1]);
      report('RPC 502 (HTML) / 503 PGRST001 / 500 without a code', injectedBy(stage.rpc) - before, 'ERROR UPSTREAM_UNAVAILABLE to the write, PING and SYNC_REQUEST; nothing written; the retry committed once');
    });

    it('answers UPSTREAM_UNAVAILABLE when the socket is closed before an answer, and the retry commits once', async () => {
      const before = injectedBy(stage.rpc);
      const base = await latestSeq();
      observer.skipReceived();
      const requestId = randomUUID();
      stage.rpc.misbehave({ fault: { kind: 'close' }, match: rpcCall('staff_create'), times: 1 });

      expect(await writer.request(createFrame(requestId, 'After a reset'))).toMatchObject({ type: 'ERROR', requestId, code: 'UPSTREAM_UNAVAILABLE' });
      expect(await logSeqsOf(stage, orgId, requestId)).toEqual([]);
      expect(await retry(writer, createFrame(requestId, 'After a reset'))).toMatchObject({ type: 'ACK', requestId, change: { seq: base + 1 } });
      expect(await observer.nextFrame()).toMatchObject({ type: 'STAFF_CREATE', change: { seq: base + 1 } });
      report('RPC socket closed before answering', injectedBy(stage.rpc) - before, 'ERROR UPSTREAM_UNAVAILABLE; nothing written; the retry committed once');
    });

    it('finds a write whose answer was lost exactly once by its retry, and the observer heals at the next PONG', async () => {
      const before = injectedBy(stage.rpc);
      const base = await latestSeq();
      observer.skipReceived();
      const requestId = randomUUID();
      stage.rpc.misbehave({ fault: { kind: 'forward-then-close' }, match: rpcCall('staff_create'), times: 1 });

      expect(await writer.request(createFrame(requestId, 'Outcome unknown'))).toMatchObject({ type: 'ERROR', requestId, code: 'UPSTREAM_UNAVAILABLE' });
      expect(await logSeqsOf(stage, orgId, requestId)).toEqual([base + 1]);
      // The retry answers the original ACK (same seq) and broadcasts nothing a second time.
      const retried = (await retry(writer, createFrame(requestId, 'Outcome unknown'))) as Frame & { change: Change };
      expect(retried).toMatchObject({ type: 'ACK', requestId, change: { seq: base + 1 } });
      expect(await logSeqsOf(stage, orgId, requestId)).toEqual([base + 1]);
      // Nobody was told: the observer's next frame is its PONG, which is ahead, and the delta heals it.
      expect(await healAtNextPong(observer, base)).toEqual([retried.change]);
      report('RPC answer lost after the commit', injectedBy(stage.rpc) - before, 'ERROR UPSTREAM_UNAVAILABLE; committed once; the retry got the original ACK (same seq); no broadcast; observer healed by PONG + delta');
    });

    it('answers a lost merged update, no-op and delete with the original ACK when retried', async () => {
      const before = injectedBy(stage.rpc);
      const created = (await writer.request(createFrame(randomUUID(), 'Lost answers'))).change as Change;
      const staffId = created.staffId;
      const updated = await writer.request({ type: 'STAFF_UPDATE', payload: { staffId, baseVersion: 1, changes: { position: 'Nurse' } } });
      await observer.waitFor(isBroadcastOf((updated.change as Change).seq));
      stage.rpc.misbehave({ fault: { kind: 'forward-then-close' }, match: rpcCall('staff_update', 'staff_delete'), times: 3 });
      // A merge (base 1, only `phone` changed since), a no-op (same value), and the delete.
      const frames = [
        { type: 'STAFF_UPDATE', requestId: randomUUID(), payload: { staffId, baseVersion: 1, changes: { phone: '+1-555' } } },
        { type: 'STAFF_UPDATE', requestId: randomUUID(), payload: { staffId, baseVersion: 3, changes: { phone: '+1-555' } } },
        { type: 'STAFF_DELETE', requestId: randomUUID(), payload: { staffId, baseVersion: 3 } },
      ];
      const lost = [];
      for (const frame of frames) lost.push(await writer.request(frame));
      expect(lost.map((reply) => reply.code)).toEqual(['UPSTREAM_UNAVAILABLE', 'UPSTREAM_UNAVAILABLE', 'UPSTREAM_UNAVAILABLE']);

      const [merged, noop, deleted] = await Promise.all(frames.map((frame) => retry(writer, frame)));
      expect(merged).toMatchObject({ type: 'ACK', merged: true, change: { op: 'update', version: 3, changedFields: ['phone'] } });
      expect(noop).toMatchObject({ type: 'ACK', change: null, current: { id: staffId, version: 3 } });
      expect(deleted).toMatchObject({ type: 'ACK', change: { op: 'delete', version: 4 } });
      expect(await logSeqsOf(stage, orgId, frames[0]!.requestId)).toEqual([(merged!.change as Change).seq]);
      expect(await logSeqsOf(stage, orgId, frames[2]!.requestId)).toEqual([(deleted!.change as Change).seq]);
      report('RPC answers lost after a merged update, a no-op and a delete', injectedBy(stage.rpc) - before, 'ERROR UPSTREAM_UNAVAILABLE each; the retries got the original ACKs (merged, no-op with current, delete), one log entry each');
    });

    it('answers health 503 within 3 s while it hangs, ends the write UPSTREAM_UNAVAILABLE, and recovers', async () => {
      const before = injectedBy(stage.rpc);
      const base = await latestSeq();
      const requestId = randomUUID();
      stage.rpc.misbehave({ fault: { kind: 'hang' } });

      const write = writer.request(createFrame(requestId, 'While hanging'), 15_000);
      const degraded = await health(stage);
      expect(degraded.status).toBe(503);
      expect(degraded.ms).toBeLessThan(HEALTH_DEADLINE_MS);
      expect(degraded.body).toMatchObject({ status: 'degraded', checks: { supabase: { status: 'error' }, dynamodb: { status: 'ok' } } });
      expect(await write).toMatchObject({ type: 'ERROR', requestId, code: 'UPSTREAM_UNAVAILABLE' });

      stage.rpc.heal();
      expect((await health(stage)).status).toBe(200);
      expect(await retry(writer, createFrame(requestId, 'While hanging'))).toMatchObject({ type: 'ACK', requestId, change: { seq: base + 1 } });
      await observer.waitFor(isBroadcastOf(base + 1));
      report('RPC hanging', injectedBy(stage.rpc) - before, `health 503 in ${degraded.ms} ms; the write ERROR UPSTREAM_UNAVAILABLE at the staff store's 5 s bound; health 200 and the retry committed once healed`);
    });
  });

  it('lets SDK clients racing through lost answers and 503s converge, each ACKed write once in the log', async () => {
    const before = injectedBy(stage.rpc);
    // The first attempt of every 5th write loses its answer after committing, of every 7th gets a 503;
    // retries always get through (a write the SDK gave up on would leave its outcome unknown).
    const order = new Map<string, number>();
    const faulted = new Set<string>();
    const firstAttemptOf = (every: number, offset: number) => (request: ProxyRequest): boolean => {
      if (!rpcCall('staff_update', 'staff_delete')(request)) return false;
      const requestId = String((JSON.parse(request.body) as { p_request_id?: string }).p_request_id);
      if (!order.has(requestId)) order.set(requestId, order.size);
      if (faulted.has(requestId) || (order.get(requestId)! + offset) % every !== 0) return false;
      faulted.add(requestId);
      return true;
    };
    stage.rpc.misbehave({ fault: { kind: 'forward-then-close' }, match: firstAttemptOf(5, 1) }, { fault: POSTGREST_503, match: firstAttemptOf(7, 3) });

    const { figures: race, problems } = await runRace({ websocketUrl: stage.websocketUrl, jwtSecret: stage.jwtSecret, databaseUrl: stage.databaseUrl, orgId: `${orgId}-race`, clients: 8, writesPerClient: 10 });

    expect(problems).toEqual([]);
    expect(race.otherErrors).toEqual({});
    report('RPC answer lost on the first attempt of every 5th update/delete, 503 on every 7th, under 8 racing SDK clients', injectedBy(stage.rpc) - before,
      `SDK retries with the same requestId: ${race.accepted} accepted, ${race.merged} merged, ${race.conflicts} conflicts; every ACK once in a gapless log; all local states equal to the database`);
  });

  describe('DynamoDB', () => {
    it('refuses handshakes with 503, answers health 503 and loses the broadcast while throttled; the PONG heals it', async () => {
      const before = injectedBy(stage.dynamo);
      const base = await latestSeq();
      observer.skipReceived();
      stage.dynamo.misbehave({ fault: THROTTLED, match: dynamoOperation('Query'), label: 'query' }, { fault: THROTTLED });
      const queriesBefore = stage.dynamo.injectedAs('query');

      const handshake = await handshakeStatus(await tokenFor({ orgId }));
      const degraded = await health(stage);
      const ack = await writer.request(createFrame(randomUUID(), 'While throttled'));
      // Barrier: the org index read has used every attempt, so the broadcast gave up.
      await stage.dynamo.waitInjected(queriesBefore + DYNAMODB_ATTEMPTS, 'query');

      expect(handshake).toBe(503);
      expect(degraded.status).toBe(503);
      expect(degraded.ms).toBeLessThan(HEALTH_DEADLINE_MS);
      expect(degraded.body.checks).toMatchObject({ dynamodb: { status: 'error' }, supabase: { status: 'ok' } });
      expect(ack).toMatchObject({ type: 'ACK', change: { seq: base + 1 } });
      expect((await healAtNextPong(observer, base)).map((change) => change.seq)).toEqual([base + 1]);
      // The failed broadcast did not fail the invocation: after its ACK the sender only gets its PONG.
      await writer.request({ type: 'PING' });
      expect(writer.frames.slice(writer.frames.indexOf(ack) + 1).map((frame) => frame.type ?? frame.message)).toEqual(['PONG']);

      stage.dynamo.heal();
      (await TestClient.connect({ orgId })).close();
      expect((await health(stage)).status).toBe(200);
      report('DynamoDB throttling (ProvisionedThroughputExceededException)', injectedBy(stage.dynamo) - before,
        `$connect 503; health 503 in ${degraded.ms} ms; the write ACKed, its broadcast lost, no error frame to the sender; observer healed by PONG + delta; handshake and health recovered`);
    });

    it('keeps the record when $disconnect is throttled, and the next broadcast prunes it by the 410', async () => {
      const before = injectedBy(stage.dynamo);
      const known = new Set(await orgConnectionIds(stage, orgId));
      const leaving = await TestClient.connect({ orgId, role: 'viewer' });
      const [connectionId] = (await orgConnectionIds(stage, orgId)).filter((id) => !known.has(id));
      const deletesBefore = stage.dynamo.injectedAs('delete');
      stage.dynamo.misbehave({ fault: THROTTLED, match: dynamoOperation('DeleteItem'), times: DYNAMODB_ATTEMPTS, label: 'delete' });

      leaving.close();
      // Barrier: $disconnect's delete has used every attempt (and failed).
      await stage.dynamo.waitInjected(deletesBefore + DYNAMODB_ATTEMPTS, 'delete');
      expect(await hasConnectionRecord(stage, connectionId!)).toBe(true);

      const ack = await writer.request(createFrame(randomUUID(), 'Prunes the stale record'));
      await observer.waitFor(isBroadcastOf((ack.change as Change).seq));
      for (const deadline = Date.now() + 5000; (await hasConnectionRecord(stage, connectionId!)) && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await hasConnectionRecord(stage, connectionId!)).toBe(false);
      report('DynamoDB throttling the $disconnect delete', injectedBy(stage.dynamo) - before, 'the stale record stayed; the next broadcast got 410 for it and pruned it');
    });

    it('keeps the ACK prompt while it times out, answers health 503 within 3 s, and delivers the broadcast once the read is retried', async () => {
      const before = injectedBy(stage.dynamo);
      stage.dynamo.misbehave({ fault: { kind: 'hang' }, match: dynamoOperation('GetItem') }, { fault: { kind: 'hang' }, match: dynamoOperation('Query'), times: 1 });

      const ack = await writer.request(createFrame(randomUUID(), 'While DynamoDB hangs'));
      const { seq } = ack.change as Change;
      // The ACK did not wait for the org index: the observer has not had the broadcast yet.
      expect(observer.frames.some(isBroadcastOf(seq))).toBe(false);
      const degraded = await health(stage);
      expect(degraded.status).toBe(503);
      expect(degraded.ms).toBeLessThan(HEALTH_DEADLINE_MS);
      expect(degraded.body.checks).toMatchObject({ dynamodb: { status: 'error' }, supabase: { status: 'ok' } });
      // The SDK's request timeout ends the hanging read; its retry is answered and the broadcast goes out.
      await observer.waitFor(isBroadcastOf(seq), 15_000);

      stage.dynamo.heal();
      expect((await health(stage)).status).toBe(200);
      report('DynamoDB hanging (GetItem always, one Query)', injectedBy(stage.dynamo) - before, `the ACK not delayed; health 503 in ${degraded.ms} ms; the broadcast delivered once the SDK timed the read out and retried; health 200 healed`);
    });
  });

  it('prunes @connections targets answering 410, keeps those answering 429, 5xx or hanging, and never lets them hold up the others', async () => {
    const sockets = [observer, ...(await Promise.all(Array.from({ length: 8 }, () => TestClient.connect({ orgId, role: 'viewer' }))))];
    const slowAnswered = new Promise<void>((resolve) => stage.gateway.registerSink('sink-slow-4s', { latencyMs: 4000, onData: () => resolve() }));
    const sinks = {
      'sink-410': { latencyMs: 0, status: 410 },
      'sink-429': { latencyMs: 0, status: 429 },
      'sink-500': { latencyMs: 0, status: 500 },
      'sink-503': { latencyMs: 0, status: 503 },
      'sink-hang': { latencyMs: Infinity },
    };
    const removals = Object.entries(sinks).map(([id, options]) => stage.gateway.registerSink(id, options));
    const ids = [...Object.keys(sinks), 'sink-slow-4s', 'never-connected'];
    for (const connectionId of ids) {
      const item = { connectionId, orgId, userId: 'sink', role: 'viewer', connectedAt: Date.now(), expiresAt: Math.floor(Date.now() / 1000) + 3600 };
      await stage.documents.send(new PutCommand({ TableName: stage.connectionsTable, Item: item }));
    }
    try {
      const sent = Date.now();
      const { seq } = (await writer.request(createFrame(randomUUID(), 'Among bad connections'))).change as Change;
      await Promise.all(sockets.map((client) => client.waitFor(isBroadcastOf(seq))));
      const deliveredMs = Date.now() - sent;
      // One post's budget is 3 s: every socket had the frame before the hanging target could have been given up on.
      expect(deliveredMs).toBeLessThan(3000);

      // Barrier: the slow target answers after every post of this broadcast has settled (each within its 3 s budget).
      await slowAnswered;
      const kept = await Promise.all(ids.map(async (id) => [id, await hasConnectionRecord(stage, id)] as const));
      expect(Object.fromEntries(kept)).toEqual({
        'sink-410': false,
        'never-connected': false,
        'sink-429': true,
        'sink-500': true,
        'sink-503': true,
        'sink-hang': true,
        'sink-slow-4s': true,
      });
      report('@connections 410 / unknown id / 429 / 500 / 503 / hanging / 4 s slow, among 9 sockets', ids.length,
        `all 9 sockets had the broadcast in ${deliveredMs} ms; the 410 and unknown ids pruned; 429, 5xx, hanging and slow kept (transient)`);
    } finally {
      for (const remove of removals) remove();
      for (const client of sockets.slice(1)) client.close();
    }
  });

  it('heals database changes whose webhook delivery failed at the next PONG, and delivers once the webhook works', async () => {
    const before = injectedBy(stage.webhook);
    const base = await latestSeq();
    observer.skipReceived();
    stage.webhook.misbehave({ fault: PLAIN_500, times: 1 }, { fault: { kind: 'close' }, times: 1 });
    const insert = (name: string) => stage.supabase.query('insert into public.staff (org_id, name) values ($1, $2)', [orgId, name]);

    await insert('Written in SQL, webhook 500');
    await insert('Written in SQL, webhook reset');
    await stage.webhook.waitInjected(before + 2);
    const healed = await healAtNextPong(observer, base);
    expect(healed.map((change) => [change.seq, change.origin])).toEqual([
      [base + 1, 'db'],
      [base + 2, 'db'],
    ]);

    await insert('Written in SQL, webhook healthy');
    expect(await observer.nextFrame()).toMatchObject({ type: 'STAFF_CREATE', change: { seq: base + 3, origin: 'db', actor: 'db' } });
    report('webhook delivery failing (500, then socket closed)', injectedBy(stage.webhook) - before, 'both db changes reached no client; observer healed by PONG + delta; the next db change delivered');
  });
});
