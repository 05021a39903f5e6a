/**
 * The floor of one write → broadcast on this stage, measured in the same run with the same
 * adapters the message Lambda uses: one RPC (`staff_update` through the staff store), one
 * org-index query (the connection store), one `@connections` post (to a live socket); and the
 * floor of the message Lambda's order, the query started with the RPC: max(RPC, query) + post.
 * Beside them, every post one write makes to an org of `sockets` connections at once (the ACK and
 * a broadcast to each other one), which the single post leaves out.
 */
import { PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { mintLocalToken } from '../../infra/local/tokens';
import { createDocumentClient, createManagementClient } from '../../shared/aws-clients';
import { createConnectionStore } from '../../shared/connection-store';
import { createStaffStore } from '../../shared/staff-store';
import type { BenchStage } from '../lib/stage';
import { sampleBroadcast } from '../fanout/frame';
import { BenchClient, nextRequestId } from './client';

export interface FloorSample {
  readonly rpcMs: number;
  readonly queryMs: number;
  readonly postMs: number;
  /** RPC and query started together, then the post: the whole chain. */
  readonly overlappedMs: number;
  /** A post to each of the org's sockets, all at once. */
  readonly allPostsMs: number;
}

async function firstPage(pages: AsyncIterable<string[]>): Promise<void> {
  const iterator = pages[Symbol.asyncIterator]();
  await iterator.next();
  await iterator.return?.();
}

export async function measureFloor(bench: BenchStage, orgId: string, samples: number, sockets: number): Promise<FloorSample[]> {
  const { stage } = bench;
  const store = createStaffStore({ url: stage.supabaseUrl, serviceKey: bench.serviceKey });
  const documents = createDocumentClient({ endpoint: stage.dynamodbEndpoint, region: 'us-east-1' });
  const connections = createConnectionStore({ client: documents, tableName: stage.connectionsTable });
  const management = createManagementClient({ endpoint: bench.managementEndpoint, region: 'us-east-1' });
  const clients = await Promise.all(
    Array.from({ length: Math.max(1, sockets) }, async () => BenchClient.connect(`${stage.websocketUrl}?token=${await mintLocalToken({ orgId, role: 'manager' })}`)),
  );
  try {
    const ctx = { orgId, userId: 'bench-floor' };
    const created = await store.create(ctx, nextRequestId('floor'), { name: 'Floor Person' });
    if (!created.change) throw new Error('the floor record was not created');
    let { version } = created.change;
    const { staffId } = created.change;
    const connectionIds = (await connections.listOrgPages(orgId, 250)[Symbol.asyncIterator]().next()).value as string[];
    const [connectionId] = connectionIds;
    const data = Buffer.from(JSON.stringify(sampleBroadcast()));
    const result: FloorSample[] = [];
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      const written = await store.update(ctx, nextRequestId('floor'), staffId, version, { position: `Floor ${i}` });
      const t1 = performance.now();
      await firstPage(connections.listOrgPages(orgId, 250));
      const t2 = performance.now();
      await management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: data }));
      const t3 = performance.now();
      version = written.change?.version ?? version;
      const [overlapped] = await Promise.all([
        store.update(ctx, nextRequestId('floor'), staffId, version, { position: `Floor ${i}+` }),
        firstPage(connections.listOrgPages(orgId, 250)),
      ]);
      await management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: data }));
      const t4 = performance.now();
      version = overlapped.change?.version ?? version;
      await Promise.all(connectionIds.map((id) => management.send(new PostToConnectionCommand({ ConnectionId: id, Data: data }))));
      const t5 = performance.now();
      result.push({ rpcMs: t1 - t0, queryMs: t2 - t1, postMs: t3 - t2, overlappedMs: t4 - t3, allPostsMs: t5 - t4 });
    }
    return result;
  } finally {
    await Promise.all(clients.map((client) => client.close()));
    management.destroy();
    documents.destroy();
  }
}
