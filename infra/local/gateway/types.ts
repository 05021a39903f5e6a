/**
 * Public types of the local API Gateway WebSocket emulator: the Lambda proxy events it builds
 * (docs/reference-apigw.md §1, §2), the handlers it invokes and its options.
 */
import type { Server } from 'node:http';
import type { Context } from 'aws-lambda';

export interface WebSocketIdentity {
  readonly sourceIp: string;
  /** Present only when the client sent a User-Agent header. */
  readonly userAgent?: string;
}

/**
 * `requestContext.authorizer`: flat, every context value stringified, plus the authorizer's
 * `principalId` and its latency in ms. The same object is repeated on every later event.
 */
export interface AuthorizerContext {
  readonly principalId: string;
  readonly integrationLatency: number;
  readonly [key: string]: string | number;
}

export type EventType = 'CONNECT' | 'DISCONNECT' | 'MESSAGE';

export interface WebSocketRequestContext {
  readonly routeKey: string;
  readonly eventType: EventType;
  readonly extendedRequestId: string;
  readonly requestTime: string;
  readonly messageDirection: 'IN';
  readonly stage: string;
  readonly connectedAt: number;
  readonly requestTimeEpoch: number;
  readonly identity: WebSocketIdentity;
  readonly requestId: string;
  readonly domainName: string;
  readonly connectionId: string;
  readonly apiId: string;
  readonly authorizer?: AuthorizerContext;
}

export interface MessageRequestContext extends WebSocketRequestContext {
  readonly eventType: 'MESSAGE';
  readonly messageId: string;
}

export interface DisconnectRequestContext extends WebSocketRequestContext {
  readonly eventType: 'DISCONNECT';
  readonly disconnectStatusCode: number;
  readonly disconnectReason: string;
}

export type Headers = Readonly<Record<string, string>>;
export type MultiValueHeaders = Readonly<Record<string, readonly string[]>>;

/** Input of the `$connect` Lambda REQUEST authorizer. */
export interface WebSocketAuthorizerEvent {
  readonly type: 'REQUEST';
  readonly methodArn: string;
  readonly headers: Headers;
  readonly multiValueHeaders: MultiValueHeaders;
  readonly queryStringParameters: Headers;
  readonly multiValueQueryStringParameters: MultiValueHeaders;
  readonly stageVariables: Headers;
  readonly requestContext: WebSocketRequestContext;
}

export interface WebSocketConnectEvent {
  readonly headers: Headers;
  readonly multiValueHeaders: MultiValueHeaders;
  readonly queryStringParameters?: Headers;
  readonly multiValueQueryStringParameters?: MultiValueHeaders;
  readonly stageVariables?: Headers;
  readonly requestContext: WebSocketRequestContext;
  readonly isBase64Encoded: false;
}

export interface WebSocketDisconnectEvent {
  readonly headers: Headers;
  readonly multiValueHeaders: MultiValueHeaders;
  readonly stageVariables?: Headers;
  readonly requestContext: DisconnectRequestContext;
  readonly isBase64Encoded: false;
}

export interface WebSocketMessageEvent {
  readonly body: string;
  readonly isBase64Encoded: boolean;
  readonly stageVariables?: Headers;
  readonly requestContext: MessageRequestContext;
}

/**
 * A Lambda entry point (async). The gateway passes the events typed above, but a handler may
 * declare its own event type (e.g. @types/aws-lambda's, which lack `headers` and `identity`
 * and require `messageId` everywhere), so the parameter is left unconstrained here.
 */
export type LambdaHandler = (event: never, context: Context) => unknown;

/**
 * The handlers the gateway invokes: `authorizer` gets a `WebSocketAuthorizerEvent`, `connect`
 * a `WebSocketConnectEvent`, `disconnect` a `WebSocketDisconnectEvent`, `message` a
 * `WebSocketMessageEvent`.
 */
export interface GatewayHandlers {
  readonly authorizer?: LambdaHandler;
  readonly connect?: LambdaHandler;
  readonly disconnect?: LambdaHandler;
  readonly message: LambdaHandler;
}

export interface GatewayLimits {
  /** Largest incoming frame in bytes. @default 32768 (32 KB) */
  readonly frameBytes?: number;
  /** Largest incoming message (all its frames) in bytes, and largest `@connections` post. @default 131072 */
  readonly messageBytes?: number;
  /** Idle timeout. @default env LOCAL_IDLE_TIMEOUT_MS, else 600000 (10 min) */
  readonly idleTimeoutMs?: number;
  /** Connection lifetime. @default env LOCAL_MAX_CONNECTION_MS, else 7200000 (2 h) */
  readonly maxLifetimeMs?: number;
  /** Integration timeout of the authorizer and every route. @default 29000 */
  readonly integrationTimeoutMs?: number;
}

export interface GatewayLogger {
  debug(message: string, fields: Record<string, unknown>): void;
  info(message: string, fields: Record<string, unknown>): void;
  warn(message: string, fields: Record<string, unknown>): void;
  error(message: string, fields: Record<string, unknown>): void;
}

export interface GatewayOptions {
  /** The HTTP server to attach to; its `upgrade` requests on `path` become WebSocket handshakes. */
  readonly server: Server;
  /** URL path of the WebSocket endpoint. @default '/staff-sync' */
  readonly path?: string;
  /** `requestContext.stage` and the stage segment of the `methodArn`. @default 'local' */
  readonly stage?: string;
  readonly handlers: GatewayHandlers;
  /**
   * Identity sources of the authorizer: a bare name is a query parameter (`'token'`), or a full
   * expression `route.request.querystring.X` / `route.request.header.X`. All must be non-empty,
   * else 401 without invoking the authorizer. @default 'token'
   */
  readonly identitySource?: string | readonly string[];
  readonly limits?: GatewayLimits;
  /** Stage variables added to every event. @default none (the key is omitted) */
  readonly stageVariables?: Readonly<Record<string, string>>;
  /** @default a random 10-character id */
  readonly apiId?: string;
  /** Region and account of the `methodArn`. @default 'us-east-1', '000000000000' */
  readonly region?: string;
  readonly accountId?: string;
  /** @default silent */
  readonly log?: GatewayLogger;
}

export interface SinkOptions {
  /** Delay before a post is answered; `Infinity` never answers (a hanging connection). */
  readonly latencyMs: number;
  /** Called with each posted payload, after the latency. */
  readonly onData?: (data: Buffer, connectionId: string) => void;
  /** HTTP status the post answers with (410 Gone, 500…). @default 200 */
  readonly status?: number;
}

export interface WebSocketGateway {
  /** Serves `[/{stage}]/@connections/{id}`; returns false (and does nothing) for other paths. */
  handleManagementRequest(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): boolean;
  /** `http://127.0.0.1:<port>` of the attached server: the endpoint of `ApiGatewayManagementApiClient`. */
  managementEndpoint(): string;
  /** While true, `$disconnect` is never invoked (API Gateway's is best effort). */
  setDropDisconnect(drop: boolean): void;
  /** Ids of the sockets not closed yet (a closing one is listed until its socket has closed) and of the sinks. */
  connectionIds(): string[];
  /** A connection without a socket that accepts posts after `latencyMs`; returns its removal. */
  registerSink(connectionId: string, options: SinkOptions): () => void;
  /** Stops accepting handshakes, closes every socket with 1001, waits for in-flight handlers. */
  close(): Promise<void>;
}
