/**
 * Who may do what (docs/protocol.md §2.3): the one place authorisation rules live.
 * `admin` and `manager` have the same rights today; the distinction is reserved.
 */
import { StaffSyncError } from '../errors';

export const ROLES = ['admin', 'manager', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const WRITE_TYPES = ['STAFF_CREATE', 'STAFF_UPDATE', 'STAFF_DELETE', 'STAFF_BATCH'] as const;
export type WriteType = (typeof WRITE_TYPES)[number];

export const isRole = (value: unknown): value is Role => (ROLES as readonly unknown[]).includes(value);

export const isWriteType = (type: string): type is WriteType => (WRITE_TYPES as readonly string[]).includes(type);

/** `admin` and `manager` may write; `viewer` may only read. */
export const canWrite = (role: Role): boolean => role === 'admin' || role === 'manager';

/** Frame types only writers may send: the writes, and saying which record one edits (a viewer edits none). */
const WRITER_TYPES: readonly string[] = [...WRITE_TYPES, 'PRESENCE_EDITING'];

/**
 * The authorisation decision for one frame type: `null` when allowed, else a `FORBIDDEN` error
 * ready to send back.
 *
 * @example
 * const denied = authorizeFrame(identity.role, frame.type);
 * if (denied) return reply(errorFrame(frame.requestId, denied));
 */
export function authorizeFrame(role: Role, type: string): StaffSyncError | null {
  if (!WRITER_TYPES.includes(type) || canWrite(role)) return null;
  return new StaffSyncError('FORBIDDEN', `role ${role} may not send ${type}`);
}
