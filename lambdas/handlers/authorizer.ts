/**
 * `$connect` REQUEST authorizer: verifies the `token` query parameter (docs/protocol.md §2) and
 * hands identity, org, role and the token's `exp` to every later event through `context`.
 * Every bad token is `Unauthorized` (401); an unreachable JWKS is any other error (500).
 */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { isAuthUnavailable, type TokenVerifier } from '../../shared/auth';
import { logger } from '../../shared/logger';
import { authorizerContextOf } from '../lib/websocket-event';

export interface AuthorizerDependencies {
  readonly verifier: TokenVerifier;
}

export function createAuthorizerHandler({ verifier }: AuthorizerDependencies) {
  return async function handler(event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
    const token = event.queryStringParameters?.token;
    if (!token) throw new Error('Unauthorized');
    try {
      const identity = await verifier.verify(token);
      return {
        principalId: identity.userId,
        policyDocument: {
          Version: '2012-10-17',
          Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }],
        },
        context: authorizerContextOf(identity),
      };
    } catch (error) {
      if (isAuthUnavailable(error)) {
        logger.error('token verification unavailable', { error });
        throw new Error('token verification unavailable');
      }
      logger.info('handshake refused', { reason: error instanceof Error ? error.message : 'invalid token' });
      throw new Error('Unauthorized');
    }
  };
}
