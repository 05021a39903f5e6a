/**
 * Delivery through `@connections` (docs/architecture.md §3.3): the org index is read page by page
 * and streamed into a bounded pool of posts over keep-alive sockets (no barrier between pages:
 * the next page is fetched while the current one is posted, and its ids take slots as they
 * free). Each post has its own timeout, so one slow connection never holds the others. A post
 * answering 410 deletes the target's record (by HTTP status, or the `GoneException` name).
 */
import { PostToConnectionCommand, type ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { readAhead } from './read-ahead';
import type { ConnectionStore } from './connection-store';

export interface BroadcastResult {
  sent: number;
  gone: number;
  failed: number;
}

export type PostOutcome = keyof BroadcastResult;

/** Structured logging; the frame payload is never passed to it. */
export interface BroadcastLogger {
  warn(message: string, fields: Record<string, unknown>): void;
}

export interface BroadcasterOptions {
  readonly connections: Pick<ConnectionStore, 'listOrgPages' | 'delete'>;
  readonly management: ApiGatewayManagementApiClient;
  /** Posts in flight at once. @default 50 */
  readonly concurrency?: number;
  /** Budget of one post, SDK retries included; past it the post counts as failed. @default 3000 */
  readonly postTimeoutMs?: number;
  /** Connection ids per org-index query. @default 250 */
  readonly pageSize?: number;
  readonly logger?: BroadcastLogger;
}

/** What is posted to each connection: one frame, or several posted in order (a batch). */
export type BroadcastData = string | readonly string[];

export interface Broadcaster {
  /** One post (a reply to a sender); a 410 prunes the record. */
  send(connectionId: string, data: string): Promise<PostOutcome>;
  /**
   * Every connection of the org but `except`, from the org index (or `pages` of it already being
   * read: `readAhead`). Rejects only when the org index cannot be read.
   */
  broadcast(orgId: string, data: BroadcastData, options?: { readonly except?: string; readonly pages?: AsyncIterable<readonly string[]> }): Promise<BroadcastResult>;
  /** A given page of ids (the broadcaster Lambda's job); `orgId` only labels the logs. */
  broadcastToIds(ids: Iterable<string>, data: BroadcastData, options?: { readonly orgId?: string }): Promise<BroadcastResult>;
}

/** True for `@connections`' 410: the connection is gone for good. */
export const isGone = (error: unknown): boolean => {
  const { name, $metadata } = (error ?? {}) as { name?: string; $metadata?: { httpStatusCode?: number } };
  return $metadata?.httpStatusCode === 410 || name === 'GoneException';
};

async function* idsOfPages(pages: AsyncIterable<readonly string[]>, except: string | undefined): AsyncGenerator<string> {
  for await (const page of pages) {
    for (const id of page) if (id !== except) yield id;
  }
}

const SILENT: BroadcastLogger = { warn: () => undefined };

export function createBroadcaster(options: BroadcasterOptions): Broadcaster {
  const { connections, management } = options;
  const concurrency = options.concurrency ?? 50;
  const postTimeoutMs = options.postTimeoutMs ?? 3000;
  const pageSize = options.pageSize ?? 250;
  const logger = options.logger ?? SILENT;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);

  const prune = async (connectionId: string, orgId: string | undefined): Promise<void> => {
    try {
      await connections.delete(connectionId);
    } catch (error) {
      logger.warn('could not prune a gone connection', { connectionId, orgId, error: (error as Error)?.name });
    }
  };

  const post = async (connectionId: string, data: Uint8Array, orgId: string | undefined): Promise<PostOutcome> => {
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), postTimeoutMs);
    });
    const sending = management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: data }), {
      abortSignal: abort.signal,
    });
    try {
      if ((await Promise.race([sending, timedOut])) === 'timeout') {
        abort.abort();
        sending.catch(() => undefined);
        logger.warn('post timed out', { connectionId, orgId, timeoutMs: postTimeoutMs });
        return 'failed';
      }
      return 'sent';
    } catch (error) {
      if (isGone(error)) {
        await prune(connectionId, orgId);
        return 'gone';
      }
      const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
      logger.warn('post failed', { connectionId, orgId, error: name, statusCode: $metadata?.httpStatusCode });
      return 'failed';
    } finally {
      clearTimeout(timer);
    }
  };

  /**
   * A connection's frames one after another, so they arrive in order; after a failed or gone
   * post the rest are not sent (the client heals the gap by seq).
   */
  const postInOrder = async (connectionId: string, frames: readonly Uint8Array[], orgId: string | undefined, result: BroadcastResult): Promise<void> => {
    for (const frame of frames) {
      const outcome = await post(connectionId, frame, orgId);
      result[outcome] += 1;
      if (outcome !== 'sent') return;
    }
  };

  /** Posts to every id of `ids` with at most `concurrency` connections being posted to at once. */
  const pool = async (ids: AsyncIterable<string> | Iterable<string>, data: BroadcastData, orgId?: string): Promise<BroadcastResult> => {
    const frames = (typeof data === 'string' ? [data] : data).map((frame) => Buffer.from(frame, 'utf8'));
    const result: BroadcastResult = { sent: 0, gone: 0, failed: 0 };
    const inflight = new Set<Promise<void>>();
    const waiting: Array<() => void> = [];
    const release = (): void => waiting.shift()?.();
    try {
      for await (const id of ids) {
        if (inflight.size >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
        const task: Promise<void> = postInOrder(id, frames, orgId, result).then(() => {
          inflight.delete(task);
          release();
        });
        inflight.add(task);
      }
    } finally {
      await Promise.all(inflight);
    }
    return result;
  };

  return {
    send: (connectionId, data) => post(connectionId, Buffer.from(data, 'utf8'), undefined),
    broadcast: (orgId, data, { except, pages } = {}) => pool(idsOfPages(pages ?? readAhead(connections.listOrgPages(orgId, pageSize)), except), data, orgId),
    broadcastToIds: (ids, data, { orgId } = {}) => pool(ids, data, orgId),
  };
}
