/**
 * Reads what API Gateway hands every WebSocket event: the connection id and the identity
 * the `$connect` authorizer put in its context (values arrive stringified).
 */
import type { APIGatewayProxyWebsocketEventV2WithRequestContext, APIGatewayEventWebsocketRequestContextV2 } from 'aws-lambda';
import type { Identity } from '../../shared/auth';
import { isRole } from '../../shared/protocol/roles';

export interface AuthorizerContext {
  readonly principalId?: string;
  readonly userId?: string;
  readonly orgId?: string;
  readonly role?: string;
  readonly tokenExp?: string | number;
  /** The token's allowed departments as a JSON array (context values cannot be arrays). */
  readonly departments?: string;
}

export type WebSocketEvent = APIGatewayProxyWebsocketEventV2WithRequestContext<
  APIGatewayEventWebsocketRequestContextV2 & {
    authorizer?: AuthorizerContext;
    disconnectStatusCode?: number;
    disconnectReason?: string;
  }
>;

/** The authorizer's context as an Identity; a missing or malformed context is a deployment bug. */
export function identityOf(event: WebSocketEvent): Identity {
  const context = event.requestContext.authorizer;
  const tokenExp = Number(context?.tokenExp);
  if (!context?.userId || !context.orgId || !isRole(context.role) || !Number.isFinite(tokenExp)) {
    throw new Error('authorizer context missing on a WebSocket event: is the $connect authorizer configured?');
  }
  const identity = { userId: context.userId, orgId: context.orgId, role: context.role, tokenExp };
  return context.departments ? { ...identity, departments: JSON.parse(context.departments) as string[] } : identity;
}

/** Authorizer context values must be strings, numbers or booleans (API Gateway stringifies them). */
export function authorizerContextOf(identity: Identity): Record<string, string | number> {
  const context = { userId: identity.userId, orgId: identity.orgId, role: identity.role, tokenExp: identity.tokenExp };
  return identity.departments ? { ...context, departments: JSON.stringify(identity.departments) } : context;
}
