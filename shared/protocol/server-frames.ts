/**
 * Server → client frames (docs/protocol.md §3.3) as schemas the SDK parses, and the builders
 * handlers use so every frame has one shape. Parsing is lenient about extra fields
 * (forward-compatible clients); building is exact.
 */
import * as z from 'zod/mini';
import { ERROR_CODES, type StaffSyncError } from '../errors';
import { ROLES } from './roles';
import { changeSchema, departmentSeqsSchema, deptSeqsSchema, staffSchema, type Change, type Staff } from './staff';
import { compactChange } from './batch-codec';
import { utf8ByteLength } from './text';

/** API Gateway's message limit, both ways: no frame larger than this is received or posted. */
export const MAX_FRAME_BYTES = 128 * 1024;
/** API Gateway meters WebSocket messages in units of this size. */
export const BILLING_UNIT_BYTES = 32 * 1024;

const fieldIssueSchema = z.object({ path: z.string(), message: z.string() });
const seqSchema = z.int().check(z.minimum(0));
/** Department seqs as positions (0: a department with no change yet). */
const deptSeqsCountSchema = departmentSeqsSchema(0);

const writeOutcomeShape = {
  change: z.nullable(changeSchema),
  merged: z.optional(z.literal(true)),
  current: z.optional(staffSchema),
};

export const ackFrameSchema = z.object({ type: z.literal('ACK'), requestId: z.string(), ...writeOutcomeShape });

/**
 * One operation's outcome in a batch ACK: the record's id and version after it, and the seq of its
 * change (null for an update that changed nothing). The changes themselves come to the sender as
 * STAFF_BATCH frames just before the ACK, so the ACK stays small whatever the batch holds.
 */
export const batchResultSchema = z.object({
  op: z.enum(['create', 'update', 'delete']),
  staffId: z.guid(),
  seq: z.nullable(z.int().check(z.minimum(1))),
  version: z.int().check(z.minimum(1)),
  merged: z.optional(z.literal(true)),
});

/** The ACK of a STAFF_BATCH: each operation's outcome, in order. */
export const batchAckFrameSchema = z.object({ type: z.literal('ACK'), requestId: z.string(), results: z.array(batchResultSchema) });

export const BROADCAST_TYPES = ['STAFF_CREATE', 'STAFF_UPDATE', 'STAFF_DELETE'] as const;
export const broadcastFrameSchema = z.object({ type: z.enum(BROADCAST_TYPES), change: changeSchema });

/** A change of a batch broadcast in its compact form (batch-codec.ts: what it leaves out and why). */
export const batchChangeSchema = z.object({
  seq: z.int().check(z.minimum(1)),
  op: z.enum(['create', 'update', 'delete']),
  staff: z.extend(z.omit(staffSchema, { orgId: true, updatedBy: true, createdAt: true, updatedAt: true }), {
    orgId: z.optional(z.string()),
    updatedBy: z.optional(z.string()),
    createdAt: z.optional(z.string()),
    updatedAt: z.optional(z.string()),
  }),
  staffId: z.optional(z.guid()),
  version: z.optional(z.int().check(z.minimum(1))),
  changedFields: z.optional(z.array(z.string())),
  deptSeqs: z.optional(deptSeqsSchema),
});
export const batchBroadcastFrameSchema = z.object({
  type: z.literal('STAFF_BATCH'),
  orgId: z.string(),
  actor: z.string(),
  origin: z.enum(['ws', 'db']),
  at: z.string(),
  changes: z.array(batchChangeSchema),
});

export const syncResponseFrameSchema = z.object({
  type: z.literal('SYNC_RESPONSE'),
  requestId: z.optional(z.string()),
  mode: z.enum(['delta', 'snapshot']),
  changes: z.optional(z.array(changeSchema)),
  staff: z.optional(z.array(staffSchema)),
  seq: seqSchema,
  /** A sync by departments: where each stands after this page (docs/protocol.md §7.9). */
  deptSeqs: z.optional(deptSeqsCountSchema),
  hasMore: z.boolean(),
  cursor: z.optional(z.string()),
  /** A streamed sync: the next page of this reply follows in another frame (docs/protocol.md §7.4). */
  continued: z.optional(z.literal(true)),
});

