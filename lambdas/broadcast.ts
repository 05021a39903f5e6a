/**
 * Broadcaster, invoked asynchronously by the message and webhook Lambdas: either one page of
 * connection ids of a large org (partitioned fan-out), or a whole org.
 */
import { logger, setRequestKeys } from '../shared/logger';
import { fanOut, type BroadcastJob } from './lib/fanout';

export async function handler(job: BroadcastJob): Promise<{ sent: number; gone: number; failed: number }> {
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
}
