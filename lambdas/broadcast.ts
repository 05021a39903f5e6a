/** The broadcaster (handlers/broadcast.ts). Entry point: the handler built from this function's environment at cold start. */
import { createBroadcastHandler } from './handlers/broadcast';
import { broadcastDependencies } from './lib/dependencies/broadcast';

export { createBroadcastHandler };
export const handler = createBroadcastHandler(broadcastDependencies(process.env));
