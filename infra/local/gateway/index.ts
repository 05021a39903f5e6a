/**
 * A local API Gateway WebSocket API (Lambda proxy integrations) attached to an `http.Server`.
 * Handler-agnostic: give it the authorizer and route handlers; it builds API Gateway's events,
 * enforces its limits and serves `@connections` for the real AWS SDK client. See README.md.
 *
 * @example
 * const gateway = createWebSocketGateway({ server, handlers: { authorizer, connect, disconnect, message } });
 * // in the server's request listener, before other routes:
 * if (gateway.handleManagementRequest(req, res)) return;
 * // Lambdas post through: new ApiGatewayManagementApiClient({ endpoint: gateway.managementEndpoint() })
 */
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { LiveConnection } from './connection';
import { disconnectEvent, newApiId, type ConnectionBase } from './events';
import { handleHandshake, parseIdentitySources, type HandshakeRuntime } from './handshake';
import { Invoker } from './invoke';
import { enforceFrameLimit, resolveLimits } from './limits';
import { createManagementApi, type PostTarget } from './management';
import { Sink } from './sink';
import type { GatewayLogger, GatewayOptions, WebSocketGateway } from './types';

export type * from './types';

const SILENT: GatewayLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

export const createWebSocketGateway = (options: GatewayOptions): WebSocketGateway => {
  const { server, handlers } = options;
  const path = options.path ?? '/staff-sync';
  const stage = options.stage ?? 'local';
  const apiId = options.apiId ?? newApiId();
  const log = options.log ?? SILENT;
  const limits = resolveLimits(options.limits);
  const invoker = new Invoker(limits.integrationTimeoutMs);
  const connections = new Map<string, LiveConnection>();
  const sinks = new Map<string, Sink>();
  const protocols = new WeakMap<IncomingMessage, string>();
  let dropDisconnect = false;
  let closing = false;
  let warnedFrameLimit = false;

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: limits.messageBytes,
    perMessageDeflate: false,
    clientTracking: false,
    handleProtocols: (_offered, req) => protocols.get(req) ?? false,
  });

  const runtime = {
    handlers,
    invoker,
    limits,
    log,
    dropDisconnect: () => dropDisconnect,
    onClosed: (connection: LiveConnection) => connections.delete(connection.id),
  };

  const handshake: HandshakeRuntime = {
    wss,
    handlers,
    invoker,
    log,
    stage,
    apiId,
    methodArn: `arn:aws:execute-api:${options.region ?? 'us-east-1'}:${options.accountId ?? '000000000000'}:${apiId}/${stage}/$connect`,
    identitySources: parseIdentitySources(options.identitySource ?? 'token'),
    stageVariables: options.stageVariables,
    protocols,
    isClosing: () => closing,
    opened: (base: ConnectionBase, socket) => {
      const connection = new LiveConnection(base, socket, runtime);
      if (!enforceFrameLimit(socket, limits.frameBytes) && !warnedFrameLimit) {
        warnedFrameLimit = true;
        log.warn('gateway: this ws version cannot limit single frames; only whole messages are limited', {});
      }
      connections.set(base.connectionId, connection);
      connection.start();
      log.info('gateway: connected', { connectionId: base.connectionId });
    },
    abandoned: (base: ConnectionBase) => {
      if (!handlers.disconnect || dropDisconnect) return;
      invoker.run('disconnect', handlers.disconnect, disconnectEvent(base, 1006, '')).catch(() => undefined);
    },
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const pathname = (req.url ?? '/').split('?')[0];
    if (pathname !== path && pathname !== `${path}/`) {
      if (server.listenerCount('upgrade') === 1) socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    handleHandshake(handshake, req, socket, head).catch((error: unknown) => {
      log.error('gateway: handshake failed', { error: error instanceof Error ? error.name : typeof error });
      socket.destroy();
    });
  };
  server.on('upgrade', onUpgrade);

  const lookup = (id: string): PostTarget | undefined => connections.get(id) ?? sinks.get(id);
  const management = createManagementApi(lookup, limits.messageBytes, log);

  return {
    handleManagementRequest: (req, res) => management.handle(req, res),

    managementEndpoint() {
      const address = server.address() as AddressInfo | string | null;
      if (!address || typeof address === 'string') throw new Error('the gateway server is not listening on a TCP port');
      return `http://127.0.0.1:${address.port}`;
    },

    setDropDisconnect(drop) {
      dropDisconnect = drop;
    },

    connectionIds() {
      return [...connections.keys(), ...sinks.keys()];
    },

    registerSink(connectionId, sinkOptions) {
      if (lookup(connectionId)) throw new Error(`connection ${connectionId} already exists`);
      const sink = new Sink(connectionId, sinkOptions, () => sinks.delete(connectionId));
      sinks.set(connectionId, sink);
      return () => sink.remove();
    },

    async close() {
      if (closing) return;
      closing = true;
      server.off('upgrade', onUpgrade);
      const closed = [...connections.values()].map((connection) => {
        connection.close(1001, 'Going away');
        return connection.whenClosed;
      });
      for (const sink of [...sinks.values()]) sink.remove();
      management.abortPending();
      await Promise.all(closed);
      await invoker.drain(2000);
      wss.close();
    },
  };
};
