/**
 * Delivery of frames through `@connections`: the reply to a sender, and the broadcast to an
 * org. For an org larger than one page of the org index, this invocation serves the first
 * page and hands every further page to the broadcaster Lambda, invoked asynchronously, so
 * delivery time stays near the concurrency floor however large the org (DESIGN.md).
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DeleteConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { createManagementClient } from '../../shared/aws-clients';
import { createBroadcaster, type BroadcastResult } from '../../shared/broadcaster';
import { loadBroadcastConfig, loadManagementConfig } from '../../shared/config';
import { logger } from '../../shared/logger';
import { connections } from './connections';
import { lazy } from './lazy';

/** What the broadcaster Lambda is handed: a page of ids, or a whole org (from the webhook). */
export interface BroadcastJob {
  readonly orgId: string;
  readonly data: string;
  readonly connectionIds?: readonly string[];
  readonly except?: string;
}

const encode = (frame: unknown): string => (typeof frame === 'string' ? frame : JSON.stringify(frame));

const broadcastConfig = loadBroadcastConfig();
const managementConfig = loadManagementConfig();

export const fanOut = lazy(async () => {
  const management = createManagementClient(managementConfig);
    const broadcaster = createBroadcaster({ connections, management, concurrency: broadcastConfig.concurrency, logger });
  const lambda = broadcastConfig.functionName ? new LambdaClient({}) : undefined;

  async function handOff(job: BroadcastJob): Promise<void> {
    await lambda!.send(
      new InvokeCommand({ FunctionName: broadcastConfig.functionName, InvocationType: 'Event', Payload: JSON.stringify(job) }),
    );
  }

  async function toOrg(orgId: string, frame: unknown, except?: string): Promise<BroadcastResult> {
    const data = encode(frame);
    if (!lambda) return broadcaster.broadcast(orgId, data, except === undefined ? {} : { except });
    const total: BroadcastResult = { sent: 0, gone: 0, failed: 0 };
    const handOffs: Promise<void>[] = [];
    let first = true;
    for await (const page of connections.listOrgPages(orgId, broadcastConfig.pageSize)) {
      const ids = page.filter((id) => id !== except);
      if (first) {
        first = false;
        const result = await broadcaster.broadcastToIds(ids, data);
        total.sent += result.sent;
        total.gone += result.gone;
        total.failed += result.failed;
      } else {
        handOffs.push(handOff({ orgId, data, connectionIds: ids }));
      }
    }
    await Promise.all(handOffs);
    return total;
  }

  return {
    reply: (connectionId: string, frame: unknown) => broadcaster.send(connectionId, encode(frame)),
    toOrg,
    /** Runs a job handed to the broadcaster Lambda. */
    run: (job: BroadcastJob): Promise<BroadcastResult> =>
      job.connectionIds
        ? broadcaster.broadcastToIds(job.connectionIds, job.data)
        : broadcaster.broadcast(job.orgId, job.data, job.except === undefined ? {} : { except: job.except }),
    /** Hands a whole-org broadcast to the broadcaster Lambda when there is one (the webhook answers fast). */
    toOrgInBackground: async (orgId: string, frame: unknown): Promise<void> => {
      if (lambda) return handOff({ orgId, data: encode(frame) });
      await toOrg(orgId, frame);
    },
    disconnect: async (connectionId: string): Promise<void> => {
      try {
        await management.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
      } catch (error) {
        logger.warn('could not close the connection', { error });
      }
    },
  };
});
