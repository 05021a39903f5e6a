/**
 * The local stage: one process that runs the deployed Lambdas' handlers behind an API Gateway
 * WebSocket emulator and the HTTP routes, on embedded Supabase (PGlite + a PostgREST-compatible
 * RPC server) and dynalite, each on a thread of its own as the services they stand for run
 * apart. The stage composes the environment its Lambdas are given (as the stack's `environment`
 * does) and builds them from it; it writes nothing to `process.env` (except for bundles, which
 * read it as on Lambda: see lambda-handlers.ts), so test stages are calls of this one assembler
 * with their own options.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Env } from '../../shared/config';
import { startLocalSupabaseThread, type LocalSupabaseService } from './db';
import { startWebhookRelay } from './db/webhook-relay';
import { startLocalDynamo } from './dynamo';
import { createWebSocketGateway, type WebSocketGateway } from './gateway';
import { BodyTooLargeError, readBody, toHttpApiEvent, writeHttpApiResult } from './http-event';
import { demoPage } from './demo';
import { loadLambdaHandlers } from './lambda-handlers';
import { createLambdaInvokeEndpoint } from './lambda-invoke';
import { localRoutes } from './local-routes';
import type { LocalStageSettings } from './settings';

export const WEBSOCKET_PATH = '/staff-sync';
export const STAGE_NAME = 'local';
export const BROADCASTER_FUNCTION_NAME = 'staff-sync-local-broadcast';

export interface LocalStage {
  readonly httpUrl: string;
  readonly websocketUrl: string;
  readonly supabaseUrl: string;
  readonly dbPort?: number;
  readonly port: number;
  readonly dynamodbEndpoint: string;
  readonly connectionsTable: string;
  /** Where the handlers came from: the sources, or the deployed bundles. */
  readonly lambdas: LocalStageSettings['lambdas'];
  /** The environment every Lambda of the stage was built from. */
  readonly lambdaEnvironment: Env;
  /** The WebSocket gateway emulator (tests register sinks and drop switches on it). */
  readonly gateway: WebSocketGateway;
  close(): Promise<void>;
}

/** What the Lambdas reach, each named by the origin the stage hands them. */
export type Upstream = 'supabase' | 'dynamodb' | 'webhooks';

export interface LocalStageOptions extends LocalStageSettings {
  /**
   * An embedded Supabase this process already runs (a test's migrated snapshot), used as the
   * stage's own, the webhook relay included; whoever started it closes it.
   */
  readonly embeddedSupabase?: LocalSupabaseService;
  /**
   * Called with each upstream's origin before the Lambdas (and the relay, for `webhooks`) are
   * given it; the origin returned is given instead, e.g. a misbehaving proxy in front of it.
   */
  readonly interpose?: (upstream: Upstream, origin: string) => string | Promise<string>;
  /** Time allowed for one post of the webhook relay. @default 5000 */
  readonly webhookTimeoutMs?: number;
  readonly log?: (message: string) => void;
}

/** A wildcard listen address is reached on loopback; IPv6 literals need brackets in a URL. */
function loopbackOf(address: string): string {
  if (address === '0.0.0.0') return '127.0.0.1';
  if (address === '::') return '[::1]';
  return address.includes(':') ? `[${address}]` : address;
}

