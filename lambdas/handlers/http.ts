/**
 * The HTTP API: `GET /health`, `GET /` and `POST /webhooks/supabase` (docs/protocol.md §10).
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ServiceInfo } from '../../shared/config';
import type { ConnectionStore } from '../../shared/connection-store';
import { checkHealth } from '../../shared/health';
import { logger, setRequestKeys } from '../../shared/logger';
import { CLIENT_FRAME_TYPES } from '../../shared/protocol/client-frames';
import { broadcastFrame } from '../../shared/protocol/server-frames';
import type { StaffStore } from '../../shared/staff-store';
import { WEBHOOK_SECRET_HEADER, parseWebhookSignal, secretMatches } from '../../shared/webhook';
import { departmentsTouched } from '../../shared/subscriptions';
import type { FanOut } from '../lib/fanout';
import type { Lazy } from '../lib/lazy';

export interface HttpDependencies {
  readonly service: ServiceInfo;
  readonly webhookSecret: Lazy<string>;
  readonly connections: ConnectionStore;
  readonly staffStore: Lazy<StaffStore>;
  readonly fanOut: Lazy<FanOut>;
}

const json = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

export function createHttpHandler({ service, webhookSecret, connections, staffStore, fanOut }: HttpDependencies) {
  async function health(): Promise<APIGatewayProxyStructuredResultV2> {
    const report = await checkHealth({
      dynamodb: async (signal) => connections.ping(signal),
      supabase: async (signal) => (await staffStore()).health(signal),
    });
    const body = { status: report.status, service: 'staff-sync', version: service.version, stage: service.stage, time: new Date().toISOString(), checks: report.checks };
    if (report.status !== 'ok') logger.warn('health degraded', { checks: report.checks });
    return json(report.status === 'ok' ? 200 : 503, body);
  }

  function info(event: APIGatewayProxyEventV2): APIGatewayProxyStructuredResultV2 {
    const base = `${event.headers['x-forwarded-proto'] ?? 'https'}://${event.requestContext.domainName}`;
    return json(200, {
      name: 'staff-sync',
      version: service.version,
      stage: service.stage,
      endpoints: { websocket: service.websocketUrl ?? null, health: `${base}/health` },
      messageTypes: CLIENT_FRAME_TYPES,
    });
  }

  async function webhook(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
    if (!secretMatches(event.headers[WEBHOOK_SECRET_HEADER], await webhookSecret())) {
      return json(401, { message: 'Unauthorized' });
    }
    const body = event.isBase64Encoded && event.body ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
    const signal = parseWebhookSignal(body);
    if (!signal) return json(400, { message: 'expected a change-log INSERT with record.org_id and record.seq' });
    setRequestKeys({ requestId: event.requestContext.requestId, orgId: signal.orgId });
    const change = await (await staffStore()).changeAt(signal.orgId, signal.seq);
    if (!change || change.origin !== 'db') return json(202, { broadcast: false });
    await (await fanOut()).toOrgInBackground(signal.orgId, broadcastFrame(change), departmentsTouched([change]));
    logger.info('db change relayed', { seq: change.seq });
    return json(202, { broadcast: true, seq: change.seq });
  }

  return async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
    const { method } = event.requestContext.http;
    setRequestKeys({ requestId: event.requestContext.requestId });
    try {
      if (event.rawPath === '/health' && method === 'GET') return await health();
      if (event.rawPath === '/' && method === 'GET') return info(event);
      if (event.rawPath === '/webhooks/supabase' && method === 'POST') return await webhook(event);
      return json(404, { message: 'Not Found' });
    } catch (error) {
      logger.error('request failed', { error, path: event.rawPath });
      return json(500, { message: 'Internal Server Error' });
    } finally {
      logger.resetKeys();
    }
  };
}
