/**
 * The SQL data contract's results (CONTRIBUTING.md), validated with the wire schemas before they
 * leave the adapter. Optional flags may come as false/null from SQL; they leave as `true` or absent.
 */
import * as z from 'zod/mini';
import { changeSchema, departmentSeqsSchema, deptSeqsSchema, staffSchema, type Change, type Staff } from '../protocol/staff';

const flag = z.nullish(z.boolean());
// bigint columns can arrive as strings
const seq = z.coerce.number().check(z.int(), z.minimum(0));
/** Department positions (0 allowed: a department without changes yet). */
export const deptSeqsPositionsSchema = departmentSeqsSchema(0);

export const writeResultSchema = z.object({
  change: z.nullable(changeSchema),
  merged: flag,
  current: z.nullish(staffSchema),
  replayed: flag,
});

export const batchResultSchema = z.object({ results: z.array(writeResultSchema), replayed: flag });

export const deltaPageSchema = z.object({
  mode: z.literal('delta'),
  changes: z.array(changeSchema),
  seq,
  hasMore: z.boolean(),
});

export const snapshotPageSchema = z.object({
  mode: z.literal('snapshot'),
  staff: z.array(staffSchema),
  seq,
  hasMore: z.boolean(),
  afterId: z.nullish(z.guid()),
});

export const pageSchema = z.discriminatedUnion('mode', [deltaPageSchema, snapshotPageSchema]);
/** The pages of one read (staff_snapshot_stream, staff_changes_stream: one row each), in order. */
export const streamSchema = z.array(pageSchema).check(z.minLength(1));
/** A page of a sync by departments: the org's page shapes, and where each department stands after it. */
export const departmentPageSchema = z.discriminatedUnion('mode', [
  z.extend(deltaPageSchema, { deptSeqs: deptSeqsPositionsSchema }),
  z.extend(snapshotPageSchema, { deptSeqs: deptSeqsPositionsSchema }),
]);
export const changeAtSchema = z.nullable(changeSchema);
export const latestSeqSchema = seq;
/** The org's latest seq and every department's (staff_latest_seqs). */
export const latestSeqsSchema = z.object({ seq, deptSeqs: deptSeqsSchema });
export type LatestSeqs = z.output<typeof latestSeqsSchema>;
export const healthSchema = z.object({ ok: z.boolean() });

/** What a write produced: the ACK's fields, plus `replayed` for an idempotent replay (not broadcast again). */
export interface WriteResult {
  readonly change: Change | null;
  readonly merged?: true;
  readonly current?: Staff;
  readonly replayed?: true;
}

/** What a batch produced: each operation's result in order; `replayed` for the whole batch. */
export interface BatchResult {
  readonly results: readonly WriteResult[];
  readonly replayed?: true;
}

export const toBatchResult = (raw: z.output<typeof batchResultSchema>): BatchResult => ({
  results: raw.results.map(toWriteResult),
  ...(raw.replayed ? { replayed: true as const } : {}),
});

export function toWriteResult(raw: z.output<typeof writeResultSchema>): WriteResult {
  return {
    change: raw.change,
    ...(raw.merged ? { merged: true as const } : {}),
    ...(raw.current ? { current: raw.current } : {}),
    ...(raw.replayed ? { replayed: true as const } : {}),
  };
}
