/**
 * AWS SDK v3 clients, built once per cold start. Short timeouts and bounded retries, so a
 * hanging dependency turns into `UPSTREAM_UNAVAILABLE` well within API Gateway's 29 s.
 *
 * @example
 * const documents = createDocumentClient({ endpoint: process.env.DYNAMODB_ENDPOINT, region: 'eu-west-1' });
 * const management = createManagementClient({ endpoint: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod' });
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { NodeHttpHandler } from '@smithy/node-http-handler';

export interface ClientOptions {
  /** Endpoint override (dynalite, the local gateway). */
  readonly endpoint?: string;
  /** @default env AWS_REGION, else 'us-east-1' */
  readonly region?: string;
  /** Time allowed to open a connection. */
  readonly connectionTimeoutMs?: number;
  /** Time allowed for one request and its response. */
  readonly requestTimeoutMs?: number;
  /** Attempts per call, the first included. */
  readonly maxAttempts?: number;
  /** Sockets kept per host; at least the number of calls in flight at once. */
  readonly maxSockets?: number;
}

/** Any credentials do for a local endpoint (dynalite, the local gateway); the default chain would probe instance metadata. */
const localCredentials = (endpoint: string | undefined) =>
  endpoint && /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(endpoint) && !process.env.AWS_ACCESS_KEY_ID
    ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
    : {};

const requestHandler = (endpoint: string | undefined, options: ClientOptions, defaults: Required<Pick<ClientOptions, 'connectionTimeoutMs' | 'requestTimeoutMs' | 'maxSockets'>>): NodeHttpHandler => {
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? defaults.maxSockets };
  const https = !endpoint || endpoint.startsWith('https:');
  return new NodeHttpHandler({
    ...(https ? { httpsAgent: new HttpsAgent(agentOptions) } : { httpAgent: new HttpAgent(agentOptions) }),
    connectionTimeout: options.connectionTimeoutMs ?? defaults.connectionTimeoutMs,
    requestTimeout: options.requestTimeoutMs ?? defaults.requestTimeoutMs,
    throwOnRequestTimeout: true,
  });
};

const regionOf = (options: ClientOptions): string => options.region ?? process.env.AWS_REGION ?? 'us-east-1';

/**
 * Each command class's middleware chain resolved once, not on every send: ~20 % of an
 * `@connections` post's CPU (`npm run bench -- fanout`). Safe while no middleware is added
 * after the first send; lib-dynamodb's document client refuses it, so DynamoDB goes without.
 */
const cacheMiddleware = true;

/**
 * A DynamoDB document client: 1 s to connect, 2 s per request, 3 attempts (SDK standard retries,
 * which back off on throttling). `undefined` attributes are dropped.
 */
export function createDocumentClient(options: ClientOptions = {}): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    region: regionOf(options),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...localCredentials(options.endpoint),
    maxAttempts: options.maxAttempts ?? 3,
    requestHandler: requestHandler(options.endpoint, options, { connectionTimeoutMs: 1000, requestTimeoutMs: 2000, maxSockets: 64 }),
  });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export interface ManagementClientOptions extends ClientOptions {
  /** The `@connections` endpoint: `https://{apiId}.execute-api.{region}.amazonaws.com/{stage}`, or the local gateway's. */
  readonly endpoint: string;
}

/**
 * An `@connections` client over keep-alive sockets (default 128 per host, above the broadcaster's
 * concurrency), 1 s to connect and 3 s per post so one hanging connection cannot hold the others;
 * 2 attempts (a 429 or 5xx is retried once).
 */
export function createManagementClient(options: ManagementClientOptions): ApiGatewayManagementApiClient {
  return new ApiGatewayManagementApiClient({
    region: regionOf(options),
    endpoint: options.endpoint,
    ...localCredentials(options.endpoint),
    maxAttempts: options.maxAttempts ?? 2,
    cacheMiddleware,
    requestHandler: requestHandler(options.endpoint, options, { connectionTimeoutMs: 1000, requestTimeoutMs: 3000, maxSockets: 128 }),
  });
}

/** A Lambda client for asynchronous hand-offs: 1 s to connect, 3 s per request, 3 attempts. */
export function createLambdaClient(options: ClientOptions = {}): LambdaClient {
  return new LambdaClient({
    region: regionOf(options),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...localCredentials(options.endpoint),
    maxAttempts: options.maxAttempts ?? 3,
    cacheMiddleware,
    requestHandler: requestHandler(options.endpoint, options, { connectionTimeoutMs: 1000, requestTimeoutMs: 3000, maxSockets: 64 }),
  });
}
