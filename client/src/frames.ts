/**
 * Server frames in, client frames out. The types are the shared protocol schemas'; the runtime
 * checks here are structural and deliberately small (zod would add ~450 KB to a browser bundle):
 * they check what the SDK relies on, so anything that is not the protocol is reported, never
 * thrown, and never mistaken for a change. A unit test holds them to the shared schemas.
 */
import { ERROR_CODES, type Change, type WriteFrame } from './protocol';
import type { BatchBroadcastFrame, ErrorFrame, ServerFrame } from '../../shared/protocol/server-frames';
import { utf8ByteLength } from '../../shared/protocol/text';
import { expandChange } from '../../shared/protocol/batch-codec';
import { StaffSyncClientError } from './errors';

export type ParsedServerFrame = { readonly ok: true; readonly frame: ServerFrame } | { readonly ok: false; readonly error: StaffSyncClientError };

/** API Gateway closes a socket (1009) on an incoming frame over 32 KB: such a write is refused before it is sent. */
export const MAX_OUTGOING_FRAME_BYTES = 32 * 1024;

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const isSeq = (value: unknown, min = 0): value is number => Number.isSafeInteger(value) && (value as number) >= min;
const isString = (value: unknown): value is string => typeof value === 'string';
const optional = (value: unknown, check: (value: unknown) => boolean) => value === undefined || check(value);

const isStaff = (value: unknown): boolean => isObject(value) && isString(value.id) && isString(value.name) && isSeq(value.version, 1);
const isOp = (value: unknown): boolean => value === 'create' || value === 'update' || value === 'delete';
/** A change as a STAFF_BATCH frame carries it: `staffId` and `version` may be left to the record's. */
const isCompactChange = (value: unknown): boolean =>
  isObject(value) &&
  isSeq(value.seq, 1) &&
  isOp(value.op) &&
  isStaff(value.staff) &&
  optional(value.staffId, isString) &&
  optional(value.version, (version) => isSeq(version, 1)) &&
  optional(value.deptSeqs, isObject);
const isChange = (value: unknown): boolean =>
  isCompactChange(value) && isObject((value as Json).deptSeqs) && isString((value as Json).staffId) && isSeq((value as Json).version, 1) && ((value as Json).staff as Json).id === (value as Json).staffId;
const isMember = (m: unknown): boolean =>
  isObject(m) &&
  isString(m.memberId) &&
  isString(m.userId) &&
  isString(m.role) &&
  isString(m.connectedAt) &&
  (m.editing === null || (isObject(m.editing) && isString(m.editing.staffId) && isString(m.editing.at)));
const isArrayOf = (check: (value: unknown) => boolean) => (value: unknown) => Array.isArray(value) && value.every(check);
const isBatchResult = (value: unknown): boolean =>
  isObject(value) && isOp(value.op) && isString(value.staffId) && (value.seq === null || isSeq(value.seq, 1)) && isSeq(value.version, 1);

const CHECKS: Record<string, (frame: Json) => boolean> = {
  STAFF_CREATE: (f) => isChange(f.change),
  STAFF_UPDATE: (f) => isChange(f.change),
  STAFF_DELETE: (f) => isChange(f.change),
  STAFF_BATCH: (f) => isString(f.orgId) && isString(f.actor) && (f.origin === 'ws' || f.origin === 'db') && isString(f.at) && isArrayOf(isCompactChange)(f.changes),
  ACK: (f) =>
    isString(f.requestId) &&
    (f.results === undefined ? (f.change === null || isChange(f.change)) && optional(f.current, isStaff) : isArrayOf(isBatchResult)(f.results)),
  SYNC_RESPONSE: (f) =>
    (f.mode === 'delta' || f.mode === 'snapshot') &&
    isSeq(f.seq) &&
    typeof f.hasMore === 'boolean' &&
    optional(f.changes, isArrayOf(isChange)) &&
    optional(f.staff, isArrayOf(isStaff)) &&
    optional(f.cursor, isString) &&
    optional(f.continued, (value) => value === true) &&
    optional(f.requestId, isString),
  PRESENCE: (f) =>
    f.event === 'leave'
      ? isString(f.memberId)
      : optional(f.requestId, isString) &&
        (f.event === 'snapshot' ? isString(f.self) && isArrayOf(isMember)(f.members) : (f.event === 'join' || f.event === 'update') && isMember(f.member)),
  SUBSCRIBED: (f) => (f.departments === null || isArrayOf(isString)(f.departments)) && isSeq(f.seq) && isObject(f.deptSeqs) && optional(f.requestId, isString),
  PONG: (f) => isSeq(f.seq) && optional(f.requestId, isString) && optional(f.deptSeqs, isObject),
  ERROR: (f) =>
    (ERROR_CODES as readonly unknown[]).includes(f.code) && isString(f.message) && optional(f.requestId, isString) && optional(f.current, isStaff),
};

const excerpt = (text: string): string => (text.length > 200 ? `${text.slice(0, 200)}…` : text);

export function parseServerFrame(data: unknown): ParsedServerFrame {
  if (!isString(data)) {
    return { ok: false, error: new StaffSyncClientError('BAD_FRAME', 'received a binary frame; the protocol sends JSON text') };
  }
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return { ok: false, error: new StaffSyncClientError('BAD_FRAME', `received a frame that is not JSON: ${excerpt(data)}`) };
  }
  const check = isObject(value) && isString(value.type) ? CHECKS[value.type] : undefined;
  if (check && check(value as Json)) return { ok: true, frame: value as ServerFrame };
  return { ok: false, error: new StaffSyncClientError('BAD_FRAME', `received a frame that is not the protocol: ${excerpt(data)}`) };
}

/** A batch broadcast's changes, each whole again. */
export const changesOfBatch = (frame: BatchBroadcastFrame): Change[] => frame.changes.map((change) => expandChange(change, frame));

/** A server `ERROR` frame as the typed error the caller receives. */
export const errorFromFrame = (frame: ErrorFrame): StaffSyncClientError =>
  new StaffSyncClientError(frame.code, frame.message, {
    ...(frame.details ? { details: frame.details } : {}),
    ...(frame.current ? { current: frame.current } : {}),
    ...(frame.requestId !== undefined ? { requestId: frame.requestId } : {}),
  });

/**
 * Refuses locally what the gateway would answer by closing the socket (a frame over 32 KB), which
 * a retried write would otherwise repeat on every reconnect. Field rules are the server's to check.
 */
export function checkOutgoing(frame: WriteFrame): StaffSyncClientError | undefined {
  const bytes = utf8ByteLength(JSON.stringify(frame));
  if (bytes <= MAX_OUTGOING_FRAME_BYTES) return undefined;
  return new StaffSyncClientError('PAYLOAD_TOO_LARGE', `the ${frame.type} frame is ${bytes} bytes; the gateway accepts at most ${MAX_OUTGOING_FRAME_BYTES}`, {
    requestId: frame.requestId,
  });
}
