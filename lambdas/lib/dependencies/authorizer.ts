import { createTokenVerifier } from '../../../shared/auth';
import { loadAuthConfig, type Env } from '../../../shared/config';
import type { AuthorizerDependencies } from '../../handlers/authorizer';

export function authorizerDependencies(env: Env): AuthorizerDependencies {
  return { verifier: createTokenVerifier(loadAuthConfig(env)) };
}
