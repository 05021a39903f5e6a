/** `$connect` (handlers/connect.ts). Entry point: the handler built from this function's environment at cold start. */
import { createConnectHandler } from './handlers/connect';
import { connectDependencies } from './lib/dependencies/connect';

export { createConnectHandler };
export const handler = createConnectHandler(connectDependencies(process.env));
