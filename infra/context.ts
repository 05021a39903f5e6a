/**
 * The stack's props from CDK context (`-c key=value` or `cdk.json`), checked once:
 *
 * | context key                | meaning                                                   | default                                 |
 * |----------------------------|-----------------------------------------------------------|-----------------------------------------|
 * | `stage`                    | stage name (API stage, stack `staff-sync-{stage}`)        | `dev`                                   |
 * | `supabaseUrl`              | `https://{ref}.supabase.co`                               | CloudFormation parameter `SupabaseUrl`  |
 * | `serviceKeySecret`         | secret name or complete ARN: Supabase service key         | `staff-sync/{stage}/supabase-service-key` |
 * | `webhookSecret`            | secret name or complete ARN: webhook shared secret        | `staff-sync/{stage}/webhook-secret`     |
 * | `jwtSecret`                | secret name or complete ARN: legacy HS256 JWT secret      | none (JWKS only)                        |
 * | `jwksUrl`                  | JWKS URL, or `none` (HS256 only)                          | `{supabaseUrl}/auth/v1/.well-known/jwks.json` |
 * | `jwtIssuer`                | required `iss`                                            | `{supabaseUrl}/auth/v1`                 |
 * | `alarmTopicArn`            | SNS topic for alarms                                      | none                                    |
 * | `apiGatewayCloudWatchRole` | `false` where the account already has API Gateway's role  | `true`                                  |
 * | `logLevel`                 | `DEBUG`, `INFO`, `WARN`, `ERROR`                          | `INFO`                                  |
 * | `logRetentionDays`         | days of Lambda and access logs (a CloudWatch retention)   | 30                                      |
 */
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct, Node } from 'constructs';
import { version } from '../package.json';
import type { LogLevel } from './constructs/functions';
import { assertStageName, type StaffSyncStackProps } from './stack';

const LOG_LEVELS: readonly LogLevel[] = ['DEBUG', 'INFO', 'WARN', 'ERROR'];

function text(node: Node, key: string): string | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    throw new Error(`context "${key}" must be a string`);
  }
  return String(value).trim();
}

/** The props of `StaffSyncStack` from the app's context. */
export function stackPropsFromContext(app: Construct): StaffSyncStackProps {
  const node = app.node;
  const stage = text(node, 'stage') ?? 'dev';
  assertStageName(stage);
  const supabaseUrl = text(node, 'supabaseUrl');
  if (supabaseUrl !== undefined && !/^https:\/\/[A-Za-z0-9.-]+(:\d{1,5})?\/?$/.test(supabaseUrl)) {
    throw new Error(`context "supabaseUrl" must be an https:// origin such as https://abcd.supabase.co; got "${supabaseUrl}"`);
  }
  const logLevel = (text(node, 'logLevel') ?? 'INFO').toUpperCase();
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) throw new Error(`context "logLevel" must be one of ${LOG_LEVELS.join(', ')}`);
  const retention = text(node, 'logRetentionDays');
  const logRetention = retention === undefined ? undefined : retentionDays(retention);
  const jwtSecret = text(node, 'jwtSecret');
  const jwksUrl = text(node, 'jwksUrl');
  const jwtIssuer = text(node, 'jwtIssuer');
  const alarmTopicArn = text(node, 'alarmTopicArn');
  return {
    stackName: `staff-sync-${stage}`,
    description: `staff-sync real-time sync backend, stage ${stage}`,
    stage,
    serviceVersion: version,
    ...(supabaseUrl ? { supabaseUrl: supabaseUrl.replace(/\/$/, '') } : {}),
    serviceKeySecret: text(node, 'serviceKeySecret') ?? `staff-sync/${stage}/supabase-service-key`,
    webhookSecret: text(node, 'webhookSecret') ?? `staff-sync/${stage}/webhook-secret`,
    ...(jwtSecret ? { jwtSecret } : {}),
    ...(jwksUrl ? { jwksUrl } : {}),
    ...(jwtIssuer ? { jwtIssuer } : {}),
    ...(alarmTopicArn ? { alarmTopicArn } : {}),
    apiGatewayCloudWatchRole: text(node, 'apiGatewayCloudWatchRole') !== 'false',
    logLevel: logLevel as LogLevel,
    ...(logRetention ? { logRetention } : {}),
  };
}

function retentionDays(raw: string): RetentionDays {
  const days = Number(raw);
  const allowed = Object.values(RetentionDays).filter((v): v is number => typeof v === 'number' && v > 0);
  if (!allowed.includes(days)) throw new Error(`context "logRetentionDays" must be one of ${allowed.join(', ')}; got "${raw}"`);
  return days as RetentionDays;
}
