/** What the fault suite observes from outside: health, replies to retried frames, healing at the next PONG, the log. */
import { randomUUID } from 'node:crypto';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Change } from '../../../shared/protocol/staff';
import type { Frame, TestClient } from '../../e2e/support/client';
import type { MisbehavingStage } from './misbehaving-stage';

export interface HealthAnswer {
  readonly status: number;
  readonly body: { status: string; checks: Record<string, { status: string; error?: string }> };
  /** Time to the answer, as a caller sees it. */
  readonly ms: number;
}

export async function health(stage: MisbehavingStage): Promise<HealthAnswer> {
  const started = Date.now();
  const response = await fetch(`${stage.httpUrl}/health`);
  const body = (await response.json()) as HealthAnswer['body'];
  return { status: response.status, body, ms: Date.now() - started };
}

/** Sends a frame again with its requestId and waits for the new reply (not one already received for it). */
export async function retry(client: TestClient, frame: { type: string; requestId: string; payload?: unknown }): Promise<Frame> {
  const earlier = new Set(client.frames);
  client.send(frame);
  return client.waitFor((reply) => !earlier.has(reply) && reply.requestId === frame.requestId && reply.type !== undefined);
}

/**
 * Proves the observer missed everything after `knownSeq` (its next frame is its PONG: no broadcast
 * came first), then heals as a client does: the PONG's seq is ahead, so it asks for the delta.
 * Returns the changes the delta brought.
 */
export async function healAtNextPong(observer: TestClient, knownSeq: number): Promise<Change[]> {
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

/** The log seqs a requestId produced in the org, straight from the database. */
export async function logSeqsOf(stage: MisbehavingStage, orgId: string, requestId: string): Promise<number[]> {
  const { rows } = await stage.supabase.query<{ seq: string }>(
    'select seq::text from public.staff_changes t where org_id = $1 and request_id = $2 order by t.seq',
    [orgId, requestId],
  );
  return rows.map((row) => Number(row.seq));
}

/** Whether the connections table holds a record for the id (straight to dynalite, past the proxy). */
export async function hasConnectionRecord(stage: MisbehavingStage, connectionId: string): Promise<boolean> {
  const { Item } = await stage.documents.send(new GetCommand({ TableName: stage.connectionsTable, Key: { connectionId }, ConsistentRead: true }));
  return Item !== undefined;
}

/** The org's connection ids in the connections table. */
export async function orgConnectionIds(stage: MisbehavingStage, orgId: string): Promise<string[]> {
  const { Items = [] } = await stage.documents.send(
    new QueryCommand({ TableName: stage.connectionsTable, IndexName: 'orgId-index', KeyConditionExpression: 'orgId = :o', ExpressionAttributeValues: { ':o': orgId } }),
  );
  return Items.map((item) => String(item.connectionId));
}

export const isBroadcastOf = (seq: number) => (frame: Frame): boolean =>
  (frame.type === 'STAFF_CREATE' || frame.type === 'STAFF_UPDATE' || frame.type === 'STAFF_DELETE') && (frame.change as Change | undefined)?.seq === seq;
