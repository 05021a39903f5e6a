/** `$disconnect` (best effort on AWS: a missed one is pruned by the next 410 or by the TTL). */
import type { ConnectionStore } from '../../shared/connection-store';
import { logger, setRequestKeys } from '../../shared/logger';
import type { WebSocketEvent } from '../lib/websocket-event';

export interface DisconnectDependencies {
  readonly connections: ConnectionStore;
}

export function createDisconnectHandler({ connections }: DisconnectDependencies) {
  return async function handler(event: WebSocketEvent): Promise<{ statusCode: number }> {
    const { connectionId, requestId } = event.requestContext;
    setRequestKeys({ connectionId, requestId, orgId: event.requestContext.authorizer?.orgId });
    try {
      await connections.delete(connectionId);
      logger.info('disconnected', { closeCode: event.requestContext.disconnectStatusCode });
      return { statusCode: 200 };
    } finally {
      logger.resetKeys();
    }
  };
}
