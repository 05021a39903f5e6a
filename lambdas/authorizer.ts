/** The `$connect` authorizer (handlers/authorizer.ts). Entry point: the handler built from this function's environment at cold start. */
import { createAuthorizerHandler } from './handlers/authorizer';
import { authorizerDependencies } from './lib/dependencies/authorizer';

export { createAuthorizerHandler };
export const handler = createAuthorizerHandler(authorizerDependencies(process.env));