export async function startLocalStage(settings: LocalStageOptions): Promise<LocalStage> {
  const log = settings.log ?? (() => {});
  const interpose = settings.interpose ?? ((_upstream: Upstream, origin: string) => origin);
  const closers: Array<() => Promise<void>> = [];
  try {
    const started = settings.supabase || settings.embeddedSupabase
      ? undefined
      : await startLocalSupabaseThread({
          dataDir: join(settings.dataDir, 'pgdata'),
          ...(settings.databaseUrl ? { databaseUrl: settings.databaseUrl } : {}),
          port: 0,
          dbPort: settings.dbPort,
          host: settings.host,
          jwtSecret: settings.jwtSecret,
          log,
        });
    if (started) closers.push(() => started.close());
    const embedded = started ?? settings.embeddedSupabase;
    const supabase = embedded ?? settings.supabase!;

    const dynamo = settings.dynamodbEndpoint
      ? { endpoint: settings.dynamodbEndpoint, tableName: settings.lambdaEnvironment.CONNECTIONS_TABLE ?? 'staff-sync-connections', close: async () => {} }
      : await startLocalDynamo({ path: join(settings.dataDir, 'dynamodb') });
    if (!settings.dynamodbEndpoint) closers.push(() => dynamo.close());

    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(settings.port, settings.host, () => resolve());
    });
    closers.push(() => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }));
    const { port, address } = server.address() as AddressInfo;
    // Where this process reaches its own server (replies, broadcasts, the webhook relay).
    const self = `http://${loopbackOf(address)}:${port}`;
    const httpUrl = `http://localhost:${port}`;
    const websocketUrl = `ws://localhost:${port}${WEBSOCKET_PATH}`;

    const supabaseUrl = await interpose('supabase', supabase.url);
    const lambdaEnvironment: Env = {
      ...settings.lambdaEnvironment,
      STAGE: STAGE_NAME,
      SUPABASE_URL: supabaseUrl,
      SUPABASE_SERVICE_KEY: supabase.serviceKey,
      SUPABASE_JWT_SECRET: settings.jwtSecret,
      // The embedded Supabase has no asymmetric signing keys; HS256 is the local stage's only algorithm.
      JWKS_URL: settings.lambdaEnvironment.JWKS_URL ?? (embedded ? 'none' : `${supabase.url}/auth/v1/.well-known/jwks.json`),
      CONNECTIONS_TABLE: dynamo.tableName,
      DYNAMODB_ENDPOINT: await interpose('dynamodb', dynamo.endpoint),
      WS_MANAGEMENT_ENDPOINT: self,
      // Pages past the first go to the broadcaster, invoked through the real Lambda client as deployed.
      BROADCASTER_FUNCTION_NAME,
      LAMBDA_ENDPOINT: self,
      WEBSOCKET_URL: websocketUrl,
      WEBHOOK_SECRET: settings.webhookSecret,
    };
    const lambdas = await loadLambdaHandlers(settings.lambdas, lambdaEnvironment, join(settings.dataDir, 'bundles'), log);

    const gateway = createWebSocketGateway({
      server,
      path: WEBSOCKET_PATH,
      stage: STAGE_NAME,
      handlers: { authorizer: lambdas.authorizer, connect: lambdas.connect, disconnect: lambdas.disconnect, message: lambdas.message },
    });
    closers.push(() => gateway.close());
    const invoke = createLambdaInvokeEndpoint({ [BROADCASTER_FUNCTION_NAME]: lambdas.broadcast }, log);
    closers.push(() => invoke.idle());
    const local = localRoutes({ jwtSecret: settings.jwtSecret, gateway, demoPage });

    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      void route(req, res).catch((error: unknown) => {
        const tooLarge = error instanceof BodyTooLargeError;
        if (!tooLarge) log(`request failed: ${error instanceof Error ? error.message : String(error)}`);
        if (!res.headersSent) res.writeHead(tooLarge ? 413 : 500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: tooLarge ? 'Payload Too Large' : 'Internal Server Error' }));
      });
    });
    async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
      if (gateway.handleManagementRequest(req, res)) return;
      if (await invoke.handle(req, res)) return;
      if (await local.handle(req, res)) return;
      const body = await readBody(req);
      const event = toHttpApiEvent(req, body, STAGE_NAME);
      event.headers['x-forwarded-proto'] = 'http';
      writeHttpApiResult(res, await lambdas.http(event));
    }

    if (embedded) {
      const relay = startWebhookRelay({
        query: (sql, params) => embedded.query(sql, params),
        url: `${await interpose('webhooks', self)}/webhooks/supabase`,
        secret: settings.webhookSecret,
        intervalMs: settings.webhookPollMs,
        ...(settings.webhookTimeoutMs === undefined ? {} : { timeoutMs: settings.webhookTimeoutMs }),
        log,
      });
      closers.push(() => relay.stop());
    }

    return {
      httpUrl,
      websocketUrl,
      supabaseUrl: supabase.url,
      ...(embedded?.dbPort !== undefined ? { dbPort: embedded.dbPort } : {}),
      port,
      dynamodbEndpoint: dynamo.endpoint,
      connectionsTable: dynamo.tableName,
      lambdas: settings.lambdas,
      lambdaEnvironment,
      gateway,
      // Last started, first stopped: the relay and gateway before the services they call.
      close: async () => {
        for (const close of closers.reverse()) await close().catch(() => undefined);
      },
    };
  } catch (error) {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    throw error;
  }
}
