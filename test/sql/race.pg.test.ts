/**
 * Racing writers on a real PostgreSQL 15 (PGlite runs one transaction at a time, so races are only
 * real here): many connections update the same few rows while direct SQL writes and concurrent
 * sends of one requestId go on. Afterwards the log must account for every accepted write exactly
 * once, seq must be gapless, no two writers may win against one version, merges must be sound,
 * and the rows must equal a replay of the log.
 */
import { Pool, type PoolClient } from 'pg';
import { applyMigrations } from '../../infra/local/db/migrate';
import type { Change, Staff } from '../../shared/protocol/staff';
import { PG_SKIP_MESSAGE, startPgCluster, type PgCluster } from '../helpers/pg-cluster';
import { departmentChainProblems } from './support';

const WRITERS = 24;
const UPDATES_PER_WRITER = 50;
const ROWS = 4;
const SAME_KEY_SENDS = 8;
const DIRECT_SQL_WRITES = 40;
const FIELDS = ['position', 'department', 'phone', 'displayOrder', 'metadata', 'email'] as const;

let cluster: PgCluster | null = null;
let rpc: Pool; // connections that call the functions as service_role, as PostgREST does
let owner: Pool; // as the database owner, as psql would

beforeAll(async () => {
  cluster = await startPgCluster();
  if (!cluster) return;
  owner = new Pool({ connectionString: cluster.connectionString, max: 4 });
  rpc = new Pool({ connectionString: cluster.connectionString, max: WRITERS + 2 * SAME_KEY_SENDS + 2 });
  await applyMigrations({
    exec: (sql) => owner.query(sql),
    query: async <T,>(sql: string, params?: unknown[]) => ({ rows: (await owner.query(sql, params)).rows as T[] }),
  });
}, 60_000);

afterAll(async () => {
  await rpc?.end();
  await owner?.end();
  await cluster?.stop();
});

interface Reply {
  change: Change | null;
  merged?: boolean;
  current?: Staff;
  replayed?: boolean;
}
interface Failure {
  code: string;
  detail?: string;
}
type Outcome = { ok: true; reply: Reply } | { ok: false; error: Failure };

/**
 * Runs `work` on a connection of its own, as service_role. (pg's `Pool.query` would drop the
 * connection after every refused write; a dedicated client keeps the writers' connections alive.)
 */
async function session<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await rpc.connect();
  try {
    await client.query('set role service_role');
    return await work(client);
  } finally {
    client.release();
  }
}

async function call(client: PoolClient, fn: string, args: unknown[], types: string[]): Promise<Outcome> {
  const list = types.map((type, i) => `$${i + 1}::${type}`).join(', ');
  try {
    const { rows } = await client.query<{ r: Reply }>(`select public.${fn}(${list}) as r`, args);
    return { ok: true, reply: rows[0]!.r };
  } catch (error) {
    const { code, detail } = error as Failure;
    if (!code) throw error;
    return { ok: false, error: { code, detail } };
  }
}

const create = (client: PoolClient, org: string, actor: string, requestId: string, staff: object) =>
  call(client, 'staff_create', [org, actor, requestId, JSON.stringify(staff)], ['text', 'text', 'text', 'jsonb']);
const update = (client: PoolClient, org: string, actor: string, requestId: string, id: string, base: number, changes: object) =>
  call(client, 'staff_update', [org, actor, requestId, id, base, JSON.stringify(changes)], ['text', 'text', 'text', 'uuid', 'integer', 'jsonb']);

interface Accepted {
  requestId: string;
  baseVersion: number;
  reply: Reply;
}

interface LogRow {
  seq: number;
  op: string;
  staff_id: string;
  version: number;
  staff: Staff;
  changed_fields: string[];
  origin: string;
  request_id: string | null;
  dept_seqs: Record<string, number>;
}

const valueFor = (field: (typeof FIELDS)[number], tag: string): unknown => {
  switch (field) {
    case 'displayOrder':
      return Number(tag.replace(/\D/g, '').slice(-8));
    case 'metadata':
      return { tag };
    case 'email':
      return `${tag}@example.com`;
    case 'department':
      // Three departments, so racing moves contend for the same department counters.
      return `Ward ${Number(tag.replace(/\D/g, '').slice(-6)) % 3}`;
    default:
      return tag;
  }
};

