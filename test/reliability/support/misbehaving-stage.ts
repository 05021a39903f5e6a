/**
 * The local stage assembled in this process (as `infra/local/stage.ts` assembles it) with a
 * misbehaving proxy in front of each dependency the Lambdas reach: the RPC endpoint
 * (SUPABASE_URL), DynamoDB (DYNAMODB_ENDPOINT) and the webhook route (the relay's target).
 * The Lambda handlers, the gateway emulator, dynalite and PGlite are the real ones; the
 * gateway is exposed so a test can register connections that answer posts badly (sinks).
 *
 * One per test file: the handlers read the environment at their first import (a cold start).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { LocalSupabase } from '../../../infra/local/db';
import { startWebhookRelay } from '../../../infra/local/db/webhook-relay';
import { startLocalDynamo } from '../../../infra/local/dynamo';
import { createWebSocketGateway, type WebSocketGateway } from '../../../infra/local/gateway';
import { readBody, toHttpApiEvent, writeHttpApiResult } from '../../../infra/local/http-event';
import { createDocumentClient } from '../../../shared/aws-clients';
import { startTestSupabase, TEST_JWT_SECRET } from '../../helpers/local-supabase';
import { startMisbehavingProxy, type MisbehavingProxy } from './misbehaving-proxy';

const STAGE = 'local';
const WEBHOOK_SECRET = 'reliability-webhook-secret';

export interface MisbehavingStage {
  readonly httpUrl: string;
  readonly websocketUrl: string;
  readonly jwtSecret: string;
  /** The real database behind the RPC proxy (direct SQL: origin-`db` writes, checks). */
  readonly supabase: LocalSupabase;
  /** The same database over the Postgres wire protocol (PGlite's socket). */
  readonly databaseUrl: string;
  readonly gateway: WebSocketGateway;
  /** In front of the RPC endpoint. */
  readonly rpc: MisbehavingProxy;
  /** In front of dynalite. */
  readonly dynamo: MisbehavingProxy;
  /** In front of `POST /webhooks/supabase` (the relay posts through it). */
  readonly webhook: MisbehavingProxy;
  /** Straight to dynalite, past the proxy (test setup and checks). */
  readonly documents: DynamoDBDocumentClient;
  readonly connectionsTable: string;
  close(): Promise<void>;
}

export async function startMisbehavingStage(): Promise<MisbehavingStage> {
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
  };
  try {
    const supabase = await startTestSupabase({ dbPort: 0 });
    closers.push(() => supabase.close());
    const rpc = await startMisbehavingProxy(supabase.url);
    closers.push(() => rpc.close());
    const dynalite = await startLocalDynamo();
    closers.push(() => dynalite.close());
    const dynamo = await startMisbehavingProxy(dynalite.endpoint);
    closers.push(() => dynamo.close());
    const documents = createDocumentClient({ endpoint: dynalite.endpoint, region: 'us-east-1' });
    closers.push(async () => documents.destroy());

    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }));
    const { port } = server.address() as AddressInfo;
    const httpUrl = `http://127.0.0.1:${port}`;
    const websocketUrl = `ws://127.0.0.1:${port}/staff-sync`;
    const webhook = await startMisbehavingProxy(httpUrl);
    closers.push(() => webhook.close());

    Object.assign(process.env, {
      STAGE,
      SUPABASE_URL: rpc.url,
      SUPABASE_SERVICE_KEY: supabase.serviceKey,
      SUPABASE_JWT_SECRET: TEST_JWT_SECRET,
      JWKS_URL: 'none',
      CONNECTIONS_TABLE: dynalite.tableName,
      DYNAMODB_ENDPOINT: dynamo.url,
      WS_MANAGEMENT_ENDPOINT: httpUrl,
      WEBSOCKET_URL: websocketUrl,
      WEBHOOK_SECRET,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      // What the end-to-end support (TestClient, tokenFor) reads.
      STAGE_WS_URL: websocketUrl,
      STAGE_HTTP_URL: httpUrl,
      STAGE_JWT_SECRET: TEST_JWT_SECRET,
      LOCAL_STAGE: '1',
    });
    // Loaded only now: their module scope is the cold start and reads the environment above.
    const lambdas = {
      authorizer: (await import('../../../lambdas/authorizer')).handler,
      connect: (await import('../../../lambdas/connect')).handler,
      disconnect: (await import('../../../lambdas/disconnect')).handler,
      message: (await import('../../../lambdas/message')).handler,
      http: (await import('../../../lambdas/http')).handler,
    };
    const gateway = createWebSocketGateway({
      server,
      path: '/staff-sync',
      stage: STAGE,
      handlers: { authorizer: lambdas.authorizer, connect: lambdas.connect, disconnect: lambdas.disconnect, message: lambdas.message },
    });
    closers.push(() => gateway.close());
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (gateway.handleManagementRequest(req, res)) return;
      void readBody(req)
        .then(async (body) => {
          const event = toHttpApiEvent(req, body, STAGE);
          event.headers['x-forwarded-proto'] = 'http';
          writeHttpApiResult(res, await lambdas.http(event));
        })
        .catch(() => res.writeHead(500).end('{"message":"Internal Server Error"}'));
    });

    const relay = startWebhookRelay({
      query: (sql, params) => supabase.query(sql, params),
      url: `${webhook.url}/webhooks/supabase`,
      secret: WEBHOOK_SECRET,
      intervalMs: 50,
      timeoutMs: 2000,
    });
    closers.push(() => relay.stop());

    return {
      httpUrl,
      websocketUrl,
      jwtSecret: TEST_JWT_SECRET,
      supabase,
      databaseUrl: `postgres://postgres:postgres@127.0.0.1:${supabase.dbPort}/postgres`,
      gateway,
      rpc,
      dynamo,
      webhook,
      documents,
      connectionsTable: dynalite.tableName,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
