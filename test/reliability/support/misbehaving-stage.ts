/**
 * The local stage (`startLocalStage`) with a misbehaving proxy in front of each dependency its
 * Lambdas reach: the RPC endpoint (SUPABASE_URL), DynamoDB (DYNAMODB_ENDPOINT) and the webhook
 * route (the relay's target). The Lambda handlers, the gateway emulator, dynalite and PGlite
 * are the real ones; the gateway is exposed so a test can register connections that answer
 * posts badly (sinks).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { LocalSupabase } from '../../../infra/local/db';
import type { WebSocketGateway } from '../../../infra/local/gateway';
import { localSettings } from '../../../infra/local/settings';
import { startLocalStage, type Upstream } from '../../../infra/local/stage';
import { createDocumentClient } from '../../../shared/aws-clients';
import { startTestSupabase, TEST_JWT_SECRET } from '../../helpers/local-supabase';
import { startMisbehavingProxy, type MisbehavingProxy } from './misbehaving-proxy';

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
  const dataDir = mkdtempSync(join(tmpdir(), 'staff-sync-misbehaving-'));
  const closers: Array<() => Promise<void>> = [async () => rmSync(dataDir, { recursive: true, force: true })];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
  };
  try {
    const supabase = await startTestSupabase({ dbPort: 0 });
    closers.push(() => supabase.close());
    const proxies = new Map<Upstream, MisbehavingProxy>();
    closers.push(async () => {
      for (const proxy of proxies.values()) await proxy.close();
    });
    const interpose = async (upstream: Upstream, origin: string): Promise<string> => {
      const proxy = await startMisbehavingProxy(origin);
      proxies.set(upstream, proxy);
      return proxy.url;
    };
    const settings = localSettings({
      PORT: '0',
      DB_PORT: '0',
      LOCAL_DATA_DIR: dataDir,
      SUPABASE_JWT_SECRET: TEST_JWT_SECRET,
      WEBHOOK_SECRET: 'reliability-webhook-secret',
      LOCAL_WEBHOOK_POLL_MS: '50',
    });
    const stage = await startLocalStage({ ...settings, embeddedSupabase: supabase, interpose, webhookTimeoutMs: 2000 });
    closers.push(() => stage.close());
    const documents = createDocumentClient({ endpoint: stage.dynamodbEndpoint, region: 'us-east-1' });
    closers.push(async () => documents.destroy());

    // What the end-to-end support (TestClient, tokenFor) reads.
    Object.assign(process.env, {
      STAGE_WS_URL: stage.websocketUrl,
      STAGE_HTTP_URL: stage.httpUrl,
      STAGE_JWT_SECRET: TEST_JWT_SECRET,
      LOCAL_STAGE: '1',
    });

    return {
      httpUrl: stage.httpUrl,
      websocketUrl: stage.websocketUrl,
      jwtSecret: TEST_JWT_SECRET,
      supabase,
      databaseUrl: `postgres://postgres:postgres@127.0.0.1:${supabase.dbPort}/postgres`,
      gateway: stage.gateway,
      rpc: proxies.get('supabase')!,
      dynamo: proxies.get('dynamodb')!,
      webhook: proxies.get('webhooks')!,
      documents,
      connectionsTable: stage.connectionsTable,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
