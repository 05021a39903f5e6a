/** `$disconnect` (best effort on AWS: a missed one is pruned by the next 410 or by the TTL). */
import { logger, setRequestKeys } from '../shared/logger';
import { connections } from './lib/connections';
import type { WebSocketEvent } from './lib/websocket-event';

export async function handler(event: WebSocketEvent): Promise<{ statusCode: number }> {
  const { connectionId, requestId } = event.requestContext;
  setRequestKeys({ connectionId, requestId, orgId: event.requestContext.authorizer?.orgId });
  try {
    await connections.delete(connectionId);
    logger.info('disconnected', { closeCode: event.requestContext.disconnectStatusCode });
    return { statusCode: 200 };
  } finally {
    logger.resetKeys();
  }
}
