/** `$connect`: records the connection so broadcasts to its org reach it, and announces it to presence watchers. */
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { expiresAtFor, type ConnectionRecord, type ConnectionStore } from '../../shared/connection-store';
import { logger, setRequestKeys } from '../../shared/logger';
import { presenceMember, presenceMemberFrame } from '../../shared/presence';
import type { FanOut } from '../lib/fanout';
import type { Lazy } from '../lib/lazy';
import { identityOf, type WebSocketEvent } from '../lib/websocket-event';

export interface ConnectDependencies {
  readonly connections: ConnectionStore;
  readonly fanOut: Lazy<FanOut>;
}

export function createConnectHandler({ connections, fanOut }: ConnectDependencies) {
  /** Best effort, like every broadcast: a watcher that missed it sees the member in its next snapshot. */
  async function announce(record: ConnectionRecord): Promise<void> {
    try {
      const joined = presenceMemberFrame('join', presenceMember(record, Date.now()));
      await (await fanOut()).toPresenceWatchers(record.orgId, joined, record.connectionId);
    } catch (error) {
      logger.warn('could not announce the connection to presence watchers', { error });
    }
  }

  return async function handler(event: WebSocketEvent): Promise<APIGatewayProxyResultV2> {
    const { connectionId, connectedAt } = event.requestContext;
    const identity = identityOf(event);
    setRequestKeys({ connectionId, orgId: identity.orgId, requestId: event.requestContext.requestId });
    try {
      const record: ConnectionRecord = {
        connectionId,
        orgId: identity.orgId,
        userId: identity.userId,
        role: identity.role,
        connectedAt,
        expiresAt: expiresAtFor(identity.tokenExp, connectedAt),
        // A token limited to some departments starts subscribed to them (docs/protocol.md §7.9).
        ...(identity.departments ? { departments: identity.departments } : {}),
      };
      try {
        await connections.put(record);
      } catch (error) {
        logger.error('could not record the connection', { error });
        return { statusCode: 503 };
      }
      await announce(record);
      logger.info('connected');
      return { statusCode: 200 };
    } finally {
      logger.resetKeys();
    }
  };
}
