/**
 * Faults of DynamoDB, injected by a proxy that misbehaves on purpose (throttling, timeouts):
 * handshakes refused with 503, health 503 within 3 s, ACKs never delayed, missed broadcasts healed
 * at the next PONG, stale records pruned by the next 410, recovery after.
 */
import { randomUUID } from 'node:crypto';
import type { Change } from '../../shared/protocol/staff';
import { TestClient, handshakeStatus } from '../e2e/support/client';
import { tokenFor } from '../e2e/support/stage';
import { THROTTLED, dynamoOperation } from './support/misbehaving-rules';
import { hasConnectionRecord, healAtNextPong, health, isBroadcastOf, orgConnectionIds } from './support/misbehaving-checks';
import { createFrame, useFaultSuite } from './support/misbehaving-suite';

jest.setTimeout(60_000);

/** docs/protocol.md §10.1: a warm function answers health within 3 s even when a dependency hangs. */
const HEALTH_DEADLINE_MS = 3000;
/** Attempts of the Lambdas' DynamoDB client (shared/aws-clients.ts). */
const DYNAMODB_ATTEMPTS = 3;

describe('faults of DynamoDB', () => {
  const suite = useFaultSuite('DynamoDB');

  it('refuses handshakes with 503, answers health 503 and loses the broadcast while throttled; the PONG heals it', async () => {
    const before = suite.injectedBy(suite.stage.dynamo);
    const base = await suite.latestSeq();
    suite.observer.skipReceived();
    suite.stage.dynamo.misbehave({ fault: THROTTLED, match: dynamoOperation('Query'), label: 'query' }, { fault: THROTTLED });
    const queriesBefore = suite.stage.dynamo.injectedAs('query');

    const handshake = await handshakeStatus(await tokenFor({ orgId: suite.orgId }));
    const degraded = await health(suite.stage);
    const ack = await suite.writer.request(createFrame(randomUUID(), 'While throttled'));
    // Barrier: the org index read has used every attempt, so the broadcast gave up.
    await suite.stage.dynamo.waitInjected(queriesBefore + DYNAMODB_ATTEMPTS, 'query');

    expect(handshake).toBe(503);
    expect(degraded.status).toBe(503);
    expect(degraded.ms).toBeLessThan(HEALTH_DEADLINE_MS);
    expect(degraded.body.checks).toMatchObject({ dynamodb: { status: 'error' }, supabase: { status: 'ok' } });
    expect(ack).toMatchObject({ type: 'ACK', change: { seq: base + 1 } });
    expect((await healAtNextPong(suite.observer, base)).map((change) => change.seq)).toEqual([base + 1]);
    // The failed broadcast did not fail the invocation: after its ACK the sender only gets its PONG.
    await suite.writer.request({ type: 'PING' });
    expect(suite.writer.frames.slice(suite.writer.frames.indexOf(ack) + 1).map((frame) => frame.type ?? frame.message)).toEqual(['PONG']);

    suite.stage.dynamo.heal();
    (await TestClient.connect({ orgId: suite.orgId })).close();
    expect((await health(suite.stage)).status).toBe(200);
    suite.report('DynamoDB throttling (ProvisionedThroughputExceededException)', suite.injectedBy(suite.stage.dynamo) - before,
      `$connect 503; health 503 in ${degraded.ms} ms; the write ACKed, its broadcast lost, no error frame to the sender; observer healed by PONG + delta; handshake and health recovered`);
  });

  it('keeps the record when $disconnect is throttled, and the next broadcast prunes it by the 410', async () => {
    const before = suite.injectedBy(suite.stage.dynamo);
    const known = new Set(await orgConnectionIds(suite.stage, suite.orgId));
    const leaving = await TestClient.connect({ orgId: suite.orgId, role: 'viewer' });
    const [connectionId] = (await orgConnectionIds(suite.stage, suite.orgId)).filter((id) => !known.has(id));
    const deletesBefore = suite.stage.dynamo.injectedAs('delete');
    suite.stage.dynamo.misbehave({ fault: THROTTLED, match: dynamoOperation('DeleteItem'), times: DYNAMODB_ATTEMPTS, label: 'delete' });

    leaving.close();
    // Barrier: $disconnect's delete has used every attempt (and failed).
    await suite.stage.dynamo.waitInjected(deletesBefore + DYNAMODB_ATTEMPTS, 'delete');
    expect(await hasConnectionRecord(suite.stage, connectionId!)).toBe(true);

    const ack = await suite.writer.request(createFrame(randomUUID(), 'Prunes the stale record'));
    await suite.observer.waitFor(isBroadcastOf((ack.change as Change).seq));
    for (const deadline = Date.now() + 5000; (await hasConnectionRecord(suite.stage, connectionId!)) && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await hasConnectionRecord(suite.stage, connectionId!)).toBe(false);
    suite.report('DynamoDB throttling the $disconnect delete', suite.injectedBy(suite.stage.dynamo) - before, 'the stale record stayed; the next broadcast got 410 for it and pruned it');
  });

  it('keeps the ACK prompt while it times out, answers health 503 within 3 s, and delivers the broadcast once the read is retried', async () => {
    const before = suite.injectedBy(suite.stage.dynamo);
    suite.stage.dynamo.misbehave({ fault: { kind: 'hang' }, match: dynamoOperation('GetItem') }, { fault: { kind: 'hang' }, match: dynamoOperation('Query'), times: 1 });

    const ack = await suite.writer.request(createFrame(randomUUID(), 'While DynamoDB hangs'));
    const { seq } = ack.change as Change;
    // The ACK did not wait for the org index: the observer has not had the broadcast yet.
    expect(suite.observer.frames.some(isBroadcastOf(seq))).toBe(false);
    const degraded = await health(suite.stage);
    expect(degraded.status).toBe(503);
    expect(degraded.ms).toBeLessThan(HEALTH_DEADLINE_MS);
    expect(degraded.body.checks).toMatchObject({ dynamodb: { status: 'error' }, supabase: { status: 'ok' } });
    // The SDK's request timeout ends the hanging read; its retry is answered and the broadcast goes out.
    await suite.observer.waitFor(isBroadcastOf(seq), 15_000);

    suite.stage.dynamo.heal();
    expect((await health(suite.stage)).status).toBe(200);
    suite.report('DynamoDB hanging (GetItem always, one Query)', suite.injectedBy(suite.stage.dynamo) - before, `the ACK not delayed; health 503 in ${degraded.ms} ms; the broadcast delivered once the SDK timed the read out and retried; health 200 healed`);
  });
});
