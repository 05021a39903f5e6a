/**
 * Faults of the Supabase RPC endpoint, injected by a proxy that misbehaves on purpose (5xx,
 * closing the socket, losing the answer of a committed write, hanging): typed
 * `UPSTREAM_UNAVAILABLE`, nothing half-written, each unknown outcome found exactly once by its
 * retry, health 503 within 3 s, missed broadcasts healed at the next PONG, recovery after.
 */
import { randomUUID } from 'node:crypto';
import type { Change } from '../../shared/protocol/staff';
import type { Frame } from '../e2e/support/client';
import type { ProxyRequest } from './support/misbehaving-proxy';
import { BAD_GATEWAY_HTML, PLAIN_500, POSTGREST_503, rpcCall } from './support/misbehaving-rules';
import { healAtNextPong, health, isBroadcastOf, logSeqsOf, retry } from './support/misbehaving-checks';
import { createFrame, useFaultSuite } from './support/misbehaving-suite';
import { runRace } from './support/racing';

jest.setTimeout(60_000);

/** docs/protocol.md §10.1: a warm function answers health within 3 s even when a dependency hangs. */
const HEALTH_DEADLINE_MS = 3000;

describe('faults of the Supabase RPC endpoint', () => {
  const suite = useFaultSuite('Supabase RPC');

  it('answers UPSTREAM_UNAVAILABLE to 5xx, writes nothing, and commits once on the retry', async () => {
    const before = suite.injectedBy(suite.stage.rpc);
    const base = await suite.latestSeq();
    suite.observer.skipReceived();
    const requestId = randomUUID();
    suite.stage.rpc.misbehave(
      { fault: BAD_GATEWAY_HTML, match: rpcCall('staff_create'), times: 1 },
      { fault: POSTGREST_503, match: rpcCall('staff_latest_seqs'), times: 1 },
      { fault: PLAIN_500, match: rpcCall('staff_changes', 'staff_snapshot'), times: 1 },
    );

    const refused = await suite.writer.request(createFrame(requestId, 'After a 502'));
    const ping = await suite.writer.request({ type: 'PING' });
    const sync = await suite.writer.request({ type: 'SYNC_REQUEST', payload: { sinceSeq: base } });

    expect(refused).toMatchObject({ type: 'ERROR', requestId, code: 'UPSTREAM_UNAVAILABLE' });
    expect(ping).toMatchObject({ type: 'ERROR', code: 'UPSTREAM_UNAVAILABLE' });
    expect(sync).toMatchObject({ type: 'ERROR', code: 'UPSTREAM_UNAVAILABLE' });
    expect(await logSeqsOf(suite.stage, suite.orgId, requestId)).toEqual([]);
    // Recovery (the rules are spent): the same request commits once and is the observer's next frame.
    expect(await retry(suite.writer, createFrame(requestId, 'After a 502'))).toMatchObject({ type: 'ACK', requestId, change: { seq: base + 1 } });
    expect(await suite.observer.nextFrame()).toMatchObject({ type: 'STAFF_CREATE', change: { seq: base + 1 } });
    expect(await logSeqsOf(suite.stage, suite.orgId, requestId)).toEqual([base + 1]);
    suite.report('RPC 502 (HTML) / 503 PGRST001 / 500 without a code', suite.injectedBy(suite.stage.rpc) - before, 'ERROR UPSTREAM_UNAVAILABLE to the write, PING and SYNC_REQUEST; nothing written; the retry committed once');
  });

  it('answers UPSTREAM_UNAVAILABLE when the socket is closed before an answer, and the retry commits once', async () => {
    const before = suite.injectedBy(suite.stage.rpc);
    const base = await suite.latestSeq();
    suite.observer.skipReceived();
    const requestId = randomUUID();
    suite.stage.rpc.misbehave({ fault: { kind: 'close' }, match: rpcCall('staff_create'), times: 1 });

    expect(await suite.writer.request(createFrame(requestId, 'After a reset'))).toMatchObject({ type: 'ERROR', requestId, code: 'UPSTREAM_UNAVAILABLE' });
    expect(await logSeqsOf(suite.stage, suite.orgId, requestId)).toEqual([]);
    expect(await retry(suite.writer, createFrame(requestId, 'After a reset'))).toMatchObject({ type: 'ACK', requestId, change: { seq: base + 1 } });
    expect(await suite.observer.nextFrame()).toMatchObject({ type: 'STAFF_CREATE', change: { seq: base + 1 } });
    suite.report('RPC socket closed before answering', suite.injectedBy(suite.stage.rpc) - before, 'ERROR UPSTREAM_UNAVAILABLE; nothing written; the retry committed once');
  });

  it('finds a write whose answer was lost exactly once by its retry, and the observer heals at the next PONG', async () => {
    const before = suite.injectedBy(suite.stage.rpc);
    const base = await suite.latestSeq();
    suite.observer.skipReceived();
    const requestId = randomUUID();
    suite.stage.rpc.misbehave({ fault: { kind: 'forward-then-close' }, match: rpcCall('staff_create'), times: 1 });

    expect(await suite.writer.request(createFrame(requestId, 'Outcome unknown'))).toMatchObject({ type: 'ERROR', requestId, code: 'UPSTREAM_UNAVAILABLE' });
    expect(await logSeqsOf(suite.stage, suite.orgId, requestId)).toEqual([base + 1]);
    // The retry answers the original ACK (same seq) and broadcasts nothing a second time.
    const retried = (await retry(suite.writer, createFrame(requestId, 'Outcome unknown'))) as Frame & { change: Change };
    expect(retried).toMatchObject({ type: 'ACK', requestId, change: { seq: base + 1 } });
    expect(await logSeqsOf(suite.stage, suite.orgId, requestId)).toEqual([base + 1]);
    // Nobody was told: the observer's next frame is its PONG, which is ahead, and the delta heals it.
    expect(await healAtNextPong(suite.observer, base)).toEqual([retried.change]);
    suite.report('RPC answer lost after the commit', suite.injectedBy(suite.stage.rpc) - before, 'ERROR UPSTREAM_UNAVAILABLE; committed once; the retry got the original ACK (same seq); no broadcast; observer healed by PONG + delta');
  });

  it('answers a lost merged update, no-op and delete with the original ACK when retried', async () => {
    const before = suite.injectedBy(suite.stage.rpc);
    const created = (await suite.writer.request(createFrame(randomUUID(), 'Lost answers'))).change as Change;
    const staffId = created.staffId;
    const updated = await suite.writer.request({ type: 'STAFF_UPDATE', payload: { staffId, baseVersion: 1, changes: { position: 'Nurse' } } });
    await suite.observer.waitFor(isBroadcastOf((updated.change as Change).seq));
    suite.stage.rpc.misbehave({ fault: { kind: 'forward-then-close' }, match: rpcCall('staff_update', 'staff_delete'), times: 3 });
    // A merge (base 1, only `phone` changed since), a no-op (same value), and the delete.
    const frames = [
      { type: 'STAFF_UPDATE', requestId: randomUUID(), payload: { staffId, baseVersion: 1, changes: { phone: '+1-555' } } },
      { type: 'STAFF_UPDATE', requestId: randomUUID(), payload: { staffId, baseVersion: 3, changes: { phone: '+1-555' } } },
      { type: 'STAFF_DELETE', requestId: randomUUID(), payload: { staffId, baseVersion: 3 } },
    ];
    const lost = [];
    for (const frame of frames) lost.push(await suite.writer.request(frame));
    expect(lost.map((reply) => reply.code)).toEqual(['UPSTREAM_UNAVAILABLE', 'UPSTREAM_UNAVAILABLE', 'UPSTREAM_UNAVAILABLE']);

    const [merged, noop, deleted] = await Promise.all(frames.map((frame) => retry(suite.writer, frame)));
    expect(merged).toMatchObject({ type: 'ACK', merged: true, change: { op: 'update', version: 3, changedFields: ['phone'] } });
    expect(noop).toMatchObject({ type: 'ACK', change: null, current: { id: staffId, version: 3 } });
    expect(deleted).toMatchObject({ type: 'ACK', change: { op: 'delete', version: 4 } });
    expect(await logSeqsOf(suite.stage, suite.orgId, frames[0]!.requestId)).toEqual([(merged!.change as Change).seq]);
    expect(await logSeqsOf(suite.stage, suite.orgId, frames[2]!.requestId)).toEqual([(deleted!.change as Change).seq]);
    suite.report('RPC answers lost after a merged update, a no-op and a delete', suite.injectedBy(suite.stage.rpc) - before, 'ERROR UPSTREAM_UNAVAILABLE each; the retries got the original ACKs (merged, no-op with current, delete), one log entry each');
  });

  it('answers health 503 within 3 s while it hangs, ends the write UPSTREAM_UNAVAILABLE, and recovers', async () => {
    const before = suite.injectedBy(suite.stage.rpc);
    const base = await suite.latestSeq();
    const requestId = randomUUID();
    suite.stage.rpc.misbehave({ fault: { kind: 'hang' } });

    const write = suite.writer.request(createFrame(requestId, 'While hanging'), 15_000);
    const degraded = await health(suite.stage);
    expect(degraded.status).toBe(503);
    expect(degraded.ms).toBeLessThan(HEALTH_DEADLINE_MS);
    expect(degraded.body).toMatchObject({ status: 'degraded', checks: { supabase: { status: 'error' }, dynamodb: { status: 'ok' } } });
    expect(await write).toMatchObject({ type: 'ERROR', requestId, code: 'UPSTREAM_UNAVAILABLE' });

    suite.stage.rpc.heal();
    expect((await health(suite.stage)).status).toBe(200);
    expect(await retry(suite.writer, createFrame(requestId, 'While hanging'))).toMatchObject({ type: 'ACK', requestId, change: { seq: base + 1 } });
    await suite.observer.waitFor(isBroadcastOf(base + 1));
    suite.report('RPC hanging', suite.injectedBy(suite.stage.rpc) - before, `health 503 in ${degraded.ms} ms; the write ERROR UPSTREAM_UNAVAILABLE at the staff store's 5 s bound; health 200 and the retry committed once healed`);
  });

  it('lets SDK clients racing through lost answers and 503s converge, each ACKed write once in the log', async () => {
    const before = suite.injectedBy(suite.stage.rpc);
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
    suite.stage.rpc.misbehave({ fault: { kind: 'forward-then-close' }, match: firstAttemptOf(5, 1) }, { fault: POSTGREST_503, match: firstAttemptOf(7, 3) });

    const { figures: race, problems } = await runRace({ websocketUrl: suite.stage.websocketUrl, jwtSecret: suite.stage.jwtSecret, databaseUrl: suite.stage.databaseUrl, orgId: `${suite.orgId}-race`, clients: 8, writesPerClient: 10 });

    expect(problems).toEqual([]);
    expect(race.otherErrors).toEqual({});
    suite.report('RPC answer lost on the first attempt of every 5th update/delete, 503 on every 7th, under 8 racing SDK clients', suite.injectedBy(suite.stage.rpc) - before,
      `SDK retries with the same requestId: ${race.accepted} accepted, ${race.merged} merged, ${race.conflicts} conflicts; every ACK once in a gapless log; all local states equal to the database`);
  });

});
