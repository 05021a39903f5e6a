/**
 * The compact form of a batch's changes in STAFF_BATCH frames (docs/protocol.md §3.3). A batch
 * is one transaction of one actor in one org, so what every change would repeat is said once
 * by the frame (`orgId`, `actor`, `origin`, `at`), and a change leaves out a field only when it
 * equals the value it is rebuilt from:
 * - `staff.orgId` = the frame's `orgId`, `staff.updatedBy` = `actor`, `staff.createdAt` and
 *   `staff.updatedAt` = `at`;
 * - `staffId` = `staff.id`, `version` = `staff.version`;
 * - `changedFields` of a create = every data field (STAFF_DATA_FIELDS, in that order);
 * - `deptSeqs` = `{}` (a record without a department).
 * `expandBatchChanges(frame)` gives back exactly the changes `compactBatchChanges` was given.
 * No zod here: the browser SDK decodes with this module.
 */
import type { Change, Staff } from './staff';

/** The data fields in the order the database lists a create's `changedFields`. */
export const STAFF_DATA_FIELDS = ['name', 'email', 'phone', 'position', 'department', 'employmentType', 'status', 'startDate', 'endDate', 'displayOrder', 'metadata'] as const;

type Defaults = { readonly orgId: string; readonly actor: string; readonly at: string };
type CompactStaff = Omit<Staff, 'orgId' | 'updatedBy' | 'createdAt' | 'updatedAt'> & Partial<Pick<Staff, 'orgId' | 'updatedBy' | 'createdAt' | 'updatedAt'>>;

/** One change as a STAFF_BATCH frame carries it. */
export interface CompactChange {
  seq: number;
  op: Change['op'];
  staff: CompactStaff;
  staffId?: string;
  version?: number;
  changedFields?: string[];
  deptSeqs?: Record<string, number>;
}

export interface BatchFrameHeader extends Defaults {
  readonly origin: Change['origin'];
}

const allDataFields = (fields: readonly string[]): boolean =>
  fields.length === STAFF_DATA_FIELDS.length && fields.every((field, i) => field === STAFF_DATA_FIELDS[i]);

export function compactChange(change: Change, { orgId, actor, at }: Defaults): CompactChange {
  const { orgId: staffOrg, updatedBy, createdAt, updatedAt, ...rest } = change.staff;
  const staff: CompactStaff = {
    ...rest,
    ...(staffOrg === orgId ? {} : { orgId: staffOrg }),
    ...(updatedBy === actor ? {} : { updatedBy }),
    ...(createdAt === at ? {} : { createdAt }),
    ...(updatedAt === at ? {} : { updatedAt }),
  };
  return {
    seq: change.seq,
    op: change.op,
    staff,
    ...(change.staffId === change.staff.id ? {} : { staffId: change.staffId }),
    ...(change.version === change.staff.version ? {} : { version: change.version }),
    ...(change.op === 'create' && allDataFields(change.changedFields) ? {} : { changedFields: change.changedFields }),
    ...(Object.keys(change.deptSeqs).length === 0 ? {} : { deptSeqs: change.deptSeqs }),
  };
}

export function expandChange(change: CompactChange, { orgId, actor, origin, at }: BatchFrameHeader): Change {
  const { orgId: staffOrg = orgId, updatedBy = actor, createdAt = at, updatedAt = at, ...rest } = change.staff;
  const staff: Staff = { ...rest, orgId: staffOrg, updatedBy, createdAt, updatedAt } as Staff;
  return {
    seq: change.seq,
    op: change.op,
    staffId: change.staffId ?? staff.id,
    version: change.version ?? staff.version,
    staff,
    changedFields: change.changedFields ?? [...STAFF_DATA_FIELDS],
    actor,
    origin,
    at,
    deptSeqs: change.deptSeqs ?? {},
  };
}
