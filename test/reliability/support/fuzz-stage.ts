/**
 * The whole local stage in this Jest worker (`startLocalStage`), on free ports and a throwaway
 * data folder, for the fuzz, token-attack and tenancy suites: the Lambda handlers can then be
 * called directly (in-process frames), and everything the stage prints can be captured.
 *
 * The embedded Supabase (PGlite + the PostgREST-compatible RPC server) is started from the
 * migrated snapshot the integration tests share (~1 s instead of ~7 s for a fresh database) and
 * handed to the stage as its own, so the stage's webhook relay carries database-origin writes
 * to clients as on `npm start`. The suite's settings go into the environment the stage builds
 * its Lambdas from; nothing is written to `process.env`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { LocalSupabase } from '../../../infra/local/db';
import { localSettings } from '../../../infra/local/settings';
import { startLocalStage, type LocalStage } from '../../../infra/local/stage';
import { LOCAL_JWT_SECRET_DEFAULT } from '../../../infra/local/tokens';
import { startTestSupabase } from '../../helpers/local-supabase';

export interface ConnectionItem {
  readonly connectionId: string;
  readonly orgId: string;
  readonly userId: string;
  readonly role: string;
}

export interface InProcessStage extends LocalStage {
  readonly jwtSecret: string;
  /** The service key the stage's Lambdas use (SUPABASE_SERVICE_KEY). */
  readonly serviceKey: string;
  /** Every line the stage's own log callback printed. */
  readonly stageLog: string[];
  /** The embedded Supabase: `query()` runs SQL as the database owner (row counts, direct writes). */
  readonly supabase: LocalSupabase;
  /** Every connection record in the table (dynalite), optionally of one org. */
  connectionRecords(orgId?: string): Promise<ConnectionItem[]>;
}

export interface InProcessStageOptions {
  /** More environment for the handlers' cold start (JWKS_URL, JWT_ISSUER, POWERTOOLS_LOG_LEVEL, …). */
  readonly env?: Record<string, string>;
  readonly jwtSecret?: string;
}

export async function startInProcessStage(options: InProcessStageOptions = {}): Promise<InProcessStage> {
  const dataDir = mkdtempSync(join(tmpdir(), 'staff-sync-reliability-'));
  const jwtSecret = options.jwtSecret ?? LOCAL_JWT_SECRET_DEFAULT;
  const supabase = await startTestSupabase();
  const settings = localSettings({
    PORT: '0',
    DB_PORT: '0',
    LOCAL_DATA_DIR: dataDir,
    SUPABASE_JWT_SECRET: jwtSecret,
    LOCAL_WEBHOOK_POLL_MS: '50',
    ...(options.env ?? {}),
  });
  const stageLog: string[] = [];
  let stage: LocalStage;
  try {
    stage = await startLocalStage({ ...settings, embeddedSupabase: supabase, log: (line) => stageLog.push(line) });
  } catch (error) {
    await supabase.close();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: stage.dynamodbEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  );

  async function connectionRecords(orgId?: string): Promise<ConnectionItem[]> {
    const items: ConnectionItem[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await documents.send(
        new ScanCommand({
          TableName: stage.connectionsTable,
          ConsistentRead: true,
          ...(orgId === undefined ? {} : { FilterExpression: 'orgId = :o', ExpressionAttributeValues: { ':o': orgId } }),
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      items.push(...((page.Items ?? []) as ConnectionItem[]));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  return {
    ...stage,
    jwtSecret,
    serviceKey: supabase.serviceKey,
    stageLog,
    supabase,
    connectionRecords,
    close: async () => {
      documents.destroy();
      await stage.close();
      await supabase.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
