/**
 * DynamoDB for the local stage and the tests: dynalite (in memory, or persisted under `path`) on
 * a thread of its own (dynalite-thread.cjs), with the connections table of docs/architecture.md
 * §4. Every record is cleared at start: every socket died with the previous process. TTL is not
 * configured (dynalite has no UpdateTimeToLive); expiry is the deployed table's job, and the 410
 * prune's.
 */
import { ORG_INDEX_ATTRIBUTES, ORG_INDEX_NAME } from '../../shared/connection-store';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';

export const DEFAULT_CONNECTIONS_TABLE = 'staff-sync-connections';

export interface LocalDynamoOptions {
  /** LevelDB folder; in memory when absent. */
  readonly path?: string;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 'staff-sync-connections' */
  readonly tableName?: string;
}

export interface LocalDynamo {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly tableName: string;
  close(): Promise<void>;
}

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** Creates the connections table (key `connectionId`, keys-only GSI on `orgId` + `connectionId`, on-demand) if missing. */
export async function ensureConnectionsTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (!Table?.GlobalSecondaryIndexes?.some((index) => index.IndexName === ORG_INDEX_NAME)) {
      throw new Error(`table ${tableName} exists without the ${ORG_INDEX_NAME} index`);
    }
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'connectionId', AttributeType: 'S' },
        { AttributeName: 'orgId', AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: 'connectionId', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: ORG_INDEX_NAME,
          KeySchema: [
            { AttributeName: 'orgId', KeyType: 'HASH' },
            { AttributeName: 'connectionId', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...ORG_INDEX_ATTRIBUTES] },
        },
      ],
    }),
  );
  for (let attempt = 0; attempt < 100; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}

/** Deletes every record of the table (scan + batch deletes). */
export async function clearTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const documents = DynamoDBDocumentClient.from(client);
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(
      new ScanCommand({ TableName: tableName, ProjectionExpression: 'connectionId', ExclusiveStartKey: startKey }),
    );
    const keys = page.Items ?? [];
    for (let i = 0; i < keys.length; i += 25) {
      let requests = keys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } }));
      while (requests.length > 0) {
        const result = await documents.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } }));
        requests = (result.UnprocessedItems?.[tableName] ?? []) as typeof requests;
      }
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}

/** Starts dynalite on its own thread (dynalite-thread.cjs); resolves once it listens. */
async function startDynaliteThread(options: LocalDynamoOptions): Promise<{ endpoint: string; close(): Promise<void> }> {
  const worker = new Worker(join(__dirname, 'dynalite-thread.cjs'), {
    workerData: { path: options.path, port: options.port ?? 0, host: options.host ?? '127.0.0.1' },
  });
  const port = await new Promise<number>((resolve, reject) => {
    const failed = (error: Error): void => settle(() => reject(error));
    const exitedEarly = (code: number): void => failed(new Error(`dynalite's thread exited (code ${code}) before listening`));
    const settle = (done: () => void): void => {
      // Only while starting: a later error of the thread stays unhandled, as it was in-process.
      worker.off('error', failed).off('exit', exitedEarly);
      done();
    };
    worker.once('message', (message: { port?: number; error?: string }) =>
      settle(() => (message.port ? resolve(message.port) : reject(new Error(`dynalite did not start: ${message.error}`)))),
    );
    worker.on('error', failed).on('exit', exitedEarly);
  });
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closed ??= (async () => {
      const answered = new Promise<void>((resolve) => worker.once('message', () => resolve()));
      worker.postMessage('close');
      await Promise.race([answered, exited]);
      await worker.terminate();
    })());
  return { endpoint: `http://127.0.0.1:${port}`, close };
}

export async function startLocalDynamo(options: LocalDynamoOptions = {}): Promise<LocalDynamo> {
  const tableName = options.tableName ?? DEFAULT_CONNECTIONS_TABLE;
  const { endpoint, close } = await startDynaliteThread(options);
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  try {
    await ensureConnectionsTable(client, tableName);
    await clearTable(client, tableName);
  } catch (error) {
    client.destroy();
    await close().catch(() => undefined);
    throw error;
  }
  client.destroy();
  return { endpoint, tableName, close };
}
