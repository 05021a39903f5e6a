import type { Env } from '../../../shared/config';
import { logger } from '../../../shared/logger';
import { createMessageService } from '../../../shared/message-service';
import type { MessageDependencies } from '../../handlers/message';
import { lazy } from '../lazy';
import { connectionsFrom } from './connections';
import { fanOutFrom } from './fanout';
import { staffStoreFrom } from './staff-store';

export function messageDependencies(env: Env): MessageDependencies {
  const staffStore = staffStoreFrom(env);
  const connections = connectionsFrom(env);
  return {
    messageService: lazy(async () =>
      createMessageService({
        staffStore: await staffStore(),
        connections,
        onDegraded: (what, error) => logger.warn(what, { error }),
        onInternalError: (error, requestId) => logger.error('internal error', { error, frameRequestId: requestId }),
      }),
    ),
    fanOut: fanOutFrom(env, connections),
  };
}
