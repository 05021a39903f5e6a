/**
 * What the stack deploys, read from the template it synthesizes (in-process, asset bundling
 * skipped as the infra tests do): each function's memory, the fan-out settings, the alarms, the
 * secrets the functions read, log retention. Falls back to stated assumptions if it cannot synth.
 */
import { WEBSOCKET_ACCESS_LOG_FIELDS } from '../../infra/constructs/access-log';
import type { Deployment } from './model';

type Resource = { Type: string; Properties?: Record<string, unknown> };

const NAMES = ['authorizer', 'connect', 'disconnect', 'message', 'broadcast', 'http'] as const;

/** The stack's values at the time of writing, used only when the synth fails. */
export const ASSUMED_DEPLOYMENT: Deployment = {
  memoryMb: { authorizer: 512, connect: 256, disconnect: 256, message: 1024, broadcast: 1024, http: 512 },
  broadcastConcurrency: 32,
  pageSize: 250,
  alarms: 16,
  secrets: 2,
  logRetentionDays: 30,
  source: 'assumed (the stack could not be synthesized)',
};

export async function readDeployment(): Promise<Deployment> {
  try {
    const [{ App }, { Template }, { stackPropsFromContext }, { StaffSyncStack }] = await Promise.all([
      import('aws-cdk-lib'),
      import('aws-cdk-lib/assertions'),
      import('../../infra/context'),
      import('../../infra/stack'),
    ]);
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [], stage: 'bench', supabaseUrl: 'https://abcdefghijklmnop.supabase.co' } });
    const props = stackPropsFromContext(app);
    const stack = new StaffSyncStack(app, 'StaffSync-bench', props);
    const resources = Template.fromStack(stack).toJSON().Resources as Record<string, Resource>;
    const ofType = (type: string): Array<[string, Resource]> => Object.entries(resources).filter(([, r]) => r.Type === type);
    const memoryMb = { ...ASSUMED_DEPLOYMENT.memoryMb };
    const secretArns = new Set<string>();
    let concurrency = ASSUMED_DEPLOYMENT.broadcastConcurrency;
    let pageSize = ASSUMED_DEPLOYMENT.pageSize;
    for (const [id, fn] of ofType('AWS::Lambda::Function')) {
      const name = NAMES.find((n) => id.startsWith(`Functions${n.charAt(0).toUpperCase()}${n.slice(1)}Function`));
      const env = ((fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}) as Record<string, unknown>;
      if (name) memoryMb[name] = Number(fn.Properties?.MemorySize ?? 128);
      for (const [key, value] of Object.entries(env)) if (key.endsWith('_SECRET_ARN')) secretArns.add(JSON.stringify(value));
      if (name === 'message') {
        concurrency = Number(env.BROADCAST_CONCURRENCY ?? concurrency);
        pageSize = Number(env.BROADCAST_PAGE_SIZE ?? pageSize);
      }
    }
    const retentions = ofType('AWS::Logs::LogGroup').map(([, group]) => Number(group.Properties?.RetentionInDays ?? 0)).filter((days) => days > 0);
    return {
      memoryMb,
      broadcastConcurrency: concurrency,
      pageSize,
      alarms: ofType('AWS::CloudWatch::Alarm').length,
      secrets: secretArns.size,
      logRetentionDays: retentions.length ? Math.max(...retentions) : ASSUMED_DEPLOYMENT.logRetentionDays,
      source: `synthesized StaffSyncStack (${ofType('AWS::Lambda::Function').length} functions, default context)`,
    };
  } catch (error) {
    return { ...ASSUMED_DEPLOYMENT, source: `${ASSUMED_DEPLOYMENT.source}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` };
  }
}

/** Bytes of one WebSocket access-log line in the stack's format, filled with typical values. */
export function accessLogLineBytes(): number {
  const sample: Record<string, string> = {
    requestId: 'Xb1mWFZ2oAMFpbQ=', extendedRequestId: 'Xb1mWFZ2oAMFpbQ=', time: '1764072000000', eventType: 'MESSAGE', routeKey: '$default',
    connectionId: 'Xb1mVdXKIAMCJVA=', messageId: 'Xb1mWdLXIAMCJVA=', status: '200', sourceIp: '203.0.113.10', orgId: 'acme-restaurants',
    authorizerStatus: '-', authorizerError: '-', authorizerLatencyMs: '-', integrationStatus: '200', integrationLatencyMs: '23', integrationError: '-', error: '-',
  };
  const line = JSON.stringify(Object.fromEntries(Object.keys(WEBSOCKET_ACCESS_LOG_FIELDS).map((key) => [key, sample[key] ?? '-'])));
  // CloudWatch Logs bills 26 bytes of metadata per event besides the message.
  return Buffer.byteLength(line) + 26;
}
