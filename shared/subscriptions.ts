/**
 * Who a change reaches (docs/protocol.md §7.9): a connection subscribed to the whole org gets
 * every change; one subscribed to departments gets a change that touches one of them — its
 * record's old or new department, the keys of its `deptSeqs`. A record without a department is
 * seen by whole-org subscriptions only.
 */
import type { Recipient } from './connection-store';

/** The departments some changes touch; `undefined` for frames that are not changes (every recipient). */
export type Touched = ReadonlySet<string> | undefined;

export const departmentsTouched = (changes: readonly { readonly deptSeqs: Record<string, number> }[]): ReadonlySet<string> =>
  new Set(changes.flatMap((change) => Object.keys(change.deptSeqs)));

export const reaches = (recipient: Recipient, touched: Touched): boolean =>
  touched === undefined || recipient.departments === undefined || recipient.departments.some((department) => touched.has(department));

/** Pages of recipients as pages of the ids a frame reaches (empty pages left out). */
export async function* idPagesReached(pages: AsyncIterable<readonly Recipient[]>, touched: Touched): AsyncGenerator<string[]> {
  for await (const page of pages) {
    const ids = page.filter((recipient) => reaches(recipient, touched)).map((recipient) => recipient.connectionId);
    if (ids.length > 0) yield ids;
  }
}
