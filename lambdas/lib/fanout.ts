/**
 * Delivery of frames through `@connections`: the reply to a sender, and the broadcast to an
 * org. With a broadcaster Lambda configured, an org larger than one page of the org index is
 * partitioned: every further page is handed to the broadcaster, invoked asynchronously, while
 * this invocation posts to the first page, so delivery time stays near the concurrency floor
 * however large the org (docs/architecture.md §3.3). The local stage runs the broadcaster too,
 * behind its own Invoke endpoint. Without one, pages stream through this invocation's bounded pool.
 */
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { DeleteConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { createLambdaClient, createManagementClient } from '../../shared/aws-clients';
import { createBroadcaster, type BroadcastData, type BroadcastResult } from '../../shared/broadcaster';
import type { BroadcastConfig, ManagementConfig } from '../../shared/config';
import type { ConnectionStore, Recipient } from '../../shared/connection-store';
import { fanOutPartitioned } from '../../shared/fanout-partition';
import { logger } from '../../shared/logger';
import { readAhead } from '../../shared/read-ahead';
import { idPagesReached, type Touched } from '../../shared/subscriptions';

/** What the broadcaster Lambda is handed: a page of ids, or a whole org, and the frames for each. */
export interface BroadcastJob {
  readonly orgId: string;
  readonly data: BroadcastData;
  readonly connectionIds?: readonly string[];
  readonly except?: string;
}

/**
 * Who a broadcast goes to: the sender excluded, the org index already being read (`audience`),
 * and the departments its changes touch (a connection subscribed to others is left out).
 */
export interface Recipients {
  readonly except?: string;
  readonly pages?: AsyncIterable<readonly Recipient[]>;
  /** @default undefined: every connection (frames that are not changes) */
  readonly touching?: Touched;
  /** Pages posted by this invocation before the rest is handed off. @default 1 */
  readonly servedHere?: number;
}

export interface FanOutOptions {
  readonly connections: ConnectionStore;
  readonly broadcastConfig: BroadcastConfig;
  readonly managementConfig: ManagementConfig;
}

const encode = (frame: unknown): string => (typeof frame === 'string' ? frame : JSON.stringify(frame));

/** Lambda's limit for an `Event` invocation's payload is 1 MB; the ids and the JSON around them fit beside this much frame text. */
export const HAND_OFF_FRAME_BYTES = 768 * 1024;

/**
 * The frames of one hand-off split into jobs' worth, in order. A batch larger than one job is
 * handed off as several, which may run side by side: a client then sees a gap and heals it by
 * seq (SYNC_REQUEST), as after any lost frame.
 */
export function handOffChunks(frames: readonly string[], maxBytes = HAND_OFF_FRAME_BYTES): string[][] {
  const chunks: string[][] = [];
  let bytes = 0;
  for (const frame of frames) {
    const size = Buffer.byteLength(frame, 'utf8');
    const last = chunks[chunks.length - 1];
    if (!last || bytes + size > maxBytes) {
      chunks.push([frame]);
      bytes = size;
    } else {
      last.push(frame);
      bytes += size;
    }
  }
  return chunks;
}

export function createFanOut({ connections, broadcastConfig, managementConfig }: FanOutOptions) {
  const { concurrency, pageSize, functionName, lambdaEndpoint } = broadcastConfig;
  // A socket per post in flight (and one for the reply), so no post waits in the agent's queue against its timeout.
  const management = createManagementClient({ ...managementConfig, maxSockets: concurrency + 1 });
  const broadcaster = createBroadcaster({ connections, management, concurrency, pageSize, logger });
  const lambda = functionName ? createLambdaClient(lambdaEndpoint ? { endpoint: lambdaEndpoint } : {}) : undefined;

  async function handOff(orgId: string, frames: readonly string[], connectionIds: readonly string[]): Promise<BroadcastResult> {
    const jobs = handOffChunks(frames).map((chunk): BroadcastJob => ({ orgId, data: chunk, connectionIds }));
    await Promise.all(jobs.map((job) => lambda!.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'Event', Payload: JSON.stringify(job) }))));
    return { sent: 0, gone: 0, failed: 0 };
  }

  /** The org index, its first page asked for now: started while a write is in flight, used if it commits. */
  const audience = (orgId: string): AsyncIterable<readonly Recipient[]> => readAhead(connections.listOrgRecipients(orgId, pageSize));

  /**
   * Posts the frames (in order) to every connection of the org but `except`. `servedHere` pages
   * are posted by this invocation (0: all handed off, so a webhook can answer at once); the rest
   * are handed off.
   */
  async function toOrg(orgId: string, frames: readonly unknown[], { except, pages, touching, servedHere = 1 }: Recipients = {}): Promise<BroadcastResult> {
    const data = frames.map(encode);
    const recipients = idPagesReached(pages ?? audience(orgId), touching);
    const exceptSender = except === undefined ? {} : { except };
    if (!lambda) return broadcaster.broadcast(orgId, data, { ...exceptSender, pages: recipients });
    return fanOutPartitioned({
      pages: recipients,
      ...exceptSender,
      servedHere,
      serve: (connectionIds) => broadcaster.broadcastToIds(connectionIds, data, { orgId }),
      handOff: (connectionIds) => handOff(orgId, data, connectionIds),
    });
  }

  return {
    reply: (connectionId: string, frame: unknown) => broadcaster.send(connectionId, encode(frame)),
    audience,
    toOrg,
    /** A presence event to the org's connections that asked for them (PRESENCE_REQUEST), but `except`. */
    toPresenceWatchers: (orgId: string, frame: unknown, except: string) =>
      toOrg(orgId, [frame], { except, pages: readAhead(connections.listOrgRecipients(orgId, pageSize, { watchingPresence: true })) }),
    /** Every page handed to the broadcaster when there is one, so the webhook answers fast. */
    toOrgInBackground: (orgId: string, frame: unknown, touching: Touched) => toOrg(orgId, [frame], { servedHere: 0, touching }),
    /** Runs a job handed to the broadcaster Lambda. */
    run: (job: BroadcastJob): Promise<BroadcastResult> =>
      job.connectionIds
        ? broadcaster.broadcastToIds(job.connectionIds, job.data, { orgId: job.orgId })
        : broadcaster.broadcast(job.orgId, job.data, job.except === undefined ? {} : { except: job.except }),
    disconnect: async (connectionId: string): Promise<void> => {
      try {
        await management.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
      } catch (error) {
        logger.warn('could not close the connection', { error });
      }
    },
  };
}

export type FanOut = ReturnType<typeof createFanOut>;
