/** Shared steps of the SQL suites: fresh orgs and request ids, the write functions, the raw log. */
import type { PGlite } from '@electric-sql/pglite';
import { randomUUID } from 'node:crypto';
import { changeSchema, staffSchema, type Change, type Staff } from '../../shared/protocol/staff';
import { callFn } from '../helpers/pglite';

export const ACTOR = 'user-1';

export const newOrg = (): string => `org_${randomUUID().slice(0, 8)}`;
export const newRequestId = (): string => `req-${randomUUID()}`;

export interface WriteReply {
  change: Change | null;
  merged?: boolean;
  current?: Staff;
  replayed?: boolean;
}

interface CallOptions {
  readonly actor?: string;
  readonly requestId?: string;
}

/** Validates the reply's wire form with the shared schemas, so every suite checks it. */
function checked(reply: WriteReply): WriteReply {
  if (reply.change !== null) changeSchema.parse(reply.change);
  if (reply.current !== undefined) staffSchema.parse(reply.current);
  return reply;
}

export async function createStaff(db: PGlite, org: string, staff: unknown, options: CallOptions = {}): Promise<WriteReply> {
  return checked(
    await callFn<WriteReply>(db, 'staff_create', {
      p_org_id: org,
      p_actor: options.actor ?? ACTOR,
      p_request_id: options.requestId ?? newRequestId(),
      p_staff: staff,
    }),
  );
}

/** Creates a record and returns it (wire form). */
export async function seedStaff(db: PGlite, org: string, staff: Record<string, unknown> = {}): Promise<Staff> {
  const reply = await createStaff(db, org, { name: 'Ada Lovelace', ...staff });
  return reply.change!.staff;
}

export async function updateStaff(
  db: PGlite,
  org: string,
  staffId: string,
  baseVersion: number | null,
  changes: unknown,
  options: CallOptions = {},
): Promise<WriteReply> {
  return checked(
    await callFn<WriteReply>(db, 'staff_update', {
      p_org_id: org,
      p_actor: options.actor ?? ACTOR,
      p_request_id: options.requestId ?? newRequestId(),
      p_staff_id: staffId,
      p_base_version: baseVersion,
      p_changes: changes,
    }),
  );
}

export async function deleteStaff(
  db: PGlite,
  org: string,
  staffId: string,
  baseVersion: number | null,
  options: CallOptions = {},
): Promise<WriteReply> {
  return checked(
    await callFn<WriteReply>(db, 'staff_delete', {
      p_org_id: org,
      p_actor: options.actor ?? ACTOR,
      p_request_id: options.requestId ?? newRequestId(),
      p_staff_id: staffId,
      p_base_version: baseVersion,
    }),
  );
}

export interface LogRow {
  id: number;
  org_id: string;
  seq: number;
  op: string;
  staff_id: string;
  version: number;
  staff: Staff;
  changed_fields: string[];
  actor: string;
  origin: string;
  request_id: string | null;
  dept_seqs: Record<string, number>;
}

/** The org's change log as stored (read as the database owner). */
export async function logOf(db: PGlite, org: string): Promise<LogRow[]> {
  const { rows } = await db.query<LogRow>(
    `select id::int, org_id, seq::int, op, staff_id, version, staff, changed_fields, actor, origin, request_id, dept_seqs
       from public.staff_changes where org_id = $1 order by seq`,
    [org],
  );
  return rows;
}

/**
 * What is wrong with a log's department chains (docs/protocol.md §7.8): each department's seqs, in
 * org seq order, must be 1, 2, 3, … and a change must take a seq in exactly the departments its
 * record was in before and after it (replayed from the log itself).
 */
export function departmentChainProblems(log: readonly Pick<LogRow, 'seq' | 'op' | 'staff_id' | 'staff' | 'dept_seqs'>[]): string[] {
  const problems: string[] = [];
  const last = new Map<string, number>();
  const departmentOf = new Map<string, string | null>();
  for (const row of log) {
    const before = row.op === 'create' ? null : (departmentOf.get(row.staff_id) ?? null);
    const after = row.op === 'delete' ? null : row.staff.department;
    const expected = [...new Set([before, after].filter((d): d is string => d !== null && d !== ''))].sort();
    const got = Object.keys(row.dept_seqs).sort();
    if (got.join('\u0000') !== expected.join('\u0000')) problems.push(`seq ${row.seq} took seqs in [${got}], its record was in [${expected}]`);
    for (const [department, seq] of Object.entries(row.dept_seqs)) {
      const previous = last.get(department) ?? 0;
      if (seq !== previous + 1) problems.push(`department ${department}: seq ${seq} after ${previous} (org seq ${row.seq})`);
      last.set(department, seq);
    }
    departmentOf.set(row.staff_id, after);
  }
  return problems;
}

/** Row counts that a refused write must leave unchanged. */
export async function footprint(db: PGlite): Promise<Record<string, number>> {
  const { rows } = await db.query<Record<string, number>>(
    `select (select count(*)::int from public.staff) as staff,
            (select count(*)::int from public.staff_changes) as changes,
            (select count(*)::int from public.staff_idempotency_keys) as keys,
            (select count(*)::int from public.staff_id_registry) as ids,
            (select coalesce(sum(last_seq), 0)::int from public.staff_org_counters) as seqs,
            (select coalesce(sum(last_seq), 0)::int from public.staff_department_counters) as dept_seqs`,
  );
  return rows[0]!;
}

export const latestSeq = (db: PGlite, org: string): Promise<number> =>
  callFn<number>(db, 'staff_latest_seq', { p_org_id: org }).then(Number);

export interface BatchReply {
  results: WriteReply[];
  replayed?: boolean;
}

/** STAFF_BATCH's function; every result's wire form is checked as a single write's. */
export async function batchStaff(db: PGlite, org: string, operations: unknown, options: CallOptions = {}): Promise<BatchReply> {
  const reply = await callFn<BatchReply>(db, 'staff_batch', {
    p_org_id: org,
    p_actor: options.actor ?? ACTOR,
    p_request_id: options.requestId ?? newRequestId(),
    p_operations: operations,
  });
  reply.results.forEach(checked);
  return reply;
}
