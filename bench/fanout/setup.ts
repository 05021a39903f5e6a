/**
 * The fan-out bench's stage: dynalite with the connections table, and the API Gateway emulator
 * serving `@connections` on a local HTTP server. Connections are emulator SINKS (connections
 * without a socket that answer each post after an injected latency), not real WebSockets:
 * 10 000 sockets would meet the open-file limit and measure `ws`, not the broadcaster.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { startLocalDynamo, type LocalDynamo } from '../../infra/local/dynamo';
import { createWebSocketGateway, type WebSocketGateway } from '../../infra/local/gateway';
import { createDocumentClient } from '../../shared/aws-clients';

export interface FanoutStage {
  readonly dynamo: LocalDynamo;
  readonly gateway: WebSocketGateway;
  /** Posts the sinks have answered with 2xx, by org prefix of the id. */
  delivered(orgId: string): number;
  /** Registers `count` sinks of `orgId` (latency `latencyMs`) and writes their records. */
  addOrg(orgId: string, count: number, latencyMs: number, onProgress?: (done: number) => void): Promise<string[]>;
  close(): Promise<void>;
}

/** An id shaped like API Gateway's (`LsL3dc0eIAMCF3A=`), prefixed by its org for counting. */
const connectionId = (orgId: string): string => `${orgId}.${randomBytes(10).toString('base64')}`;

export async function startFanoutStage(): Promise<FanoutStage> {
  const dynamo = await startLocalDynamo();
  const documents = createDocumentClient({ endpoint: dynamo.endpoint, region: 'us-east-1' });
  const server: Server = createServer();
  const gateway = createWebSocketGateway({ server, handlers: { message: async () => ({ statusCode: 200 }) } });
  server.on('request', (req, res) => {
    if (!gateway.handleManagementRequest(req, res)) res.writeHead(404).end();
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  const deliveries = new Map<string, number>();
  const onData = (_data: Buffer, id: string): void => {
    const org = id.slice(0, id.indexOf('.'));
    deliveries.set(org, (deliveries.get(org) ?? 0) + 1);
  };
  const removals: Array<() => void> = [];

  return {
    dynamo,
    gateway,
    delivered: (orgId) => deliveries.get(orgId) ?? 0,
    async addOrg(orgId, count, latencyMs, onProgress) {
      const now = Date.now();
      const items = Array.from({ length: count }, () => {
        const id = connectionId(orgId);
        removals.push(gateway.registerSink(id, { latencyMs, onData }));
        return { connectionId: id, orgId, userId: `user-${id}`, role: 'viewer', connectedAt: now, expiresAt: Math.floor(now / 1000) + 7200 };
      });
      let written = 0;
      const batches = Array.from({ length: Math.ceil(items.length / 25) }, (_, i) => items.slice(i * 25, i * 25 + 25));
      const writeBatch = async (batch: typeof items): Promise<void> => {
        let requests = batch.map((Item) => ({ PutRequest: { Item } }));
        while (requests.length > 0) {
          const result = await documents.send(new BatchWriteCommand({ RequestItems: { [dynamo.tableName]: requests } }));
          requests = (result.UnprocessedItems?.[dynamo.tableName] ?? []) as typeof requests;
        }
        written += batch.length;
        onProgress?.(written);
      };
      const lanes = Array.from({ length: 8 }, async (_, lane) => {
        for (let i = lane; i < batches.length; i += 8) await writeBatch(batches[i] as typeof items);
      });
      await Promise.all(lanes);
      return items.map((item) => item.connectionId);
    },
    async close() {
      for (const remove of removals) remove();
      await gateway.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      documents.destroy();
      await dynamo.close();
    },
  };
}
