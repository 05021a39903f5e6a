/**
 * The WebSocket handshake as API Gateway runs it (docs/reference-apigw.md §2, §3):
 * identity sources (401 without invoking the authorizer), the REQUEST authorizer (401/403/500),
 * then `$connect` (non-2xx → that status, throw → 500), then 101 with the echoed subprotocol.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { evaluateAuthorizerResult, isUnauthorized } from './authorizer';
import { handshakeHeaders, newId, queryParameters, requestContext, sourceIpOf, traceId, type ConnectionBase } from './events';
import type { Invoker } from './invoke';
import type { GatewayHandlers, GatewayLogger, WebSocketConnectEvent } from './types';

export interface HandshakeRuntime {
  readonly wss: WebSocketServer;
  readonly handlers: GatewayHandlers;
  readonly invoker: Invoker;
  readonly log: GatewayLogger;
  readonly stage: string;
  readonly apiId: string;
  readonly methodArn: string;
  readonly identitySources: readonly IdentitySource[];
  readonly stageVariables: Readonly<Record<string, string>> | undefined;
  /** The subprotocol `$connect` returned, read by the server's `handleProtocols`. */
  readonly protocols: WeakMap<IncomingMessage, string>;
  readonly isClosing: () => boolean;
  readonly opened: (base: ConnectionBase, socket: WebSocket) => void;
  /** `$connect` accepted but the client left before the upgrade completed. */
  readonly abandoned: (base: ConnectionBase) => void;
}

export interface IdentitySource {
  readonly kind: 'querystring' | 'header';
  readonly name: string;
}

export const parseIdentitySources = (source: string | readonly string[]): IdentitySource[] =>
  (typeof source === 'string' ? [source] : source).map((entry) => {
    const match = /^route\.request\.(querystring|header)\.(.+)$/.exec(entry);
    if (match) return { kind: match[1] as IdentitySource['kind'], name: match[2] as string };
    if (entry.includes('.')) throw new Error(`identitySource "${entry}" is not route.request.{querystring|header}.NAME`);
    return { kind: 'querystring', name: entry };
  });

const MESSAGES: Readonly<Record<number, string>> = { 401: 'Unauthorized', 403: 'Forbidden', 500: 'Internal server error' };

const refuse = (socket: Duplex, status: number, body?: string): void => {
  const text = body ?? JSON.stringify({ message: MESSAGES[status] ?? null });
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  );
};

const isHandshake = (req: IncomingMessage): boolean =>
  req.method === 'GET' &&
  String(req.headers.upgrade ?? '').toLowerCase() === 'websocket' &&
  /^[+/0-9A-Za-z]{22}==$/.test(String(req.headers['sec-websocket-key'] ?? '')) &&
  req.headers['sec-websocket-version'] === '13';

/** Status, subprotocol and body of a `$connect` result; undefined when it is malformed. */
const connectResponse = (result: unknown): { status: number; protocol?: string; body?: string } | undefined => {
  if (result === undefined || result === null || typeof result === 'string') return { status: 200 };
  if (typeof result !== 'object') return undefined;
  const { statusCode, headers, body } = result as { statusCode?: unknown; headers?: unknown; body?: unknown };
  if (statusCode !== undefined && !(Number.isInteger(statusCode) && Number(statusCode) >= 100 && Number(statusCode) < 600)) {
    return undefined;
  }
  const entry = Object.entries(typeof headers === 'object' && headers !== null ? headers : {}).find(
    ([name]) => name.toLowerCase() === 'sec-websocket-protocol',
  );
  return {
    status: statusCode === undefined ? 200 : Number(statusCode),
    ...(typeof entry?.[1] === 'string' ? { protocol: entry[1] } : {}),
    ...(typeof body === 'string' ? { body } : {}),
  };
};

export const handleHandshake = async (
  rt: HandshakeRuntime,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<void> => {
  socket.on('error', () => socket.destroy());
  if (rt.isClosing()) return refuse(socket, 503);
  if (!isHandshake(req)) return refuse(socket, 400, JSON.stringify({ message: 'Bad handshake' }));
  const url = new URL(req.url ?? '/', 'http://localhost');
  const query = queryParameters(url.searchParams);
  const now = Date.now();
  const userAgent = req.headers['user-agent'];
  const base: ConnectionBase = {
    connectionId: newId(),
    connectedAt: now,
    identity: { sourceIp: sourceIpOf(req), ...(userAgent ? { userAgent } : {}) },
    domainName: req.headers.host ?? 'localhost',
    stage: rt.stage,
    apiId: rt.apiId,
    ...(rt.stageVariables ? { stageVariables: rt.stageVariables } : {}),
  };
  const fields = { connectionId: base.connectionId };
  const trace = traceId(now);
  const { handlers, invoker, log } = rt;

  if (handlers.authorizer) {
    const present = rt.identitySources.every((source) =>
      source.kind === 'querystring'
        ? Boolean(url.searchParams.get(source.name))
        : Boolean(req.headers[source.name.toLowerCase()]),
    );
    if (!present) {
      log.info('gateway: handshake refused, identity source missing', { ...fields, status: 401 });
      return refuse(socket, 401);
    }
    const started = performance.now();
    let result: unknown;
    try {
      result = await invoker.run('authorizer', handlers.authorizer, {
        type: 'REQUEST',
        methodArn: rt.methodArn,
        ...handshakeHeaders(req, trace, true),
        queryStringParameters: query?.single ?? {},
        multiValueQueryStringParameters: query?.multi ?? {},
        stageVariables: rt.stageVariables ?? {},
        requestContext: requestContext(base, '$connect', 'CONNECT', now + 1),
      });
    } catch (error) {
      const status = isUnauthorized(error) ? 401 : 500;
      log.info('gateway: handshake refused by the authorizer', { ...fields, status });
      return refuse(socket, status);
    }
    const outcome = evaluateAuthorizerResult(result, rt.methodArn, Math.round(performance.now() - started));
    if (!outcome.allowed) {
      log.info('gateway: handshake refused by the authorizer', { ...fields, status: outcome.status, reason: outcome.reason });
      return refuse(socket, outcome.status);
    }
    base.authorizer = outcome.context;
  }

  let response: ReturnType<typeof connectResponse> = { status: 200 };
  if (handlers.connect) {
    const event: WebSocketConnectEvent = {
      ...handshakeHeaders(req, trace, false),
      ...(query ? { queryStringParameters: query.single, multiValueQueryStringParameters: query.multi } : {}),
      ...(rt.stageVariables ? { stageVariables: rt.stageVariables } : {}),
      requestContext: requestContext(base, '$connect', 'CONNECT'),
      isBase64Encoded: false,
    };
    try {
      response = connectResponse(await invoker.run('connect', handlers.connect, event));
    } catch {
      response = undefined;
    }
  }
  if (!response || response.status < 200 || response.status > 299) {
    const status = response?.status ?? 500;
    log.info('gateway: handshake refused by $connect', { ...fields, status });
    return refuse(socket, status, response?.body);
  }
  if (response.protocol) rt.protocols.set(req, response.protocol);
  let upgraded = false;
  if (socket.readable && socket.writable && !rt.isClosing()) {
    rt.wss.handleUpgrade(req, socket, head, (ws) => {
      upgraded = true;
      rt.opened(base, ws);
    });
  }
  if (!upgraded) {
    socket.destroy();
    rt.abandoned(base);
  }
};
