/**
 * The HTTP API (docs/protocol.md §10): `GET /health`, `GET /` and `POST /webhooks/supabase`,
 * all served by the HTTP Lambda, on an auto-deployed `$default` stage with throttling and
 * JSON access logs.
 */
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination, type ThrottleSettings } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { HTTP_ACCESS_LOG_FIELDS, jsonAccessLogFormat } from './access-log';

export interface StaffSyncHttpApiProps {
  /** The HTTP Lambda. */
  readonly handler: IFunction;
  /** The stage name, for the description. */
  readonly stageName: string;
  /**
   * Stage-wide throttle. A bulk write in the database sends one webhook per change; past
   * this rate API Gateway answers 429 and clients catch up by their heartbeat's `seq`.
   * @default 100 requests/s steady, bursts of 200
   */
  readonly throttle?: ThrottleSettings;
  /**
   * How long access logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

export class StaffSyncHttpApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: StaffSyncHttpApiProps) {
    super(scope, id);
    this.api = new HttpApi(this, 'Api', {
      description: `staff-sync health, info and Supabase webhook (${props.stageName})`,
      // The $default stage is declared below, with access logs and a throttle.
      createDefaultStage: false,
    });
    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new HttpStage(this, 'Stage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle ?? { rateLimit: 100, burstLimit: 200 },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: jsonAccessLogFormat(HTTP_ACCESS_LOG_FIELDS),
      },
    });

    const integration = new HttpLambdaIntegration('Handler', props.handler);
    const [health] = this.api.addRoutes({ path: '/health', methods: [HttpMethod.GET], integration });
    const [info] = this.api.addRoutes({ path: '/', methods: [HttpMethod.GET], integration });
    const [webhook] = this.api.addRoutes({ path: '/webhooks/supabase', methods: [HttpMethod.POST], integration });
    Validations.of(health!).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'GET /health is a public liveness/readiness probe for monitors and load checks; it reveals only ' +
        'ok/error and latencies per dependency, no data, and the stage throttle bounds its cost.',
    });
    Validations.of(info!).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'GET / is public service information (name, version, stage, the public WebSocket URL and the ' +
        'message types), the same facts a client needs before it authenticates; it reads no data.',
    });
    Validations.of(webhook!).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'POST /webhooks/supabase is called by the database (pg_net), which can send a static header but ' +
        'cannot sign SigV4 or obtain a JWT. The function authenticates every call by a constant-time ' +
        'comparison of the x-staff-sync-webhook-secret header with a Secrets Manager secret, and treats ' +
        'the body only as a signal: it re-reads the change from the database, so a forged call can ' +
        'broadcast nothing that is not already in the change log.',
    });
  }

  /** The base URL, `https://{api-id}.execute-api.{region}.amazonaws.com` (no trailing slash). */
  get url(): string {
    return this.api.apiEndpoint;
  }
}
