/**
 * On-demand prices the cost model assumes: us-east-1, Lambda on arm64, no free tier, as
 * published on the pages named beside each group (check them before relying on a figure).
 */

export interface Price {
  /** What is billed. */
  readonly item: string;
  /** US dollars per `unit`. */
  readonly usd: number;
  readonly unit: string;
  /** The pricing page. */
  readonly source: string;
}

export const PRICES = {
  // https://aws.amazon.com/api-gateway/pricing/ — WebSocket APIs: messages (sent and received,
  // metered in 32 KB units) and connection-minutes; HTTP APIs per request.
  websocketMessage: { item: 'API Gateway WebSocket messages (first 1 B/month)', usd: 1.0 / 1e6, unit: 'message (32 KB unit)', source: 'aws.amazon.com/api-gateway/pricing' },
  connectionMinute: { item: 'API Gateway WebSocket connection-minutes', usd: 0.25 / 1e6, unit: 'connection-minute', source: 'aws.amazon.com/api-gateway/pricing' },
  httpRequest: { item: 'API Gateway HTTP API requests (first 300 M/month)', usd: 1.0 / 1e6, unit: 'request', source: 'aws.amazon.com/api-gateway/pricing' },
  // https://aws.amazon.com/lambda/pricing/ — arm64, first 7.5 B GB-s/month; durations billed per 1 ms.
  lambdaRequest: { item: 'Lambda requests', usd: 0.2 / 1e6, unit: 'request', source: 'aws.amazon.com/lambda/pricing' },
  lambdaGbSecond: { item: 'Lambda duration, arm64', usd: 0.0000133334, unit: 'GB-second', source: 'aws.amazon.com/lambda/pricing' },
  // https://aws.amazon.com/dynamodb/pricing/on-demand/ — on-demand since the November 2024 reduction.
  dynamodbWrite: { item: 'DynamoDB on-demand write request units', usd: 0.625 / 1e6, unit: 'WRU', source: 'aws.amazon.com/dynamodb/pricing/on-demand' },
  dynamodbRead: { item: 'DynamoDB on-demand read request units', usd: 0.125 / 1e6, unit: 'RRU', source: 'aws.amazon.com/dynamodb/pricing/on-demand' },
  // https://aws.amazon.com/secrets-manager/pricing/
  secretMonth: { item: 'Secrets Manager secret', usd: 0.4, unit: 'secret-month', source: 'aws.amazon.com/secrets-manager/pricing' },
  secretsApiCall: { item: 'Secrets Manager API calls', usd: 0.05 / 10_000, unit: 'call', source: 'aws.amazon.com/secrets-manager/pricing' },
  // https://aws.amazon.com/cloudwatch/pricing/ — standard-resolution alarms, Standard log class.
  alarmMonth: { item: 'CloudWatch standard alarm', usd: 0.1, unit: 'alarm-month', source: 'aws.amazon.com/cloudwatch/pricing' },
  logIngestGb: { item: 'CloudWatch Logs ingestion', usd: 0.5, unit: 'GB', source: 'aws.amazon.com/cloudwatch/pricing' },
  logStorageGbMonth: { item: 'CloudWatch Logs storage', usd: 0.03, unit: 'GB-month', source: 'aws.amazon.com/cloudwatch/pricing' },
  // https://aws.amazon.com/ec2/pricing/on-demand/ (Data Transfer) — to the internet, after the free 100 GB/month.
  dataOutGb: { item: 'Data transfer out to the internet', usd: 0.09, unit: 'GB', source: 'aws.amazon.com/ec2/pricing/on-demand' },
  // https://aws.amazon.com/fargate/pricing/ — Linux/ARM (Graviton).
  fargateVcpuHour: { item: 'Fargate Linux/ARM vCPU', usd: 0.03238, unit: 'vCPU-hour', source: 'aws.amazon.com/fargate/pricing' },
  fargateGbHour: { item: 'Fargate Linux/ARM memory', usd: 0.00356, unit: 'GB-hour', source: 'aws.amazon.com/fargate/pricing' },
  // https://aws.amazon.com/ec2/pricing/on-demand/ — Linux.
  t4gSmallHour: { item: 'EC2 t4g.small (2 vCPU, 2 GB)', usd: 0.0168, unit: 'instance-hour', source: 'aws.amazon.com/ec2/pricing/on-demand' },
  // https://aws.amazon.com/ebs/pricing/
  gp3GbMonth: { item: 'EBS gp3 storage', usd: 0.08, unit: 'GB-month', source: 'aws.amazon.com/ebs/pricing' },
  // https://aws.amazon.com/vpc/pricing/ — every public IPv4 address, in use or not.
  publicIpv4Hour: { item: 'Public IPv4 address', usd: 0.005, unit: 'hour', source: 'aws.amazon.com/vpc/pricing' },
  // https://aws.amazon.com/elasticloadbalancing/pricing/ — TLS for a container's WebSockets.
  albHour: { item: 'Application Load Balancer', usd: 0.0225, unit: 'hour', source: 'aws.amazon.com/elasticloadbalancing/pricing' },
  albLcuHour: { item: 'Application Load Balancer LCU', usd: 0.008, unit: 'LCU-hour', source: 'aws.amazon.com/elasticloadbalancing/pricing' },
} as const satisfies Record<string, Price>;

export type Prices = { readonly [K in keyof typeof PRICES]: Price };

/** Hours in an average month (8 760 / 12). */
export const HOURS_PER_MONTH = 730;
export const DAYS_PER_MONTH = 365 / 12;
