/**
 * The deployed staff-sync stage: connections table, WebSocket API, HTTP API, the six
 * Lambdas and their alarms, composed from one construct per concern (`infra/constructs/`).
 * Secrets are referenced, never created or embedded: the template holds secret names/ARNs
 * only, and the functions read the values from Secrets Manager at cold start.
 */
import { CfnOutput, CfnParameter, Stack, type StackProps } from 'aws-cdk-lib';
import type { ThrottleSettings } from 'aws-cdk-lib/aws-apigatewayv2';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { StaffSyncAlarms } from './constructs/alarms';
import { ApiGatewayLoggingRole } from './constructs/api-gateway-logging-role';
import { ConnectionsTable, ORG_INDEX_NAME } from './constructs/connections-table';
import { StaffSyncFunctions, type LogLevel } from './constructs/functions';
import { StaffSyncHttpApi } from './constructs/http-api';
import { StaffSyncWebSocketApi } from './constructs/websocket-api';

export interface StaffSyncStackProps extends StackProps {
  /** The stage: `dev`, `prod`, … (lower-case letters, digits, `-`; starts with a letter). */
  readonly stage: string;
  /** The version `GET /` and `/health` report. */
  readonly serviceVersion: string;
  /**
   * The Supabase project URL, `https://{ref}.supabase.co`.
   * @default - a CloudFormation parameter `SupabaseUrl`, given at deploy time
   */
  readonly supabaseUrl?: string;
  /** The Secrets Manager secret (name, or complete ARN) holding the Supabase service key. */
  readonly serviceKeySecret: string;
  /** The Secrets Manager secret (name, or complete ARN) holding the webhook's shared secret. */
  readonly webhookSecret: string;
  /**
   * The Secrets Manager secret (name, or complete ARN) holding Supabase's legacy JWT secret.
   * @default - no HS256: tokens are verified through the project's JWKS only
   */
  readonly jwtSecret?: string;
  /**
   * The JWKS for ES256/RS256 tokens, or `none` to accept HS256 tokens only.
   * @default `{supabaseUrl}/auth/v1/.well-known/jwks.json`
   */
  readonly jwksUrl?: string;
  /**
   * The issuer every token must name.
   * @default `{supabaseUrl}/auth/v1`
   */
  readonly jwtIssuer?: string;
  /**
   * The SNS topic (ARN) alarms are sent to, when they fire and when they clear.
   * @default - no notification; the alarms show in the CloudWatch console only
   */
  readonly alarmTopicArn?: string;
  /**
   * Whether to set the account's API Gateway CloudWatch Logs role (see ApiGatewayLoggingRole).
   * @default true
   */
  readonly apiGatewayCloudWatchRole?: boolean;
  /** @default 'INFO' */
  readonly logLevel?: LogLevel;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** @default 200 requests/s, bursts of 400 */
  readonly webSocketThrottle?: ThrottleSettings;
  /** @default 100 requests/s, bursts of 200 */
  readonly httpThrottle?: ThrottleSettings;
}

const STAGE_NAME = /^[a-z][a-z0-9-]{0,19}$/;
const COMPLETE_SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/;
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

/** A stage name must name an API stage, a stack (`staff-sync-{stage}`) and secret paths. */
export function assertStageName(stage: string): void {
  if (!STAGE_NAME.test(stage)) {
    throw new Error(`stage must be 1-20 lower-case letters, digits or "-", starting with a letter; got "${stage}"`);
  }
}

export class StaffSyncStack extends Stack {
  readonly webSocketUrl: string;
  readonly httpApiUrl: string;

