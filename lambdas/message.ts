/** `$default`, every client frame (handlers/message.ts). Entry point: the handler built from this function's environment at cold start. */
import { createMessageHandler } from './handlers/message';
import { messageDependencies } from './lib/dependencies/message';

export { createMessageHandler };
export const handler = createMessageHandler(messageDependencies(process.env));
