/**
 * The wire types the SDK's public API speaks, written out so the published declarations need
 * no zod. They are not a second definition: `test/unit/client/protocol-types.test.ts` makes the
 * type-check fail unless each one is identical to the type inferred from the shared protocol
 * schemas (`shared/protocol/`), which stay the single source of the wire form.
 */

export type EmploymentType = 'full_time' | 'part_time' | 'contract' | 'temporary';
export type StaffStatus = 'active' | 'inactive';

type Flat<T> = { [K in keyof T]: T[K] };

/** The client-writable fields of a record. */
export interface StaffFields {
  name: string;
  email: string | null;
  phone: string | null;
  position: string | null;
  department: string | null;
  employmentType: EmploymentType;
  status: StaffStatus;
  startDate: string | null;
  endDate: string | null;
  displayOrder: number;
  /** A JSON object of at most 8 KB, replaced whole. */
  metadata: Record<string, unknown>;
}

/** A staff record in wire form: camelCase, ISO times with `Z`, dates as `YYYY-MM-DD`. */
export type Staff = Flat<{ id: string; orgId: string } & StaffFields & { version: number; createdAt: string; updatedAt: string; updatedBy: string }>;

/** One committed change; `seq` is gapless per organisation. */
export interface Change {
  seq: number;
  op: 'create' | 'update' | 'delete';
  staffId: string;
  version: number;
  /** The record after the change (before it, for a delete). */
  staff: Staff;
  changedFields: string[];
  actor: string;
  origin: 'ws' | 'db';
  at: string;
  /** The seq this change took in each department it touches (its record's old and new department). */
  deptSeqs: Record<string, number>;
}

/** A new record: `name` required, `id` a client-chosen UUID if given, the rest defaulted by the server. */
export type StaffInput = Flat<{ id?: string | undefined; name: string } & { [K in Exclude<keyof StaffFields, 'name'>]?: StaffFields[K] | undefined }>;

/** The fields an update changes (at least one). */
export type StaffChanges = { [K in keyof StaffFields]?: StaffFields[K] | undefined };

// The error vocabulary is plain TypeScript with no schema behind it: shared as it is (bundled into the build).
export { ERROR_CODES } from '../../shared/errors';
export type { ErrorCode, FieldIssue } from '../../shared/errors';

/** One operation of a batch: the payload of the single write it stands for, plus `op`. */
export type BatchOperation =
  | { op: 'create'; staff: StaffInput }
  | { op: 'update'; staffId: string; baseVersion: number; changes: StaffChanges }
  | { op: 'delete'; staffId: string; baseVersion: number };

/** One operation's outcome in a batch: the record's id and version after it, and its change's seq (null: nothing changed). */
export interface BatchResult {
  op: 'create' | 'update' | 'delete';
  staffId: string;
  seq: number | null;
  version: number;
  /** The update was merged with changes made since its `baseVersion`. */
  merged?: true | undefined;
}

/** One connection of the org: `memberId` is stable while it stays connected. */
export interface PresenceMember {
  memberId: string;
  userId: string;
  role: 'admin' | 'manager' | 'viewer';
  /** ISO time the connection opened. */
  connectedAt: string;
  /** The record this member said it edits and when (ISO), or null (none, or lapsed). */
  editing: { staffId: string; at: string } | null;
}

/** A write as sent; kept by persistence so a write made offline survives a reload. */
export type WriteFrame =
  | { type: 'STAFF_CREATE'; requestId: string; payload: { staff: StaffInput } }
  | { type: 'STAFF_UPDATE'; requestId: string; payload: { staffId: string; baseVersion: number; changes: StaffChanges } }
  | { type: 'STAFF_DELETE'; requestId: string; payload: { staffId: string; baseVersion: number } }
  | { type: 'STAFF_BATCH'; requestId: string; payload: { operations: BatchOperation[] } };
