/**
 * The alarms worth waking someone for: any Lambda error or throttle (the handlers turn
 * expected failures into protocol ERROR frames, so a Lambda error is a bug, a timeout or a
 * broken dependency), WebSocket integration/execution errors and HTTP 5xx, and DynamoDB
 * throttling. With a topic, each alarm notifies it when it fires and when it clears.
 * Each alarm is one standard-resolution metric: $0.10 a month (18 alarms, $1.80).
 */
import { Duration } from 'aws-cdk-lib';
import type { IWebSocketStage, IHttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, Metric, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export interface StaffSyncAlarmsProps {
  /** The functions, by a short name used in the alarm names. */
  readonly functions: Readonly<Record<string, IFunction>>;
  readonly webSocketStage: IWebSocketStage;
  readonly httpStage: IHttpStage;
  readonly table: ITableV2;
  /** The table's org index, queried by every broadcast. */
  readonly orgIndexName: string;
  /** A prefix of every alarm name, e.g. `staff-sync-dev`. */
  readonly namePrefix: string;
  /**
   * Where alarms (and their recovery) are sent.
   * @default - no notification; the alarms show in the CloudWatch console only
   */
  readonly topic?: ITopic;
}

const PERIOD = Duration.minutes(5);

export class StaffSyncAlarms extends Construct {
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, private readonly props: StaffSyncAlarmsProps) {
    super(scope, id);
    for (const [name, fn] of Object.entries(props.functions)) {
      this.add(`${name}-errors`, fn.metricErrors({ period: PERIOD, statistic: 'Sum' }), `Lambda ${name} failed (error or timeout)`);
      this.add(`${name}-throttles`, fn.metricThrottles({ period: PERIOD, statistic: 'Sum' }), `Lambda ${name} was throttled`);
    }
    // WebSocket: the integration (a Lambda) failed or API Gateway itself failed a request.
    this.add('websocket-integration-errors', props.webSocketStage.metric('IntegrationError', { period: PERIOD, statistic: 'Sum' }), 'WebSocket API integration errors (5xx from a route Lambda)');
    this.add('websocket-execution-errors', props.webSocketStage.metric('ExecutionError', { period: PERIOD, statistic: 'Sum' }), 'WebSocket API execution errors');
    this.add('http-5xx', props.httpStage.metricServerError({ period: PERIOD, statistic: 'Sum' }), 'HTTP API 5xx (health degraded answers 503 too)');
    // DynamoDB: throttled reads and writes of the table, and throttled queries of the org
    // index (the broadcast path). One plain metric per alarm: a sum of sparse metrics in
    // metric math would be missing whenever one term has no data point.
    const { tableName } = props.table;
    this.add('dynamodb-read-throttles', props.table.metric('ReadThrottleEvents', { period: PERIOD, statistic: 'Sum' }), 'DynamoDB throttled reads of the connections table');
    this.add('dynamodb-write-throttles', props.table.metric('WriteThrottleEvents', { period: PERIOD, statistic: 'Sum' }), 'DynamoDB throttled writes of the connections table');
    this.add(
      'dynamodb-index-read-throttles',
      new Metric({
        namespace: 'AWS/DynamoDB',
        metricName: 'ReadThrottleEvents',
        dimensionsMap: { TableName: tableName, GlobalSecondaryIndexName: props.orgIndexName },
        period: PERIOD,
        statistic: 'Sum',
      }),
      'DynamoDB throttled queries of the org index (broadcasts)',
    );
  }

  private add(name: string, metric: IMetric, description: string): void {
    const alarm = new Alarm(this, name, {
      alarmName: `${this.props.namePrefix}-${name}`,
      alarmDescription: description,
      metric,
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      // No traffic is not a failure.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    if (this.props.topic) {
      const action = new SnsAction(this.props.topic);
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
    this.alarms.push(alarm);
  }
}
