/**
 * The fan-out rule, whoever runs it (a Lambda on AWS, the local stage): walk the org index page
 * by page; the first `servedHere` pages are posted by this invocation, every later page is handed
 * to the broadcaster (docs/architecture.md §3.3). Nothing waits on anything else: a slow first
 * page must not hold up the query and hand-off of the others.
 */
import type { BroadcastResult } from './broadcaster';

export interface FanOutPartition {
  /** Pages of connection ids of one org (the org index), in order. */
  readonly pages: AsyncIterable<readonly string[]>;
  /** The sender, who gets an ACK instead. */
  readonly except?: string;
  /** Pages posted here; 0 hands off everything (a webhook answers at once). */
  readonly servedHere: number;
  serve(connectionIds: readonly string[]): Promise<BroadcastResult>;
  handOff(connectionIds: readonly string[]): Promise<BroadcastResult>;
}

export const sumResults = (results: readonly BroadcastResult[]): BroadcastResult =>
  results.reduce((total, result) => ({ sent: total.sent + result.sent, gone: total.gone + result.gone, failed: total.failed + result.failed }), {
    sent: 0,
    gone: 0,
    failed: 0,
  });

export async function fanOutPartitioned({ pages, except, servedHere, serve, handOff }: FanOutPartition): Promise<BroadcastResult> {
  const runs: Promise<BroadcastResult>[] = [];
  let page = 0;
  for await (const ids of pages) {
    const targets = ids.filter((id) => id !== except);
    runs.push(page++ < servedHere ? serve(targets) : handOff(targets));
  }
  return sumResults(await Promise.all(runs));
}
