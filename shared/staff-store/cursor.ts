/**
 * The opaque `cursor` of a paged `SYNC_RESPONSE`: base64url JSON that binds the org, the mode,
 * the `seq` the next page continues from (delta) or is fixed at (snapshot), and the last staff id
 * served (snapshot). The org always comes from the connection; a cursor that does not parse or
 * names another org is `VALIDATION_FAILED` at `payload.cursor`.
 *
 * A sync by departments has cursors of its own: they bind a digest of the departments (asked for
 * again with the cursor) and the position in each, in the departments' sorted order, so a cursor
 * stays small whatever the departments are called.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { StaffSyncError } from '../errors';

const positions = z.array(z.int().check(z.minimum(0)));
const org = z.string().check(z.minLength(1));
const cursorSchema = z.discriminatedUnion('m', [
  z.strictObject({ v: z.literal(1), o: org, m: z.literal('delta'), s: z.int().check(z.minimum(0)) }),
  z.strictObject({ v: z.literal(1), o: org, m: z.literal('snapshot'), s: z.int().check(z.minimum(0)), a: z.guid() }),
  z.strictObject({ v: z.literal(1), o: org, m: z.literal('ddelta'), h: z.string(), p: positions, s: z.optional(z.int().check(z.minimum(0))) }),
  z.strictObject({ v: z.literal(1), o: org, m: z.literal('dsnapshot'), h: z.string(), p: positions, a: z.guid() }),
]);

export type SyncCursor =
  | { readonly mode: 'delta'; readonly seq: number }
  | { readonly mode: 'snapshot'; readonly seq: number; readonly afterId: string }
  /** `afterSeq`: the org seq of the page's last change; every change the next page holds comes after it. */
  | { readonly mode: 'department-delta'; readonly deptSeqs: Record<string, number>; readonly afterSeq?: number }
  | { readonly mode: 'department-snapshot'; readonly deptSeqs: Record<string, number>; readonly afterId: string };

/** Departments in the order cursors list their positions. */
export const sortedDepartments = (departments: readonly string[]): string[] => [...departments].sort();
const digestOf = (departments: readonly string[]): string =>
  createHash('sha256').update(JSON.stringify(sortedDepartments(departments)), 'utf8').digest('base64url').slice(0, 16);

/** `departments`: those the sync is by (department cursors only). */
export function encodeCursor(orgId: string, cursor: SyncCursor, departments: readonly string[] = []): string {
  const listed = () => {
    const { deptSeqs } = cursor as { deptSeqs: Record<string, number> };
    return sortedDepartments(departments).map((department) => (Object.hasOwn(deptSeqs, department) ? deptSeqs[department]! : 0));
  };
  const body =
    cursor.mode === 'delta'
      ? { v: 1, o: orgId, m: 'delta', s: cursor.seq }
      : cursor.mode === 'snapshot'
        ? { v: 1, o: orgId, m: 'snapshot', s: cursor.seq, a: cursor.afterId }
        : cursor.mode === 'department-delta'
          ? { v: 1, o: orgId, m: 'ddelta', h: digestOf(departments), p: listed(), ...(cursor.afterSeq === undefined ? {} : { s: cursor.afterSeq }) }
          : { v: 1, o: orgId, m: 'dsnapshot', h: digestOf(departments), p: listed(), a: cursor.afterId };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

/** VALIDATION_FAILED at `payload.cursor`; never says whether the cursor was another org's. */
export const invalidCursor = (cause?: unknown): StaffSyncError =>
  new StaffSyncError('VALIDATION_FAILED', 'the sync cursor is not valid for this connection', {
    details: [{ path: 'payload.cursor', message: 'is not a cursor issued to this connection' }],
    ...(cause === undefined ? {} : { cause }),
  });

/** `departments`: those asked for with the cursor; a department cursor must be of exactly these, and only a department cursor may come with them. */
export function decodeCursor(orgId: string, text: string, departments?: readonly string[]): SyncCursor {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) throw invalidCursor();
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch (error) {
    throw invalidCursor(error);
  }
  const parsed = cursorSchema.safeParse(json);
  if (!parsed.success) throw invalidCursor(parsed.error);
  const data = parsed.data;
  if (data.o !== orgId) throw invalidCursor();
  if (data.m === 'delta' || data.m === 'snapshot') {
    if (departments !== undefined) throw invalidCursor();
    return data.m === 'delta' ? { mode: 'delta', seq: data.s } : { mode: 'snapshot', seq: data.s, afterId: data.a };
  }
  const sorted = departments === undefined ? [] : sortedDepartments(departments);
  if (departments === undefined || data.h !== digestOf(sorted) || data.p.length !== sorted.length) throw invalidCursor();
  const deptSeqs = Object.fromEntries(sorted.map((department, i) => [department, data.p[i]!]));
  if (data.m === 'dsnapshot') return { mode: 'department-snapshot', deptSeqs, afterId: data.a };
  return { mode: 'department-delta', deptSeqs, ...(data.s === undefined ? {} : { afterSeq: data.s }) };
}
