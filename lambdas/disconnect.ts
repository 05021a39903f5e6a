/** `$disconnect` (best effort on AWS: a missed one is pruned by the next 410 or by the TTL). */
import { logger } from '../shared/logger';
import { connectionStore } from './lib/connections';
import type { WebSocketEvent } from './lib/websocket-event';

export async function handler(event: WebSocketEvent): Promise<{ statusCode: number }> {
  const { connectionId, requestId } = event.requestContext;
  logger.appendKeys({ connectionId, requestId, orgId: event.requestContext.authorizer?.orgId });
  try {
    await (await connectionStore()).delete(connectionId);
    logger.info('disconnected', { closeCode: event.requestContext.disconnectStatusCode });
    return { statusCode: 200 };
  } finally {
    logger.resetKeys();
  }
}
