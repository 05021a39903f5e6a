/**
 * The SQL data contract's results (CONTRIBUTING.md), validated with the wire schemas before they
 * leave the adapter. Optional flags may come as false/null from SQL; they leave as `true` or absent.
 */
import * as z from 'zod';
import { changeSchema, staffSchema, type Change, type Staff } from '../protocol/staff';

const flag = z.boolean().nullish();
const seq = z.coerce.number().int().min(0);

export const writeResultSchema = z.object({
  change: changeSchema.nullable(),
  merged: flag,
  current: staffSchema.nullish(),
  replayed: flag,
});

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
  afterId: z.guid().nullish(),
});

export const pageSchema = z.discriminatedUnion('mode', [deltaPageSchema, snapshotPageSchema]);
export const changeAtSchema = changeSchema.nullable();
export const latestSeqSchema = seq;
export const healthSchema = z.object({ ok: z.boolean() });

/** What a write produced: the ACK's fields, plus `replayed` for an idempotent replay (not broadcast again). */
export interface WriteResult {
  readonly change: Change | null;
  readonly merged?: true;
  readonly current?: Staff;
  readonly replayed?: true;
}

export function toWriteResult(raw: z.output<typeof writeResultSchema>): WriteResult {
  return {
    change: raw.change,
    ...(raw.merged ? { merged: true as const } : {}),
    ...(raw.current ? { current: raw.current } : {}),
    ...(raw.replayed ? { replayed: true as const } : {}),
  };
}