/** One connection of the org: `memberId` is stable for the connection's life and reveals nothing of it. */
export const presenceMemberSchema = z.object({
  memberId: z.string(),
  userId: z.string(),
  role: z.enum(ROLES),
  connectedAt: z.string(),
  /** The record the member said it edits, and when (ISO); `null` when none or lapsed. */
  editing: z.nullable(z.object({ staffId: z.string(), at: z.string() })),
});

/**
 * Presence (docs/protocol.md §7.7): a `snapshot` answers PRESENCE_REQUEST (`self` is the asking
 * connection's member); `join`, `update` (its editing marker) and `leave` follow to every
 * connection that asked. An `update` with `requestId` answers PRESENCE_EDITING.
 */
export const presenceFrameSchema = z.discriminatedUnion('event', [
  z.object({ type: z.literal('PRESENCE'), requestId: z.optional(z.string()), event: z.literal('snapshot'), self: z.string(), members: z.array(presenceMemberSchema) }),
  z.object({ type: z.literal('PRESENCE'), requestId: z.optional(z.string()), event: z.enum(['join', 'update']), member: presenceMemberSchema }),
  z.object({ type: z.literal('PRESENCE'), event: z.literal('leave'), memberId: z.string() }),
]);

/** `deptSeqs`: the latest seq of each subscribed department (0: none yet), when subscribed to departments. */
export const pongFrameSchema = z.object({
  type: z.literal('PONG'),
  requestId: z.optional(z.string()),
  serverTime: z.string(),
  seq: seqSchema,
  deptSeqs: z.optional(deptSeqsCountSchema),
});

/** The reply to SUBSCRIBE: what the connection now receives, and where each of its departments stands. */
export const subscribedFrameSchema = z.object({
  type: z.literal('SUBSCRIBED'),
  requestId: z.optional(z.string()),
  departments: z.nullable(z.array(z.string())),
  seq: seqSchema,
  deptSeqs: deptSeqsCountSchema,
});

export const errorFrameSchema = z.object({
  type: z.literal('ERROR'),
  requestId: z.optional(z.string()),
  code: z.enum(ERROR_CODES),
  message: z.string(),
  details: z.optional(z.array(fieldIssueSchema)),
  current: z.optional(staffSchema),
});

// A plain union: the two ACK shapes share their `type`.
export const serverFrameSchema = z.union([
  ackFrameSchema,
  batchAckFrameSchema,
  broadcastFrameSchema,
  batchBroadcastFrameSchema,
  syncResponseFrameSchema,
  presenceFrameSchema,
  subscribedFrameSchema,
  pongFrameSchema,
  errorFrameSchema,
]);

export type AckFrame = z.output<typeof ackFrameSchema>;
export type BatchAckFrame = z.output<typeof batchAckFrameSchema>;
export type BatchOperationResult = z.output<typeof batchResultSchema>;
export type BroadcastFrame = z.output<typeof broadcastFrameSchema>;
export type BatchBroadcastFrame = z.output<typeof batchBroadcastFrameSchema>;
export type SyncResponseFrame = z.output<typeof syncResponseFrameSchema>;
export type PongFrame = z.output<typeof pongFrameSchema>;
export type SubscribedFrame = z.output<typeof subscribedFrameSchema>;
export type PresenceMember = z.output<typeof presenceMemberSchema>;
export type PresenceFrame = z.output<typeof presenceFrameSchema>;
export type ErrorFrame = z.output<typeof errorFrameSchema>;
export type ServerFrame = z.output<typeof serverFrameSchema>;

const BROADCAST_TYPE_BY_OP = { create: 'STAFF_CREATE', update: 'STAFF_UPDATE', delete: 'STAFF_DELETE' } as const;

/** What a write produced (the staff store's result; extra fields such as `replayed` are ignored). */
export interface WriteOutcome {
  readonly change: Change | null;
  readonly merged?: boolean;
  readonly current?: Staff;
}

/** The reply to a write: `change: null` with `current` for a no-op update, `merged` when field-merged. */
export function ackFrame(requestId: string, result: WriteOutcome): AckFrame {
  const frame: AckFrame = { type: 'ACK', requestId, change: result.change };
  if (result.merged) frame.merged = true;
  if (result.current) frame.current = result.current;
  return frame;
}

