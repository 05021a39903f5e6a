/**
 * Client frames: untrusted WebSocket text → a typed `ClientFrame`, or the `StaffSyncError` to
 * send back (docs/protocol.md §3.6, §4). Never throws for bad input, never echoes it
 * at length, and bounds size and nesting before any recursive code sees the value.
 * The schemas themselves are in client-frames.ts (re-exported here).
 */
import type { z } from 'zod/mini';
import { StaffSyncError, type FieldIssue } from '../errors';
import { CLIENT_FRAME_SCHEMAS, CLIENT_FRAME_TYPES, REQUEST_ID_PATTERN, isClientFrameType, type ClientFrame } from './client-frames';
import { isWriteType } from './roles';
import { BROADCAST_TYPES, MAX_FRAME_BYTES } from './server-frames';
import { SERVER_OWNED_FIELDS, TOO_LARGE_PARAM } from './staff-input';
import { excerpt, isPlainObject, jsonNestingExceeds, utf8ByteLength } from './text';

export * from './client-frames';

/** Every message type of the protocol, both directions (for `GET /` and docs). */
export const MESSAGE_TYPES = {
  client: CLIENT_FRAME_TYPES,
  server: ['ACK', ...BROADCAST_TYPES, 'STAFF_BATCH', 'SYNC_RESPONSE', 'PRESENCE', 'SUBSCRIBED', 'PONG', 'ERROR'] as const,
} as const;

export { MAX_FRAME_BYTES };
/** Deepest `{`/`[` nesting accepted in a frame (frame → payload → staff → metadata leaves ~28 for metadata). */
export const MAX_FRAME_DEPTH = 32;
/** At most this many `details` entries in one error. */
export const MAX_DETAILS = 20;

export type ParseResult =
  | { readonly ok: true; readonly frame: ClientFrame }
  | { readonly ok: false; readonly error: StaffSyncError; readonly requestId?: string };

const fail = (error: StaffSyncError, requestId?: string): ParseResult =>
  requestId === undefined ? { ok: false, error } : { ok: false, error, requestId };

const badRequest = (message: string, requestId?: string, details?: FieldIssue[]): ParseResult =>
  fail(new StaffSyncError('BAD_REQUEST', message, details ? { details } : {}), requestId);

/**
 * Parses one WebSocket message.
 *
 * @example
 * const parsed = parseClientFrame(event.body, event.isBase64Encoded);
 * if (!parsed.ok) return reply(errorFrame(parsed.requestId, parsed.error));
 * switch (parsed.frame.type) { … }
 */
export function parseClientFrame(body: string | undefined, isBinary: boolean): ParseResult {
  if (isBinary) return badRequest('binary frames are not supported; send one JSON text frame');
  if (body === undefined || body.length === 0) return badRequest('empty frame; send a JSON object');
  if (body.length > MAX_FRAME_BYTES || utf8ByteLength(body) > MAX_FRAME_BYTES) {
    return fail(new StaffSyncError('PAYLOAD_TOO_LARGE', `frame exceeds ${MAX_FRAME_BYTES} bytes`));
  }
  if (jsonNestingExceeds(body, MAX_FRAME_DEPTH)) {
    return badRequest(`frame is nested deeper than ${MAX_FRAME_DEPTH} levels`);
  }
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return badRequest('frame is not valid JSON');
  }
  if (!isPlainObject(value)) return badRequest('frame must be a JSON object');

  let requestId: string | undefined;
  if ('requestId' in value) {
    const raw = value.requestId;
    if (typeof raw !== 'string' || !REQUEST_ID_PATTERN.test(raw)) {
      const message = 'must be 1-64 characters of A-Z, a-z, 0-9, _ or -';
      return badRequest(`requestId ${message}`, undefined, [{ path: 'requestId', message }]);
    }
    requestId = raw;
  }

  const { type } = value;
  if (type === undefined) return badRequest('frame has no type', requestId);
  if (typeof type !== 'string') return badRequest('type must be a string', requestId);
  if (!isClientFrameType(type)) {
    return fail(
      new StaffSyncError(
        'UNKNOWN_TYPE',
        `unknown type "${excerpt(type)}"; expected one of ${CLIENT_FRAME_TYPES.join(', ')}`,
      ),
      requestId,
    );
  }
  if (isWriteType(type) && requestId === undefined) {
    return badRequest(`${type} requires a requestId`, undefined, [{ path: 'requestId', message: 'is required' }]);
  }

  const result = CLIENT_FRAME_SCHEMAS[type].safeParse(value);
  if (result.success) return { ok: true, frame: result.data };
  return fail(issuesToError(type, firstFailingOperation(result.error.issues)), requestId);
}

const operationIndex = (issue: z.core.$ZodIssue): number | undefined =>
  issue.path[0] === 'payload' && issue.path[1] === 'operations' && typeof issue.path[2] === 'number' ? issue.path[2] : undefined;

/** A batch is refused for its first failing operation only, as the database refuses it. */
function firstFailingOperation(issues: readonly z.core.$ZodIssue[]): readonly z.core.$ZodIssue[] {
  const indexes = issues.map(operationIndex).filter((index): index is number => index !== undefined);
  if (indexes.length === 0) return issues;
  const first = Math.min(...indexes);
  return issues.filter((issue) => (operationIndex(issue) ?? first) === first);
}

/** Maps zod issues to `VALIDATION_FAILED` (or `PAYLOAD_TOO_LARGE`) with dotted `details` paths. */
export function issuesToError(type: string, issues: readonly z.core.$ZodIssue[]): StaffSyncError {
  const details: FieldIssue[] = [];
  // As in SQL (staff_raise_issues): PAYLOAD_TOO_LARGE only when size is the frame's only problem.
  const tooLarge = issues.length > 0 && issues.every((issue) => issue.code === 'custom' && issue.params?.[TOO_LARGE_PARAM] === true);
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) details.push({ path: joinPath([...issue.path, key]), message: unknownKeyMessage(issue.path, key) });
    } else {
      details.push({ path: joinPath(issue.path), message: issue.message });
    }
  }
  const shown = details.slice(0, MAX_DETAILS);
  const first = shown[0];
  const summary = first ? `${first.path || 'frame'}: ${first.message}` : 'invalid frame';
  const more = details.length > 1 ? ` (and ${details.length - 1} more)` : '';
  return new StaffSyncError(tooLarge ? 'PAYLOAD_TOO_LARGE' : 'VALIDATION_FAILED', `invalid ${type}: ${summary}${more}`, {
    details: shown,
  });
}

function unknownKeyMessage(parent: readonly PropertyKey[], key: string): string {
  if ((SERVER_OWNED_FIELDS as readonly string[]).includes(key)) return 'is set by the server and cannot be sent';
  if (key === 'id' && parent[parent.length - 1] === 'changes') return 'cannot be changed; name the record in staffId';
  return 'is not a known field';
}

const joinPath = (path: readonly PropertyKey[]): string =>
  path.map((segment) => excerpt(typeof segment === 'symbol' ? segment.toString() : String(segment))).join('.');