  constructor(scope: Construct, id: string, props: StaffSyncStackProps) {
    super(scope, id, props);
    assertStageName(props.stage);
    const supabaseUrl = props.supabaseUrl ?? this.supabaseUrlParameter();
    const logRetention = props.logRetention;

    const connections = new ConnectionsTable(this, 'Connections');
    const loggingRole = props.apiGatewayCloudWatchRole === false ? undefined : new ApiGatewayLoggingRole(this, 'ApiGatewayCloudWatchRole');
    const webSocket = new StaffSyncWebSocketApi(this, 'WebSocket', {
      stageName: props.stage,
      ...(props.webSocketThrottle ? { throttle: props.webSocketThrottle } : {}),
      ...(logRetention ? { logRetention } : {}),
      ...(loggingRole ? { dependsOn: loggingRole.account } : {}),
    });
    const jwtSecret = props.jwtSecret === undefined ? undefined : this.secret('JwtSecret', props.jwtSecret);
    const functions = new StaffSyncFunctions(this, 'Functions', {
      stage: props.stage,
      serviceVersion: props.serviceVersion,
      supabaseUrl,
      jwksUrl: props.jwksUrl ?? `${supabaseUrl}/auth/v1/.well-known/jwks.json`,
      jwtIssuer: props.jwtIssuer ?? `${supabaseUrl}/auth/v1`,
      serviceKeySecret: this.secret('ServiceKeySecret', props.serviceKeySecret),
      webhookSecret: this.secret('WebhookSecret', props.webhookSecret),
      ...(jwtSecret ? { jwtSecret } : {}),
      connections,
      webSocketStage: webSocket.stage,
      ...(props.logLevel ? { logLevel: props.logLevel } : {}),
      ...(logRetention ? { logRetention } : {}),
    });
    if (props.jwksUrl === 'none' && !jwtSecret) {
      throw new Error('jwksUrl is "none" and no jwtSecret is given: no token could ever be verified');
    }
    webSocket.addHandlers(functions);
    const http = new StaffSyncHttpApi(this, 'Http', {
      handler: functions.http,
      stageName: props.stage,
      ...(props.httpThrottle ? { throttle: props.httpThrottle } : {}),
      ...(logRetention ? { logRetention } : {}),
    });
    new StaffSyncAlarms(this, 'Alarms', {
      functions: functions.all,
      webSocketStage: webSocket.stage,
      httpStage: http.stage,
      table: connections.table,
      orgIndexName: ORG_INDEX_NAME,
      namePrefix: `staff-sync-${props.stage}`,
      ...(props.alarmTopicArn ? { topic: Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn) } : {}),
    });

    this.webSocketUrl = webSocket.stage.url;
    this.httpApiUrl = http.url;
    new CfnOutput(this, 'WebSocketUrl', { value: this.webSocketUrl, description: 'wss:// URL clients connect to (add ?token=<Supabase access token>)' });
    new CfnOutput(this, 'HttpApiUrl', { value: this.httpApiUrl, description: 'Base URL of GET /health, GET / and POST /webhooks/supabase' });
    new CfnOutput(this, 'ConnectionsTableName', { value: connections.table.tableName, description: 'DynamoDB table of live connections' });
  }

  private supabaseUrlParameter(): string {
    return new CfnParameter(this, 'SupabaseUrl', {
      type: 'String',
      description: 'The Supabase project URL, https://{project-ref}.supabase.co (no trailing slash)',
      allowedPattern: '^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?$',
      constraintDescription: 'an https:// origin without a path or trailing slash',
    }).valueAsString;
  }

  /** A secret by name (policies then match its 6-character suffix) or by complete ARN. */
  private secret(id: string, ref: string): ISecret {
    if (ref.startsWith('arn:')) {
      if (!COMPLETE_SECRET_ARN.test(ref)) {
        throw new Error(`${id}: "${ref}" is not a complete Secrets Manager ARN (it must end with the 6-character suffix); give the ARN as shown by "aws secretsmanager describe-secret", or the secret's name`);
      }
      return Secret.fromSecretCompleteArn(this, id, ref);
    }
    if (!SECRET_NAME.test(ref)) throw new Error(`${id}: "${ref}" is not a Secrets Manager secret name`);
    return Secret.fromSecretNameV2(this, id, ref);
  }
}
