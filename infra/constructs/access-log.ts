/**
 * Access-log formats of both APIs: one JSON line per request, built only from `$context`
 * variables that can never carry the query string. The WebSocket URL carries the token in
 * its query string (browsers cannot set headers on a WebSocket), so the formats name no
 * request path with its query, no headers, no body and no `$request.*` / `$input.*` values.
 */
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';

/** Fields of the WebSocket stage's access log. */
export const WEBSOCKET_ACCESS_LOG_FIELDS: Readonly<Record<string, string>> = {
  requestId: '$context.requestId',
  extendedRequestId: '$context.extendedRequestId',
  time: '$context.requestTimeEpoch',
  eventType: '$context.eventType',
  routeKey: '$context.routeKey',
  connectionId: '$context.connectionId',
  messageId: '$context.messageId',
  status: '$context.status',
  sourceIp: '$context.identity.sourceIp',
  // The tenant, from the authorizer's context (never the token or its claims).
  orgId: '$context.authorizer.orgId',
  authorizerStatus: '$context.authorizer.status',
  authorizerError: '$context.authorizer.error',
  authorizerLatencyMs: '$context.authorizer.latency',
  integrationStatus: '$context.integration.status',
  integrationLatencyMs: '$context.integration.latency',
  integrationError: '$context.integration.error',
  error: '$context.error.message',
};

/** Fields of the HTTP API's access log (`$context.path` never includes the query string). */
export const HTTP_ACCESS_LOG_FIELDS: Readonly<Record<string, string>> = {
  requestId: '$context.requestId',
  time: '$context.requestTimeEpoch',
  method: '$context.httpMethod',
  routeKey: '$context.routeKey',
  path: '$context.path',
  protocol: '$context.protocol',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatencyMs: '$context.responseLatency',
  sourceIp: '$context.identity.sourceIp',
  integrationStatus: '$context.integration.status',
  integrationLatencyMs: '$context.integration.latency',
  integrationError: '$context.integration.error',
  error: '$context.error.message',
};

export function jsonAccessLogFormat(fields: Readonly<Record<string, string>>): AccessLogFormat {
  return AccessLogFormat.custom(JSON.stringify(fields));
}
