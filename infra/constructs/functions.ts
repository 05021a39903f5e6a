/**
 * The six Lambdas of staff-sync, each with exactly the settings it reads and exactly the
 * permissions it uses, granted through the resources' grant methods.
 *
 * | function   | table                          | secrets              | @connections | invokes     |
 * |------------|--------------------------------|----------------------|--------------|-------------|
 * | authorizer | —                              | JWT secret (if any)  | —            | —           |
 * | connect    | PutItem; Query (org index), Get, Delete | —           | this stage   | broadcaster |
 * | disconnect | Query (org index), Get, Delete | —                    | this stage   | broadcaster |
 * | message    | Query (org index), Get, Delete, Update | service key   | this stage   | broadcaster |
 * | broadcast  | Query (org index), Get, Delete | —                    | this stage   | —           |
 * | http       | Query (org index), Get, Delete | service key, webhook | this stage   | broadcaster |
 *
 * `$connect` and `$disconnect` announce the member to the org's presence watchers (docs/protocol.md
 * §7.7), so they fan out like the others; the message function also updates a connection's own
 * record (its presence watch and editing marker).
 *
 * The broadcaster never touches Supabase (it is handed the frame to deliver), so it gets no
 * secret; nor does it get its own name, so it can never hand work on to itself.
 */