it('keeps every accepted write, exactly once, in a gapless log that replays to the rows', async () => {
  if (!cluster) {
    console.log(PG_SKIP_MESSAGE);
    return;
  }
  const org = `race_${Date.now()}`;
  const ids = await session(async (client) => {
    const made: string[] = [];
    for (let i = 0; i < ROWS; i += 1) {
      const outcome = await create(client, org, 'setup', `setup-${i}`, { name: `Row ${i}` });
      if (!outcome.ok) throw new Error(outcome.error.code);
      made.push(outcome.reply.change!.staffId);
    }
    return made;
  });

  const accepted: Accepted[] = [];
  const tally = { attempted: 0, applied: 0, merged: 0, conflicts: 0, noops: 0, other: new Map<string, number>() };
  const started = Date.now();

  const writer = (w: number) => session(async (client) => {
    const known = new Map(ids.map((id) => [id, 1])); // this writer's (often stale) view of versions
    for (let i = 0; i < UPDATES_PER_WRITER; i += 1) {
      const id = ids[(w + i * 7 + Math.floor(Math.random() * ROWS)) % ROWS]!;
      const field = FIELDS[Math.floor(Math.random() * FIELDS.length)]!;
      const base = known.get(id)!;
      const requestId = `w${w}-u${i}`;
      tally.attempted += 1;
      const outcome = await update(client, org, `user-${w}`, requestId, id, base, { [field]: valueFor(field, `w${w}u${i}x${Date.now() % 1000}`) });
      if (outcome.ok) {
        const { reply } = outcome;
        if (reply.change) {
          accepted.push({ requestId, baseVersion: base, reply });
          known.set(id, reply.change.version);
          if (reply.merged) tally.merged += 1;
          else tally.applied += 1;
        } else {
          tally.noops += 1;
          known.set(id, reply.current!.version);
        }
      } else if (outcome.error.code === 'PT409') {
        tally.conflicts += 1;
        known.set(id, (JSON.parse(outcome.error.detail!) as { current: Staff }).current.version);
      } else {
        tally.other.set(outcome.error.code, (tally.other.get(outcome.error.code) ?? 0) + 1);
      }
    }
  });

  async function directSqlWriter(): Promise<void> {
    for (let i = 0; i < DIRECT_SQL_WRITES; i += 1) {
      await owner.query(
        `update public.staff set status = case status when 'active' then 'inactive' else 'active' end where id = $1`,
        [ids[i % ROWS]],
      );
    }
  }

  // One update sent concurrently SAME_KEY_SENDS times with one requestId, and one create likewise.
  const sameKeyUpdate = () => session((client) => update(client, org, 'user-k', 'same-key-update', ids[0]!, 1, { name: 'Renamed once' }));
  const sameKeyCreate = () => session((client) => create(client, org, 'user-k', 'same-key-create', { name: 'Created once' }));

  const [, , updateSends, createSends] = await Promise.all([
    Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w))),
    directSqlWriter(),
    Promise.all(Array.from({ length: SAME_KEY_SENDS }, sameKeyUpdate)),
    Promise.all(Array.from({ length: SAME_KEY_SENDS }, sameKeyCreate)),
  ]);
  const elapsedMs = Date.now() - started;

  // --- one change per idempotency key, every send answered with it
  for (const sends of [updateSends, createSends]) {
    const replies = sends.map((outcome) => {
      if (!outcome.ok) throw new Error(`a same-key send failed: ${outcome.error.code}`);
      return outcome.reply;
    });
    expect(replies.filter((reply) => !reply.replayed)).toHaveLength(1);
    expect(new Set(replies.map((reply) => reply.change!.seq)).size).toBe(1);
  }

  const { rows: log } = await owner.query<LogRow>(
    `select seq::int as seq, op, staff_id, version, staff, changed_fields, origin, request_id, dept_seqs
       from public.staff_changes where org_id = $1 order by seq`,
    [org],
  );

  // --- seq: 1..N, no gaps, no duplicates
  const seqs = log.map((row) => Number(row.seq));
  expect(seqs).toEqual(Array.from({ length: log.length }, (_, i) => i + 1));

  // --- every accepted write is in the log, at its seq, once; nothing else is
  const bySeq = new Map(log.map((row) => [Number(row.seq), row]));
  for (const { requestId, reply } of accepted) {
    const row = bySeq.get(reply.change!.seq)!;
    expect({ requestId: row.request_id, id: row.staff_id, version: row.version, staff: row.staff }).toEqual({
      requestId,
      id: reply.change!.staffId,
      version: reply.change!.version,
      staff: reply.change!.staff,
    });
  }
  const keyed = log.filter((row) => row.request_id !== null);
  expect(new Set(keyed.map((row) => row.request_id)).size).toBe(keyed.length);
  const directRows = log.filter((row) => row.origin === 'db');
  expect(directRows).toHaveLength(DIRECT_SQL_WRITES);
  expect(log.length).toBe(ROWS + accepted.length + 2 + DIRECT_SQL_WRITES);

  // --- no two writers won against one version; merges only where no field of theirs changed since
  const versionsOf = new Map<string, LogRow[]>();
  for (const row of log) versionsOf.set(row.staff_id, [...(versionsOf.get(row.staff_id) ?? []), row]);
  for (const rows of versionsOf.values()) {
    expect(rows.map((row) => row.version)).toEqual(Array.from({ length: rows.length }, (_, i) => i + 1));
  }
  for (const { baseVersion, reply } of accepted) {
    const change = reply.change!;
    if (!reply.merged) {
      expect(change.version).toBe(baseVersion + 1);
      continue;
    }
    expect(change.version).toBeGreaterThan(baseVersion + 1);
    const between = versionsOf.get(change.staffId)!.filter((row) => row.version > baseVersion && row.version < change.version);
    const touched = new Set(between.flatMap((row) => row.changed_fields));
    for (const field of change.changedFields) expect(touched.has(field)).toBe(false);
  }

  // --- each department's chain is gapless in commit order, and names exactly the departments moved between
  expect(departmentChainProblems(log)).toEqual([]);
  const departments = new Set(log.flatMap((row) => Object.keys(row.dept_seqs)));
  expect(departments.size).toBeGreaterThan(1);

  // --- the rows equal a replay of the log (changed fields applied in seq order)
  const replayed = new Map<string, Record<string, unknown>>();
  for (const row of log) {
    if (row.op === 'delete') replayed.delete(row.staff_id);
    else if (row.op === 'create') replayed.set(row.staff_id, { ...row.staff });
    else {
      const state = replayed.get(row.staff_id)!;
      for (const field of row.changed_fields) state[field] = row.staff[field as keyof Staff];
      Object.assign(state, { version: row.version, updatedAt: row.staff.updatedAt, updatedBy: row.staff.updatedBy });
    }
  }
  const { rows: finals } = await owner.query<{ wire: Staff }>(
    'select public.staff_to_wire(s) as wire from public.staff s where org_id = $1 order by id',
    [org],
  );
  expect(finals.map((row) => row.wire)).toEqual([...replayed.values()].sort((a, b) => String(a.id).localeCompare(String(b.id))));

  expect(tally.other.size).toBe(0);
  expect(tally.applied + tally.merged + tally.conflicts + tally.noops).toBe(WRITERS * UPDATES_PER_WRITER);
  console.log(
    [
      'staff-sync race on PostgreSQL 15:',
      `  writers (concurrent connections): ${WRITERS} RPC + 1 direct SQL + ${SAME_KEY_SENDS * 2} same-key sends`,
      `  writes: ${tally.attempted} RPC updates on ${ROWS} rows, ${DIRECT_SQL_WRITES} direct SQL updates, ${SAME_KEY_SENDS}+${SAME_KEY_SENDS} sends of 2 requestIds`,
      `  accepted: ${tally.applied + tally.merged} (applied at current version ${tally.applied}, merged ${tally.merged}), no-ops ${tally.noops}`,
      `  conflicts (VERSION_CONFLICT): ${tally.conflicts}`,
      `  same-key sends: 1 change + ${SAME_KEY_SENDS - 1} replays, for each of the 2 keys`,
      `  seq checked: 1..${log.length} gapless, every accepted write found once, rows = replay of the log`,
      `  department chains checked: ${departments.size}, each gapless in commit order`,
      `  elapsed: ${elapsedMs} ms`,
    ].join('\n'),
  );
}, 120_000);

it('turns a lock held past lock_timeout into 55P03', async () => {
  if (!cluster) {
    console.log(PG_SKIP_MESSAGE);
    return;
  }
  const org = `lock_${Date.now()}`;
  await session(async (client) => {
    const created = await create(client, org, 'u', 'lock-create', { name: 'Locked' });
    if (!created.ok) throw new Error(created.error.code);
    const id = created.reply.change!.staffId;
    const holder = await owner.connect();
    try {
      await holder.query('begin');
      await holder.query('select 1 from public.staff where id = $1 for update', [id]);
      const started = Date.now();
      const outcome = await update(client, org, 'u', 'lock-update', id, 1, { phone: '1' });
      expect(outcome).toMatchObject({ ok: false, error: { code: '55P03' } });
      expect(Date.now() - started).toBeGreaterThanOrEqual(2500);
    } finally {
      await holder.query('rollback');
      holder.release();
    }
    // nothing was recorded: the same request succeeds afterwards
    expect(await update(client, org, 'u', 'lock-update', id, 1, { phone: '1' })).toMatchObject({ ok: true });
  });
}, 30_000);
