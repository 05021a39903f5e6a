/**
 * Broadcaster, invoked asynchronously by the message and webhook Lambdas: either one page of
 * connection ids of a large org (partitioned fan-out), or a whole org.
 */
import type { BroadcastResult } from '../../shared/broadcaster';
import { logger, setRequestKeys } from '../../shared/logger';
import type { BroadcastJob, FanOut } from '../lib/fanout';
import type { Lazy } from '../lib/lazy';

export interface BroadcastDependencies {
  readonly fanOut: Lazy<FanOut>;
}

export function createBroadcastHandler({ fanOut }: BroadcastDependencies) {
  return async function handler(job: BroadcastJob): Promise<BroadcastResult> {
    setRequestKeys({ orgId: job.orgId });
    try {
      const result = await (await fanOut()).run(job);
      // orgId as an attribute of its own: the local stage runs invocations side by side on one
      // logger, whose request keys another invocation may have replaced meanwhile.
      logger.info('broadcast done', { ...result, orgId: job.orgId });
      return result;
    } finally {
      logger.resetKeys();
    }
  };
}
