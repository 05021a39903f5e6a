/**
 * One broadcaster "invocation" in a fresh process (bundled like a Lambda): the real
 * `createBroadcaster` over the real connection store and `@connections` client, pointed at
 * dynalite and the gateway emulator. It warms up on a small org first (a warm Lambda has its
 * keep-alive sockets open), then times one broadcast and reports its CPU time and peak memory.
 */
import { PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { createDocumentClient, createManagementClient } from '../../shared/aws-clients';
import { createBroadcaster, isGone, type BroadcastResult } from '../../shared/broadcaster';
import { createConnectionStore } from '../../shared/connection-store';
import { answer, ready, workerInput } from '../lib/worker';

export interface FanoutWorkerInput {
  readonly dynamodbEndpoint: string;
  readonly tableName: string;
  readonly managementEndpoint: string;
  readonly orgId: string;
  readonly warmOrgId: string;
  /**
   * `bounded`: the broadcaster pages the org index and posts (one message Lambda);
   * `ids`: the broadcaster posts to the given ids (one broadcaster Lambda of a partitioned fan-out);
   * `naive`: the org's ids read, then every post at once through `Promise.all`.
   */
  readonly mode: 'bounded' | 'ids' | 'naive';
  readonly ids?: readonly string[];
  readonly concurrency: number;
  readonly pageSize: number;
  readonly data: string;
}

export interface FanoutWorkerResult extends BroadcastResult {
  readonly ms: number;
  /** Epoch ms (fractional) the timed broadcast started and ended. */
  readonly startedAt: number;
  readonly endedAt: number;
  /** CPU time (user + system) this process spent on the timed broadcast. */
  readonly cpuMs: number;
  readonly maxRssMb: number;
  readonly queries: number;
}

const epochMs = (): number => performance.timeOrigin + performance.now();

async function main(): Promise<void> {
  const input = await workerInput<FanoutWorkerInput>();
  const documents = createDocumentClient({ endpoint: input.dynamodbEndpoint, region: 'us-east-1' });
  let queries = 0;
  documents.middlewareStack.add(
    (next, context) => (args) => {
      if (context.commandName === 'QueryCommand') queries += 1;
      return next(args);
    },
    { step: 'initialize', name: 'benchCountQueries' },
  );
  const connections = createConnectionStore({ client: documents, tableName: input.tableName });
  // As the message and broadcaster Lambdas build it (lambdas/lib/fanout.ts): a socket per post in flight, and one for the reply.
  const management = createManagementClient({ endpoint: input.managementEndpoint, region: 'us-east-1', maxSockets: input.concurrency + 1 });
  const broadcaster = createBroadcaster({ connections, management, concurrency: input.concurrency, pageSize: input.pageSize });

  const naive = async (orgId: string): Promise<BroadcastResult> => {
    const ids: string[] = [];
    for await (const page of connections.listOrgPages(orgId, input.pageSize)) ids.push(...page);
    const bytes = Buffer.from(input.data, 'utf8');
    const outcomes = await Promise.allSettled(ids.map((id) => management.send(new PostToConnectionCommand({ ConnectionId: id, Data: bytes }))));
    const result = { sent: 0, gone: 0, failed: 0 };
    for (const outcome of outcomes) {
      if (outcome.status === 'fulfilled') result.sent += 1;
      else if (isGone(outcome.reason)) result.gone += 1;
      else result.failed += 1;
    }
    return result;
  };
  const run = (orgId: string, ids?: readonly string[]): Promise<BroadcastResult> => {
    if (input.mode === 'naive') return naive(orgId);
    if (ids) return broadcaster.broadcastToIds(ids, input.data, { orgId });
    return broadcaster.broadcast(orgId, input.data);
  };

  await run(input.warmOrgId);
  queries = 0;
  await ready();
  const cpu = process.cpuUsage();
  const startedAt = epochMs();
  const result = await run(input.orgId, input.mode === 'ids' ? input.ids : undefined);
  const endedAt = epochMs();
  const { user, system } = process.cpuUsage(cpu);
  answer({
    ...result,
    ms: endedAt - startedAt,
    startedAt,
    endedAt,
    cpuMs: (user + system) / 1000,
    queries,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  } satisfies FanoutWorkerResult);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
