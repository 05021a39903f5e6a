/** The message service wired to the staff store, built once per cold start. */
import { logger } from '../../shared/logger';
import { createMessageService } from '../../shared/message-service';
import { lazy } from './lazy';
import { staffStore } from './staff';

export const messageService = lazy(async () =>
  createMessageService({
    staffStore: await staffStore(),
    onInternalError: (error, requestId) => logger.error('internal error', { error, frameRequestId: requestId }),
  }),
);
