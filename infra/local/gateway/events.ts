/**
 * Builders of the Lambda proxy events, shaped as API Gateway sends them
 * (docs/reference-apigw.md §1.1, §1.2).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type {
  AuthorizerContext,
  DisconnectRequestContext,
  Headers,
  MultiValueHeaders,
  WebSocketDisconnectEvent,
  WebSocketIdentity,
  WebSocketMessageEvent,
  WebSocketRequestContext,
} from './types';

/** Connection, request and message ids: 16 characters of (URL-safe) base64 ending in `=`. */
export const newId = (): string => `${randomBytes(11).toString('base64url')}=`;

/** An API id: 10 lowercase letters and digits. */
export const newApiId = (): string => {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(10), (byte) => alphabet[byte % alphabet.length]).join('');
};

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number): string => String(n).padStart(2, '0');

/** `dd/MMM/yyyy:HH:mm:ss +0000` (UTC), as in `requestContext.requestTime`. */
export const clfTime = (epochMs: number): string => {
  const d = new Date(epochMs);
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(
    d.getUTCMinutes(),
  )}:${pad(d.getUTCSeconds())} +0000`;
};

export const traceId = (epochMs: number): string =>
  `Root=1-${Math.floor(epochMs / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;

/** What every event of one connection shares. */
export interface ConnectionBase {
  readonly connectionId: string;
  readonly connectedAt: number;
  readonly identity: WebSocketIdentity;
  readonly domainName: string;
  readonly stage: string;
  readonly apiId: string;
  readonly stageVariables?: Headers;
  authorizer?: AuthorizerContext;
}

export const requestContext = (
  base: ConnectionBase,
  routeKey: string,
  eventType: WebSocketRequestContext['eventType'],
  now = Date.now(),
): WebSocketRequestContext => {
  const requestId = newId();
  return {
    routeKey,
    eventType,
    extendedRequestId: requestId,
    requestTime: clfTime(now),
    messageDirection: 'IN',
    stage: base.stage,
    connectedAt: base.connectedAt,
    requestTimeEpoch: now,
    identity: base.identity,
    requestId,
    domainName: base.domainName,
    connectionId: base.connectionId,
    apiId: base.apiId,
    ...(base.authorizer ? { authorizer: base.authorizer } : {}),
  };
};

export const messageEvent = (base: ConnectionBase, data: Buffer, isBinary: boolean): WebSocketMessageEvent => ({
  requestContext: { ...requestContext(base, '$default', 'MESSAGE'), eventType: 'MESSAGE', messageId: newId() },
  body: isBinary ? data.toString('base64') : data.toString('utf8'),
  isBase64Encoded: isBinary,
  ...(base.stageVariables ? { stageVariables: base.stageVariables } : {}),
});

export const disconnectEvent = (base: ConnectionBase, code: number, reason: string): WebSocketDisconnectEvent => {
  const context: DisconnectRequestContext = {
    ...requestContext(base, '$disconnect', 'DISCONNECT'),
    eventType: 'DISCONNECT',
    disconnectStatusCode: code,
    disconnectReason: reason,
  };
  const headers = { Host: base.domainName, 'x-api-key': '', 'X-Forwarded-For': '', 'x-restapi': '' };
  return {
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    requestContext: context,
    isBase64Encoded: false,
    ...(base.stageVariables ? { stageVariables: base.stageVariables } : {}),
  };
};

/** The client's address without the IPv4-mapped prefix. */
export const sourceIpOf = (req: IncomingMessage): string =>
  (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');

/**
 * Handshake headers as API Gateway forwards them: the client's names and case, the last value
 * of a repeated header in `headers`, all of them in `multiValueHeaders`, plus the headers API
 * Gateway adds (trace id, X-Forwarded-*). `withUpgrade` keeps Connection/Upgrade and adds
 * `content-length: 0` (the authorizer's input); `$connect` events do not carry them.
 */
export const handshakeHeaders = (
  req: IncomingMessage,
  trace: string,
  withUpgrade: boolean,
): { headers: Headers; multiValueHeaders: MultiValueHeaders } => {
  const multi: Record<string, string[]> = {};
  const nameOf = new Map<string, string>();
  const add = (name: string, value: string): void => {
    const lower = name.toLowerCase();
    const key = nameOf.get(lower) ?? name;
    nameOf.set(lower, key);
    (multi[key] ??= []).push(value);
  };
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] as string;
    const lower = name.toLowerCase();
    if (!withUpgrade && (lower === 'connection' || lower === 'upgrade')) continue;
    if (lower === 'x-forwarded-for') continue;
    add(name, req.rawHeaders[i + 1] as string);
  }
  const forwarded = req.headers['x-forwarded-for'];
  const ip = sourceIpOf(req);
  add('X-Amzn-Trace-Id', trace);
  add('X-Forwarded-For', forwarded ? `${String(forwarded)}, ${ip}` : ip);
  add('X-Forwarded-Port', String(req.socket.localPort ?? ''));
  add('X-Forwarded-Proto', 'http');
  if (withUpgrade && !nameOf.has('content-length')) add('content-length', '0');
  const headers = Object.fromEntries(Object.entries(multi).map(([k, v]) => [k, v[v.length - 1] as string]));
  return { headers, multiValueHeaders: multi };
};

/** Query parameters: last value in the single map, all values in the multi map; undefined when none. */
export const queryParameters = (
  search: URLSearchParams,
): { single: Headers; multi: MultiValueHeaders } | undefined => {
  const multi: Record<string, string[]> = {};
  for (const [key, value] of search) (multi[key] ??= []).push(value);
  if (Object.keys(multi).length === 0) return undefined;
  const single = Object.fromEntries(Object.entries(multi).map(([k, v]) => [k, v[v.length - 1] as string]));
  return { single, multi };
};
