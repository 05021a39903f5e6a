/**
 * `$default`: one client frame → the message service → a reply to the sender through
 * `@connections` and a broadcast to the rest of the org. API Gateway may run several of
 * these at once for one connection; nothing here depends on frame order.
 */
import type { Recipient } from '../../shared/connection-store';
import { logger, setRequestKeys } from '../../shared/logger';
import { departmentsTouched } from '../../shared/subscriptions';
import type { MessageService } from '../../shared/message-service';
import type { FanOut } from '../lib/fanout';
import type { Lazy } from '../lib/lazy';
import { identityOf, type WebSocketEvent } from '../lib/websocket-event';

export interface MessageDependencies {
  readonly messageService: Lazy<MessageService>;
  readonly fanOut: Lazy<FanOut>;
}

/** The seq a frame committed (`seq`), or the first and last of a batch's, for logs. */
function seqRange(changes: readonly { seq: number }[] | undefined): { seq?: number; lastSeq?: number } {
  const first = changes?.[0]?.seq;
  const last = changes?.[changes.length - 1]?.seq;
  if (first === undefined) return {};
  return last === first ? { seq: first } : { seq: first, lastSeq: last };
}

export function createMessageHandler({ messageService, fanOut }: MessageDependencies) {
  return async function handler(event: WebSocketEvent): Promise<{ statusCode: number }> {
    const { connectionId, requestId } = event.requestContext;
    const identity = identityOf(event);
    setRequestKeys({ connectionId, requestId, orgId: identity.orgId });
    try {
      const fanout = await fanOut();
      // The org index is read while the write is in flight; a broadcast then waits only for its posts.
      let audience: AsyncIterable<readonly Recipient[]> | undefined;
      const outcome = await (await messageService()).handle(
        { connectionId, body: event.body, isBinary: event.isBase64Encoded, identity, receivedAt: new Date() },
        { onWrite: () => (audience = fanout.audience(identity.orgId)) },
      );
      const seqs = seqRange(outcome.changes);
      const replied = (async () => {
        for (const frame of outcome.beforeReply ?? []) await fanout.reply(connectionId, frame);
        await fanout.reply(connectionId, outcome.reply);
      })();
      await Promise.all([
        replied,
        // The write is committed and acknowledged; a failed broadcast is healed by `seq` (next PONG).
        outcome.broadcast &&
          fanout
            .toOrg(identity.orgId, outcome.broadcast, { except: connectionId, touching: departmentsTouched(outcome.changes ?? []), ...(audience ? { pages: audience } : {}) })
            .catch((error: unknown) => logger.error('broadcast failed', { error, ...seqs })),
        outcome.presence &&
          fanout.toPresenceWatchers(identity.orgId, outcome.presence, connectionId).catch((error: unknown) => logger.warn('presence broadcast failed', { error })),
      ]);
      if (outcome.close) await fanout.disconnect(connectionId);
      logger.info('frame handled', { type: outcome.reply.type, code: 'code' in outcome.reply ? outcome.reply.code : undefined, ...seqs });
      return { statusCode: 200 };
    } finally {
      logger.resetKeys();
    }
  };
}
