/**
 * The racing clients' verdict, from the database itself: the log against every ACK (each at its
 * seq, seq 1..n without a gap, the counter at n) and every client's local state against the
 * staff table, compared by hash. Returns the broken invariants (empty when all hold).
 */
import { createHash } from 'node:crypto';
import { Client as PgClient } from 'pg';
import type { Change, Staff } from '../../../shared/protocol/staff';

/** The same text for the same records, whatever the key or record order. */
export function hashStaff(records: Iterable<Staff | Record<string, unknown>>): string {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(canonical)
      : value && typeof value === 'object'
        ? Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical((value as Record<string, unknown>)[key])]))
        : value;
  const sorted = [...records].map(canonical).sort((a, b) => String((a as Staff).id).localeCompare(String((b as Staff).id)));
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
}

export interface ClientView {
  readonly label: string;
  readonly staff: readonly Staff[];
  readonly lastSeq: number;
}

/** An observer that follows departments only. */
export interface FilteredView {
  readonly label: string;
  readonly departments: readonly string[];
  readonly staff: readonly Staff[];
  readonly deptSeqs: Readonly<Record<string, number>>;
}

interface LogRow {
  seq: string;
  op: string;
  staff_id: string;
  version: number;
  staff: Staff;
  request_id: string | null;
}

/** A log entry no ACK carried. */
export interface UnackedEntry {
  readonly seq: number;
  readonly op: string;
  readonly version: number;
  readonly requestId: string | null;
}

/** Checks the org's log and staff in the database against the ACKs and the clients' states; resolves with the last seq, the problems and the log entries no ACK carried. */
export async function checkAgainstDatabase(
  databaseUrl: string,
  orgId: string,
  acked: readonly Change[],
  clients: readonly ClientView[],
): Promise<{ lastSeq: number; problems: string[]; unacked: UnackedEntry[] }> {
  const problems: string[] = [];
  const db = new PgClient({ connectionString: databaseUrl });
  await db.connect();
  try {
    const staff = await db.query<{ staff: Staff }>('select public.staff_to_wire(s) as staff from public.staff s where org_id = $1', [orgId]);
    const log = await db.query<LogRow>('select seq::text, op, staff_id::text, version, staff, request_id from public.staff_changes t where org_id = $1 order by t.seq', [orgId]);
    const counter = await db.query<{ last_seq: string }>('select last_seq::text from public.staff_org_counters where org_id = $1', [orgId]);
    const lastSeq = Number(counter.rows[0]?.last_seq ?? 0);
    const seqs = log.rows.map((row) => Number(row.seq));

    if (seqs.some((seq, index) => seq !== index + 1)) problems.push(`log seq is not 1..n without gaps: ${seqs.join(',')}`);
    if (lastSeq !== seqs.length) problems.push(`counter says ${lastSeq}, log has ${seqs.length} entries`);
    if (seqs.length !== acked.length) problems.push(`${acked.length} ACKed changes but ${seqs.length} log entries`);
    if (new Set(acked.map((change) => change.seq)).size !== acked.length) problems.push('two ACKs carry the same seq');
    const bySeq = new Map(log.rows.map((row) => [Number(row.seq), row]));
    for (const change of acked) {
      const row = bySeq.get(change.seq);
      if (!row) problems.push(`ACKed seq ${change.seq} (${change.op} ${change.staffId} v${change.version}) is not in the log`);
      else if (row.staff_id !== change.staffId || row.version !== change.version || row.op !== change.op || hashStaff([row.staff]) !== hashStaff([change.staff])) {
        problems.push(`log seq ${change.seq} differs from its ACK`);
      }
    }

    const dbHash = hashStaff(staff.rows.map((row) => row.staff));
    for (const client of clients) {
      const local = hashStaff(client.staff);
      if (local !== dbHash) problems.push(`${client.label}: local state ${local.slice(0, 12)} ≠ database ${dbHash.slice(0, 12)} (${client.staff.length} vs ${staff.rows.length} records)`);
      if (client.lastSeq !== lastSeq) problems.push(`${client.label}: lastSeq ${client.lastSeq} ≠ ${lastSeq}`);
    }
    const ackedSeqs = new Set(acked.map((change) => change.seq));
    const unacked = log.rows
      .filter((row) => !ackedSeqs.has(Number(row.seq)))
      .map((row) => ({ seq: Number(row.seq), op: row.op, version: row.version, requestId: row.request_id }));
    return { lastSeq, problems, unacked };
  } finally {
    await db.end();
  }
}

/**
 * Each observer of departments against the database: its records are exactly those now in its
 * departments, and it stands at each department's last seq (the counter; 0 for none yet).
 */
export async function checkFilteredViews(databaseUrl: string, orgId: string, views: readonly FilteredView[]): Promise<string[]> {
  const problems: string[] = [];
  const db = new PgClient({ connectionString: databaseUrl });
  await db.connect();
  try {
    for (const view of views) {
      const staff = await db.query<{ staff: Staff }>('select public.staff_to_wire(s) as staff from public.staff s where org_id = $1 and department = any($2)', [orgId, view.departments]);
      const counters = await db.query<{ department: string; last_seq: string }>('select department, last_seq::text from public.staff_department_counters where org_id = $1 and department = any($2)', [orgId, view.departments]);
      const expected = hashStaff(staff.rows.map((row) => row.staff));
      if (hashStaff(view.staff) !== expected) problems.push(`${view.label}: local state ≠ the database's records of its departments (${view.staff.length} vs ${staff.rows.length} records)`);
      const lastSeqs = Object.fromEntries(view.departments.map((department) => [department, Number(counters.rows.find((row) => row.department === department)?.last_seq ?? 0)]));
      if (JSON.stringify(view.deptSeqs) !== JSON.stringify(lastSeqs)) problems.push(`${view.label}: deptSeqs ${JSON.stringify(view.deptSeqs)} ≠ the database's ${JSON.stringify(lastSeqs)}`);
    }
    return problems;
  } finally {
    await db.end();
  }
}
