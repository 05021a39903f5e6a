/**
 * Dropped `$disconnect` (API Gateway's is best effort; the local gateway's switch drops it): the
 * record of a connection that closed without `$disconnect` stays, carries its TTL (`expiresAt`,
 * epoch SECONDS), and is pruned by the 410 of the next broadcast to its org.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { GetConnectionCommand, type ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { decodeJwt } from 'jose';
import { TTL_ATTRIBUTE } from '../../infra/constructs/connections-table';
import { createDocumentClient, createManagementClient } from '../../shared/aws-clients';
import { isGone } from '../../shared/broadcaster';
import type { ConnectionRecord } from '../../shared/connection-store';
import { TestClient } from '../e2e/support/client';
import { tokenFor } from '../e2e/support/stage';
import { createStaff } from '../e2e/support/staff';
import { startStageProcess, type StageProcess } from './support/stage-process';

jest.setTimeout(60_000);

const TWO_HOURS_S = 2 * 60 * 60;
const MARGIN_S = 300;

describe('dropped $disconnect', () => {
  const dir = mkdtempSync(join(tmpdir(), 'staff-sync-disconnect-'));
  const orgId = `disc-${randomBytes(5).toString('hex')}`;
  let stage: StageProcess;
  let documents: DynamoDBDocumentClient;
  let management: ApiGatewayManagementApiClient;
  const clients: TestClient[] = [];

  const record = async (connectionId: string): Promise<ConnectionRecord | undefined> =>
    (await documents.send(new GetCommand({ TableName: stage.connectionsTable, Key: { connectionId }, ConsistentRead: true }))).Item as ConnectionRecord | undefined;
  const orgConnectionIds = async (): Promise<string[]> =>
    ((await documents.send(new QueryCommand({ TableName: stage.connectionsTable, IndexName: 'orgId-index', KeyConditionExpression: 'orgId = :o', ExpressionAttributeValues: { ':o': orgId } }))).Items ?? []).map(
      (item) => String(item.connectionId),
    );
  /** Connects and returns the new connection's id (the one record of the org that was not there before). */
  const connectNew = async (token: string): Promise<{ client: TestClient; connectionId: string }> => {
    const before = new Set(await orgConnectionIds());
    const client = await TestClient.connect({ token });
    clients.push(client);
    const added = (await orgConnectionIds()).filter((id) => !before.has(id));
    if (added.length !== 1) throw new Error(`expected one new connection record, found ${added.length}`);
    return { client, connectionId: added[0]! };
  };
  const gatewaySwitch = async (dropDisconnect: boolean): Promise<void> => {
    const response = await fetch(`${stage.httpUrl}/local/gateway`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ dropDisconnect }) });
    expect(response.status).toBe(200);
  };
  /** Waits until the gateway answers 410 for the id: its socket is closed as far as `@connections` knows. */
  const goneAtGateway = async (connectionId: string): Promise<void> => {
    for (const deadline = Date.now() + 5000; Date.now() < deadline; ) {
      try {
        await management.send(new GetConnectionCommand({ ConnectionId: connectionId }));
      } catch (error) {
        if (isGone(error)) return;
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`${connectionId} still open at the gateway`);
  };
  /** Waits (bounded) until the record is gone; returns false if it never went. */
  const recordRemoved = async (connectionId: string, withinMs = 5000): Promise<boolean> => {
    for (const deadline = Date.now() + withinMs; Date.now() < deadline; ) {
      if (!(await record(connectionId))) return true;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return false;
  };

  beforeAll(async () => {
    stage = await startStageProcess({ dataDir: join(dir, 'data'), logFile: join(dir, 'stage.log') });
    Object.assign(process.env, { STAGE_WS_URL: stage.websocketUrl, STAGE_HTTP_URL: stage.httpUrl, STAGE_JWT_SECRET: stage.jwtSecret, LOCAL_STAGE: '1' });
    documents = createDocumentClient({ endpoint: stage.dynamodbEndpoint, region: 'us-east-1' });
    management = createManagementClient({ endpoint: stage.httpUrl, region: 'us-east-1' });
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    documents?.destroy();
    management?.destroy();
    await stage?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the stale record with its TTL in seconds, then prunes it on the next broadcast by the 410', async () => {
    // Prepare: a connection whose token ends in 1 h (TTL from exp) and one whose token outlives
    // API Gateway's 2 h connection limit (TTL from connectedAt).
    const shortToken = await tokenFor({ orgId, sub: randomUUID(), expiresInSeconds: 3600 });
    const stale = await connectNew(shortToken);
    const longLived = await connectNew(await tokenFor({ orgId, sub: randomUUID(), expiresInSeconds: 24 * 3600 }));
    const staleRecord = (await record(stale.connectionId))!;
    const longRecord = (await record(longLived.connectionId))!;
    const nowS = Date.now() / 1000;

    // The attribute the deployed table expires items by holds epoch seconds (DynamoDB TTL ignores
    // milliseconds), never later than the connection can live.
    const ttl = (item: ConnectionRecord): unknown => (item as unknown as Record<string, unknown>)[TTL_ATTRIBUTE];
    expect(Number.isInteger(ttl(staleRecord))).toBe(true);
    expect(ttl(staleRecord)).toBe(decodeJwt(shortToken).exp! + MARGIN_S);
    expect(ttl(staleRecord)).toBeGreaterThan(nowS);
    expect(ttl(staleRecord)).toBeLessThan(nowS + TWO_HOURS_S + MARGIN_S + 5);
    expect(ttl(longRecord)).toBe(Math.ceil(longRecord.connectedAt / 1000) + TWO_HOURS_S + MARGIN_S);

    // Act 1: the switch drops $disconnect; the client goes away.
    await gatewaySwitch(true);
    stale.client.close();
    await goneAtGateway(stale.connectionId);
    // Barrier: with $disconnect back on, a later connection's record is removed by its $disconnect;
    // the stale one, closed while it was dropped, is still there.
    await gatewaySwitch(false);
    const control = await connectNew(await tokenFor({ orgId }));
    control.client.close();
    expect(await recordRemoved(control.connectionId)).toBe(true);
    expect(await record(stale.connectionId)).toEqual(staleRecord);

    // Act 2: the next broadcast to the org posts to the stale id, gets 410, prunes it.
    const writer = await connectNew(await tokenFor({ orgId }));
    longLived.client.skipReceived();
    const { seq } = await createStaff(writer.client);
    const delivered = await longLived.client.nextFrame();

    // Assess
    expect(delivered).toMatchObject({ type: 'STAFF_CREATE', change: { seq } });
    expect(await recordRemoved(stale.connectionId)).toBe(true);
    expect(await record(longLived.connectionId)).toEqual(longRecord);
    expect(await record(writer.connectionId)).toBeDefined();
    console.log(`dropped $disconnect: stale record ${TTL_ATTRIBUTE}=${String(ttl(staleRecord))} (token exp + ${MARGIN_S} s, epoch seconds), pruned by the 410 of broadcast seq ${seq}`);
  });
});
