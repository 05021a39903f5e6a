/** `$disconnect` (best effort on AWS: a missed one is pruned by the next 410 or by the TTL, and announces no leave). */
import type { ConnectionStore } from '../../shared/connection-store';
import { logger, setRequestKeys } from '../../shared/logger';
import { memberIdOf, presenceLeaveFrame } from '../../shared/presence';
import type { FanOut } from '../lib/fanout';
import type { Lazy } from '../lib/lazy';
import type { WebSocketEvent } from '../lib/websocket-event';

export interface DisconnectDependencies {
  readonly connections: ConnectionStore;
  readonly fanOut: Lazy<FanOut>;
}

export function createDisconnectHandler({ connections, fanOut }: DisconnectDependencies) {
  async function announce(orgId: string, connectionId: string): Promise<void> {
    try {
      await (await fanOut()).toPresenceWatchers(orgId, presenceLeaveFrame(memberIdOf(connectionId)), connectionId);
    } catch (error) {
      logger.warn('could not announce the disconnection to presence watchers', { error });
    }
  }

  return async function handler(event: WebSocketEvent): Promise<{ statusCode: number }> {
    const { connectionId, requestId } = event.requestContext;
    const orgId = event.requestContext.authorizer?.orgId;
    setRequestKeys({ connectionId, requestId, orgId });
    try {
      await connections.delete(connectionId);
      if (orgId) await announce(orgId, connectionId);
      logger.info('disconnected', { closeCode: event.requestContext.disconnectStatusCode });
      return { statusCode: 200 };
    } finally {
      logger.resetKeys();
    }
  };
}