/** The reply to a STAFF_BATCH. */
export const batchAckFrame = (requestId: string, results: readonly WriteOutcome[]): BatchAckFrame => ({
  type: 'ACK',
  requestId,
  results: results.map(({ change, merged, current }): BatchOperationResult => {
    if (change) return { op: change.op, staffId: change.staffId, seq: change.seq, version: change.version, ...(merged ? { merged: true } : {}) };
    if (!current) throw new Error('a write result has neither a change nor the current record');
    return { op: 'update', staffId: current.id, seq: null, version: current.version };
  }),
});

/** What every other connection of the org receives; the type follows the change's `op`. */
export const broadcastFrame = (change: Change): BroadcastFrame => ({ type: BROADCAST_TYPE_BY_OP[change.op], change });

/**
 * A batch's changes as few STAFF_BATCH frames as fit `maxBytes` each (a frame's billed units
 * are its bytes over 32 KB, rounded up, so full frames cost least), in seq order. A change
 * starts a new frame when its actor, origin or time differs from the frame's.
 */
export function batchBroadcastFrames(changes: readonly Change[], maxBytes: number = MAX_FRAME_BYTES): BatchBroadcastFrame[] {
  const frames: BatchBroadcastFrame[] = [];
  let current: BatchBroadcastFrame | undefined;
  let bytes = 0;
  for (const change of changes) {
    const { actor, origin, at } = change;
    const orgId = change.staff.orgId;
    const same = current && current.orgId === orgId && current.actor === actor && current.origin === origin && current.at === at;
    const compact = compactChange(change, same ? current! : { orgId, actor, at });
    const size = utf8ByteLength(JSON.stringify(compact)) + 1;
    if (!current || !same || bytes + size > maxBytes) {
      current = { type: 'STAFF_BATCH', orgId, actor, origin, at, changes: [] };
      frames.push(current);
      bytes = utf8ByteLength(JSON.stringify(current));
    }
    current.changes.push(compact);
    bytes += size;
  }
  return frames;
}

/** One page of a sync, as the staff store returns it. */
export type SyncPage = Omit<SyncResponseFrame, 'type' | 'requestId' | 'continued'>;

export function syncResponseFrame(requestId: string | undefined, page: SyncPage): SyncResponseFrame {
  const frame: SyncResponseFrame = { type: 'SYNC_RESPONSE', mode: page.mode, seq: page.seq, hasMore: page.hasMore };
  if (requestId !== undefined) frame.requestId = requestId;
  if (page.changes) frame.changes = page.changes;
  if (page.staff) frame.staff = page.staff;
  if (page.deptSeqs) frame.deptSeqs = page.deptSeqs;
  if (page.cursor !== undefined) frame.cursor = page.cursor;
  return frame;
}

/** The frames of a streamed sync, in order: every one but the last says the reply `continued`. */
export const syncResponseFrames = (requestId: string | undefined, pages: readonly SyncPage[]): SyncResponseFrame[] =>
  pages.map((page, i) => (i < pages.length - 1 ? { ...syncResponseFrame(requestId, page), continued: true } : syncResponseFrame(requestId, page)));

/** `seq` is the org's latest committed change (0 when it has none); `deptSeqs` only for a subscription to departments. */
export function pongFrame(requestId: string | undefined, seq: number, now: Date = new Date(), deptSeqs?: Record<string, number>): PongFrame {
  const frame: PongFrame = { type: 'PONG', serverTime: now.toISOString(), seq };
  if (requestId !== undefined) frame.requestId = requestId;
  if (deptSeqs) frame.deptSeqs = deptSeqs;
  return frame;
}

export function subscribedFrame(requestId: string | undefined, departments: readonly string[] | null, seq: number, deptSeqs: Record<string, number>): SubscribedFrame {
  return { type: 'SUBSCRIBED', ...(requestId === undefined ? {} : { requestId }), departments: departments && [...departments], seq, deptSeqs };
}

/** An `ERROR` frame from a typed error; `requestId` echoed when the request had a valid one. */
export function errorFrame(requestId: string | undefined, error: StaffSyncError): ErrorFrame {
  const frame: ErrorFrame = { type: 'ERROR', code: error.code, message: error.message };
  if (requestId !== undefined) frame.requestId = requestId;
  if (error.details && error.details.length > 0) frame.details = [...error.details];
  if (error.current) frame.current = error.current;
  return frame;
}
