/**
 * The WebSocket API (docs/protocol.md §1, §2): `$connect` behind a Lambda REQUEST authorizer
 * reading the `token` query parameter, `$disconnect`, and `$default` for every frame; one
 * auto-deployed stage with throttling, JSON access logs without the query string, and
 * execution logging and data tracing off (the token is in the URL).
 */
import { Validations } from 'aws-cdk-lib';
import {
  CfnStage,
  LogGroupLogDestination,
  WebSocketApi,
  WebSocketStage,
  type ThrottleSettings,
  type WebSocketRoute,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { RemovalPolicy } from 'aws-cdk-lib';
import { Construct, type IDependable } from 'constructs';
import { WEBSOCKET_ACCESS_LOG_FIELDS, jsonAccessLogFormat } from './access-log';

/** Where the `$connect` authorizer finds the token: `wss://…/{stage}?token=…`. */
export const TOKEN_IDENTITY_SOURCE = 'route.request.querystring.token';

export interface StaffSyncWebSocketApiProps {
  /** The stage name, the last path segment of the URL. */
  readonly stageName: string;
  /**
   * Stage-wide throttle for every route (connects and frames together).
   * @default 200 requests/s steady, bursts of 400
   */
  readonly throttle?: ThrottleSettings;
  /**
   * How long access logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Something the stage must wait for: API Gateway refuses a WebSocket stage with access
   * logs until the account has its CloudWatch Logs role (`ApiGatewayCloudWatchRole`).
   * @default - nothing
   */
  readonly dependsOn?: IDependable;
}

export interface StaffSyncWebSocketHandlers {
  /** The `$connect` REQUEST authorizer. */
  readonly authorizer: IFunction;
  readonly connect: IFunction;
  readonly disconnect: IFunction;
  /** `$default`: every client frame. */
  readonly message: IFunction;
}

export class StaffSyncWebSocketApi extends Construct {
  readonly api: WebSocketApi;
  readonly stage: WebSocketStage;
  readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: StaffSyncWebSocketApiProps) {
    super(scope, id);
    const throttle = props.throttle ?? { rateLimit: 200, burstLimit: 400 };
    if (throttle.rateLimit !== undefined && throttle.rateLimit <= 0) throw new Error('throttle.rateLimit must be positive');
    if (throttle.burstLimit !== undefined && throttle.burstLimit <= 0) throw new Error('throttle.burstLimit must be positive');

    this.api = new WebSocketApi(this, 'Api', { description: `staff-sync real-time API (${props.stageName})` });
    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: props.stageName,
      autoDeploy: true,
      throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: jsonAccessLogFormat(WEBSOCKET_ACCESS_LOG_FIELDS),
      },
    });
    // Execution logs and data tracing would record what API Gateway received, and the
    // handshake URL carries the token: both stay off. Access logs (above) say who did what.
    const cfnStage = this.stage.node.defaultChild as CfnStage;
    cfnStage.addPropertyOverride('DefaultRouteSettings.DataTraceEnabled', false);
    cfnStage.addPropertyOverride('DefaultRouteSettings.LoggingLevel', 'OFF');
    if (props.dependsOn) this.stage.node.addDependency(props.dependsOn);
  }

  /** Connects the routes to their Lambdas. */
  addHandlers(handlers: StaffSyncWebSocketHandlers): void {
    this.api.addRoute('$connect', {
      integration: new WebSocketLambdaIntegration('Connect', handlers.connect),
      authorizer: new WebSocketLambdaAuthorizer('TokenAuthorizer', handlers.authorizer, {
        identitySource: [TOKEN_IDENTITY_SOURCE],
      }),
    });
    const disconnect = this.api.addRoute('$disconnect', {
      integration: new WebSocketLambdaIntegration('Disconnect', handlers.disconnect),
    });
    const message = this.api.addRoute('$default', {
      integration: new WebSocketLambdaIntegration('Message', handlers.message),
    });
    for (const route of [disconnect, message]) acknowledgeConnectionScopedAuth(route);
  }
}

function acknowledgeConnectionScopedAuth(route: WebSocketRoute): void {
  Validations.of(route).acknowledge({
    id: 'AwsSolutions-APIG4',
    reason:
      'API Gateway attaches authorizers to the WebSocket $connect route only. Every later event of ' +
      'a connection ($default frames, $disconnect) belongs to a connection the $connect authorizer ' +
      'admitted, and carries that authorizer\'s verified identity in requestContext.authorizer, ' +
      'which the handlers use for every authorisation decision.',
  });
}
