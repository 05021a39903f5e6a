/** `$disconnect` (handlers/disconnect.ts). Entry point: the handler built from this function's environment at cold start. */
import { createDisconnectHandler } from './handlers/disconnect';
import { disconnectDependencies } from './lib/dependencies/disconnect';

export { createDisconnectHandler };
export const handler = createDisconnectHandler(disconnectDependencies(process.env));