import { Duration, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import type { WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { LambdaName } from '../bundling';
import type { ConnectionsTable } from './connections-table';
import { StaffSyncFunction } from './staff-sync-function';

/** What every function may read from its settings, by name (`shared/config.ts`). */
export type SettingName =
  | 'STAGE'
  | 'SERVICE_VERSION'
  | 'SUPABASE_URL'
  | 'SUPABASE_SERVICE_KEY_SECRET_ARN'
  | 'SUPABASE_JWT_SECRET_ARN'
  | 'JWKS_URL'
  | 'JWT_ISSUER'
  | 'CONNECTIONS_TABLE'
  | 'WS_MANAGEMENT_ENDPOINT'
  | 'WEBSOCKET_URL'
  | 'WEBHOOK_SECRET_ARN'
  | 'BROADCASTER_FUNCTION_NAME'
  | 'BROADCAST_CONCURRENCY'
  | 'BROADCAST_PAGE_SIZE'
  | 'POWERTOOLS_SERVICE_NAME'
  | 'POWERTOOLS_LOG_LEVEL';

type Settings = Partial<Record<SettingName, string>>;

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export interface StaffSyncFunctionsProps {
  /** The stage name (`dev`, `prod`, …), reported by `GET /` and `/health`. */
  readonly stage: string;
  /** The version reported by `GET /` and `/health`. */
  readonly serviceVersion: string;
  /** The Supabase project URL, `https://{ref}.supabase.co`, without a trailing slash. */
  readonly supabaseUrl: string;
  /** The JWKS that ES256/RS256 tokens are verified against, or `none` (HS256 only). */
  readonly jwksUrl: string;
  /** The `iss` every token must carry. */
  readonly jwtIssuer: string;
  /** The Supabase service-role key (or `sb_secret_…` key). */
  readonly serviceKeySecret: ISecret;
  /** The shared secret of the Supabase webhook (`x-staff-sync-webhook-secret`). */
  readonly webhookSecret: ISecret;
  /**
   * The Supabase legacy JWT secret, for HS256 tokens.
   * @default - no HS256: tokens are verified through the JWKS only
   */
  readonly jwtSecret?: ISecret;
  /** The connections table. */
  readonly connections: ConnectionsTable;
  /** The WebSocket stage whose `@connections` API the functions post to. */
  readonly webSocketStage: WebSocketStage;
  /**
   * Posts in flight at once per invocation.
   * @default 32
   */
  readonly broadcastConcurrency?: number;
  /**
   * Connection ids per org-index page, and per broadcaster hand-off.
   * @default 250
   */
  readonly broadcastPageSize?: number;
  /**
   * Powertools log level.
   * @default 'INFO'
   */
  readonly logLevel?: LogLevel;
  /**
   * How long function logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/**
 * Memory and timeout per function. Memory buys CPU (1 769 MB = one vCPU) and CPU is most of
 * a cold start; at these durations the per-request charge outweighs the GB-second charge,
 * so a larger size is often the cheaper one too.
 */
const SIZING: Record<LambdaName, { memorySize: number; timeout: Duration; description: string }> = {
  // JWT verification: one signature check, a JWKS fetch on a cold start or a new `kid`.
  // 10 s leaves room for a slow JWKS answer; the handshake fails (500) rather than hangs.
  authorizer: { memorySize: 512, timeout: Duration.seconds(10), description: 'staff-sync $connect authorizer: verifies the token' },
  // One DynamoDB write each, then a presence event to the watchers (the first page posted here,
  // the rest handed off); 10 s covers a page of posts as for the broadcaster.
  connect: { memorySize: 512, timeout: Duration.seconds(10), description: 'staff-sync $connect: records the connection, announces it' },
  disconnect: { memorySize: 512, timeout: Duration.seconds(10), description: 'staff-sync $disconnect: forgets the connection, announces it' },
  // Validation, one Postgres RPC (its lock_timeout is a few seconds), the reply and the first
  // page of the broadcast over keep-alive TLS connections (handshakes are CPU-bound).
  // 15 s: well under API Gateway's 29 s integration limit, well over a slow RPC plus a page.
  message: { memorySize: 1024, timeout: Duration.seconds(15), description: 'staff-sync $default: handles one client frame' },
  // One page of posts with bounded concurrency; a dead connection costs at most one post.
  broadcast: { memorySize: 1024, timeout: Duration.seconds(60), description: 'staff-sync broadcaster: delivers one page of a broadcast' },
  // /health answers within 3 s by contract (two 1.5 s checks in parallel); the webhook
  // re-reads one change and hands the broadcast off.
  http: { memorySize: 512, timeout: Duration.seconds(10), description: 'staff-sync HTTP API: /health, / and the Supabase webhook' },
};

export class StaffSyncFunctions extends Construct {
  readonly authorizer: IFunction;
  readonly connect: IFunction;
  readonly disconnect: IFunction;
  readonly message: IFunction;
  readonly broadcast: IFunction;
  readonly http: IFunction;
  /** Every function, by entry point name (for alarms). */
  readonly all: Readonly<Record<LambdaName, IFunction>>;

  constructor(scope: Construct, id: string, props: StaffSyncFunctionsProps) {
    super(scope, id);
    const { connections, webSocketStage } = props;
    const table = connections.table;
    const common: Settings = {
      STAGE: props.stage,
      SERVICE_VERSION: props.serviceVersion,
      POWERTOOLS_SERVICE_NAME: 'staff-sync',
      POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
    };
    const supabase: Settings = {
      SUPABASE_URL: props.supabaseUrl,
      SUPABASE_SERVICE_KEY_SECRET_ARN: props.serviceKeySecret.secretArn,
    };
    const fanOut: Settings = {
      CONNECTIONS_TABLE: table.tableName,
      WS_MANAGEMENT_ENDPOINT: webSocketStage.callbackUrl,
      BROADCAST_CONCURRENCY: String(props.broadcastConcurrency ?? 32),
      BROADCAST_PAGE_SIZE: String(props.broadcastPageSize ?? 250),
    };
    const make = (name: LambdaName, settings: Settings): StaffSyncFunction =>
      new StaffSyncFunction(this, capitalize(name), {
        name,
        ...SIZING[name],
        environment: { ...common, ...settings } as Record<string, string>,
        ...(props.logRetention ? { logRetention: props.logRetention } : {}),
      });

    // The broadcaster first: the message and webhook functions are told its name.
    const broadcast = make('broadcast', fanOut).function;
    // A broadcast is best effort and `seq` makes every loss visible: a failed hand-off is
    // not retried (a retry would re-post the whole page), and one that waited in the async
    // queue longer than a client's heartbeat (60 s) is stale, since the client has resynced.
    broadcast.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(1) });
    const handOff: Settings = { ...fanOut, BROADCASTER_FUNCTION_NAME: broadcast.functionName };

    const authorizer = make('authorizer', {
      JWKS_URL: props.jwksUrl,
      JWT_ISSUER: props.jwtIssuer,
      ...(props.jwtSecret ? { SUPABASE_JWT_SECRET_ARN: props.jwtSecret.secretArn } : {}),
    }).function;
    const connect = make('connect', handOff).function;
    const disconnect = make('disconnect', handOff).function;
    const message = make('message', { ...supabase, ...handOff }).function;
    const http = make('http', {
      ...supabase,
      ...handOff,
      WEBSOCKET_URL: webSocketStage.url,
      WEBHOOK_SECRET_ARN: props.webhookSecret.secretArn,
    }).function;

    // Secrets: read once per cold start (Powertools Parameters), by exactly these functions.
    props.jwtSecret?.grantRead(authorizer);
    props.serviceKeySecret.grantRead(message);
    props.serviceKeySecret.grantRead(http);
    props.webhookSecret.grantRead(http);

    // The table: only the actions each function performs, on exactly the table or index.
    connections.grantPutConnection(connect);
    connections.grantUpdateConnection(message);
    for (const fn of [connect, disconnect, message, broadcast, http]) {
      connections.grantFanOut(fn);
      // `@connections` of this API's own stage only.
      webSocketStage.grantManagementApiAccess(fn);
      acknowledge(fn, managementApiFinding(webSocketStage), MANAGEMENT_API_REASON);
    }
    for (const fn of [connect, disconnect, message, http]) {
      broadcast.grantInvoke(fn);
      acknowledge(fn, `AwsSolutions-IAM5[Resource::<${logicalIdOf(broadcast)}.Arn>:*]`, INVOKE_REASON);
    }

    this.authorizer = authorizer;
    this.connect = connect;
    this.disconnect = disconnect;
    this.message = message;
    this.broadcast = broadcast;
    this.http = http;
    this.all = { authorizer, connect, disconnect, message, broadcast, http };
  }
}

const MANAGEMENT_API_REASON =
  'execute-api:ManageConnections is granted by WebSocketStage.grantManagementApiAccess on this API\'s ' +
  'own stage only (arn:…:{apiId}/{stage}/*/@connections/*). The wildcards stand for the connection ' +
  'ids, which API Gateway assigns at connect time and are unknowable at deploy time, and for the ' +
  'HTTP method of the management API (POST to send, DELETE to close an expired connection).';

const INVOKE_REASON =
  'lambda:InvokeFunction is granted by grantInvoke on the broadcaster function only; the ":*" ' +
  'resource covers the published versions and aliases of that same function, nothing else.';

function logicalIdOf(fn: IFunction): string {
  return Stack.of(fn).getLogicalId(fn.node.defaultChild as CfnElement);
}

function managementApiFinding(stage: WebSocketStage): string {
  const apiId = Stack.of(stage).getLogicalId(stage.api.node.defaultChild as CfnElement);
  return `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${apiId}>/${stage.stageName}/*/@connections/*]`;
}

/** Acknowledges a cdk-nag finding on the policy of one function's role. */
function acknowledge(fn: IFunction, id: string, reason: string): void {
  Validations.of(fn.role!).acknowledge({ id, reason });
}

function capitalize(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
