/** `$connect`: records the connection so broadcasts to its org reach it. */
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { expiresAtFor, type ConnectionStore } from '../../shared/connection-store';
import { logger, setRequestKeys } from '../../shared/logger';
import { identityOf, type WebSocketEvent } from '../lib/websocket-event';

export interface ConnectDependencies {
  readonly connections: ConnectionStore;
}

export function createConnectHandler({ connections }: ConnectDependencies) {
  return async function handler(event: WebSocketEvent): Promise<APIGatewayProxyResultV2> {
    const { connectionId, connectedAt } = event.requestContext;
    const identity = identityOf(event);
    setRequestKeys({ connectionId, orgId: identity.orgId, requestId: event.requestContext.requestId });
    try {
      await connections.put({
        connectionId,
        orgId: identity.orgId,
        userId: identity.userId,
        role: identity.role,
        connectedAt,
        expiresAt: expiresAtFor(identity.tokenExp, connectedAt),
      });
      logger.info('connected');
      return { statusCode: 200 };
    } catch (error) {
      logger.error('could not record the connection', { error });
      return { statusCode: 503 };
    } finally {
      logger.resetKeys();
    }
  };
}
