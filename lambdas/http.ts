/** The HTTP API (handlers/http.ts). Entry point: the handler built from this function's environment at cold start. */
import { createHttpHandler } from './handlers/http';
import { httpDependencies } from './lib/dependencies/http';

export { createHttpHandler };
export const handler = createHttpHandler(httpDependencies(process.env));
