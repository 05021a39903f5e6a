/**
 * Staff records and changes in wire form (docs/protocol.md §3.4, §5): camelCase, ISO times with `Z`.
 * The database converts rows to this form in one place (SQL `staff_to_wire`); these schemas
 * are the single source of the TypeScript types used by Lambdas, the client SDK and tests.
 */
import * as z from 'zod/mini';
import { isPlainObject } from './text';

export const EMPLOYMENT_TYPES = ['full_time', 'part_time', 'contract', 'temporary'] as const;
export const STAFF_STATUSES = ['active', 'inactive'] as const;

export const staffSchema = z.object({
  id: z.guid(),
  orgId: z.string(),
  name: z.string(),
  email: z.nullable(z.string()),
  phone: z.nullable(z.string()),
  position: z.nullable(z.string()),
  department: z.nullable(z.string()),
  employmentType: z.enum(EMPLOYMENT_TYPES),
  status: z.enum(STAFF_STATUSES),
  startDate: z.nullable(z.string()),
  endDate: z.nullable(z.string()),
  displayOrder: z.int(),
  // Kept as received (a copy through z.record would turn a `__proto__` key into a prototype).
  metadata: z.custom<Record<string, unknown>>(isPlainObject, { error: 'must be a JSON object' }),
  version: z.int().check(z.minimum(1)),
  createdAt: z.string(),
  updatedAt: z.string(),
  updatedBy: z.string(),
});
export type Staff = z.infer<typeof staffSchema>;

/**
 * Departments mapped to seqs of at least `min` (0: a position before any change). Kept as received,
 * like `metadata`: a department may be named `__proto__`, which a copy through z.record would lose.
 */
export const departmentSeqsSchema = (min: 0 | 1, error = 'must map departments to seqs') =>
  z.custom<Record<string, number>>((value) => isPlainObject(value) && Object.values(value).every((seq) => Number.isSafeInteger(seq) && (seq as number) >= min), { error });

/** The department seqs a change took (docs/protocol.md §7.8): one per department it touches. */
export const deptSeqsSchema = departmentSeqsSchema(1);

export const changeSchema = z.object({
  seq: z.int().check(z.minimum(1)),
  op: z.enum(['create', 'update', 'delete']),
  staffId: z.guid(),
  version: z.int().check(z.minimum(1)),
  staff: staffSchema,
  changedFields: z.array(z.string()),
  actor: z.string(),
  origin: z.enum(['ws', 'db']),
  at: z.string(),
  deptSeqs: deptSeqsSchema,
});
export type Change = z.infer<typeof changeSchema>;
