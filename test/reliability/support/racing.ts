/**
 * Racing clients: many SDK clients of one org write the same few records at once through a
 * running stage, then every client resyncs. Their local state (built only from what each one
 * received — ACKs, broadcasts, conflict replies — plus that resync) is hashed and compared with
 * the database, and the change log is checked against every ACK. Returns figures and a list of
 * broken invariants (empty when all hold).
 */
import { createHash, randomUUID } from 'node:crypto';
import { Client as PgClient } from 'pg';
import WebSocket from 'ws';
import { connect, isStaffSyncClientError, type Change, type Staff, type StaffSyncClient } from '../../../client/src';
import type { StaffChanges } from '../../../shared/protocol/staff-input';
import { mintLocalToken } from '../../../infra/local/tokens';

export interface RaceOptions {
  readonly websocketUrl: string;
  readonly jwtSecret: string;
  /** Direct SQL to the stage's database (PGlite's socket or the real Postgres). */
  readonly databaseUrl: string;
  readonly orgId: string;
  /** @default 24 */
  readonly clients?: number;
  /** Records every client writes. @default 4 */
  readonly records?: number;
  /** Updates per client, sent back to back. @default 12 */
  readonly writesPerClient?: number;
}

export interface RaceFigures {
  clients: number;
  records: number;
  writes: number;
  accepted: number;
  merged: number;
  conflicts: number;
  otherErrors: Record<string, number>;
  deleteRace: { tried: number; won: number; refused: number };
  lastSeq: number;
  framesReceived: number;
  broadcastsReceived: number;
}

export interface RaceResult {
  readonly figures: RaceFigures;
  readonly problems: string[];
}

/** Frames a client's socket received, by type (the SDK sees the same frames). */
class CountingSocket extends WebSocket {
  static frames = 0;
  static broadcasts = 0;
  constructor(url: string) {
    super(url);
    this.on('message', (data) => {
      CountingSocket.frames += 1;
      if (/^\{"type":"STAFF_(CREATE|UPDATE|DELETE)"/.test(String(data))) CountingSocket.broadcasts += 1;
    });
  }
}

/** The same text for the same records, whatever the key or record order. */
export function hashStaff(records: Iterable<Staff | Record<string, unknown>>): string {
  const canonical = (value: unknown): unknown =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical((value as Record<string, unknown>)[key])]))
      : Array.isArray(value)
        ? value.map(canonical)
        : value;
  const sorted = [...records].map((record) => canonical(record)).sort((a, b) => String((a as Staff).id).localeCompare(String((b as Staff).id)));
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
}

const FIELDS = ['name', 'position', 'department', 'phone', 'displayOrder', 'status'] as const;

function changesFor(client: number, write: number): StaffChanges {
  const chosen = new Set([FIELDS[(client + write) % FIELDS.length]!, FIELDS[(client * 7 + write * 3) % FIELDS.length]!]);
  const changes: Record<string, unknown> = {};
  for (const field of chosen) {
    if (field === 'displayOrder') changes[field] = client * 1000 + write;
    else if (field === 'status') changes[field] = (client + write) % 2 === 0 ? 'active' : 'inactive';
    else if (field === 'phone') changes[field] = `+1-${client}-${write}`;
    else changes[field] = `${field} c${client} w${write}`;
  }
  return changes as StaffChanges;
}

export async function runRace(options: RaceOptions): Promise<RaceResult> {
  const clientCount = options.clients ?? 24;
  const recordCount = options.records ?? 4;
  const writesPerClient = options.writesPerClient ?? 12;
  const problems: string[] = [];
  const acked: Change[] = [];
  const figures: RaceFigures = {
    clients: clientCount,
    records: recordCount,
    writes: 0,
    accepted: 0,
    merged: 0,
    conflicts: 0,
    otherErrors: {},
    deleteRace: { tried: 0, won: 0, refused: 0 },
    lastSeq: 0,
    framesReceived: 0,
    broadcastsReceived: 0,
  };
  CountingSocket.frames = 0;
  CountingSocket.broadcasts = 0;
  const tokenFor = (sub: string) => mintLocalToken({ orgId: options.orgId, role: 'manager', sub, secret: options.jwtSecret, expiresInSeconds: 3600 });
  const open = async (sub: string): Promise<StaffSyncClient> => {
    const client = connect(options.websocketUrl, await tokenFor(sub), { WebSocket: CountingSocket, requestTimeoutMs: 10_000 });
    await client.ready();
    return client;
  };
  const clients: StaffSyncClient[] = [];
  const seen = new Map<StaffSyncClient, number[]>();
  try {
    // Prepare: one client creates the records; then every racing client connects and catches up.
    const owner = await open(`owner-${randomUUID()}`);
    clients.push(owner);
    const ids: string[] = [];
    for (let i = 0; i < recordCount; i++) {
      const change = await owner.create({ name: `Racing record ${i}`, position: 'Nurse', metadata: { index: i } });
      acked.push(change);
      figures.writes += 1;
      figures.accepted += 1;
      ids.push(change.staffId);
    }
    const racers = await Promise.all(Array.from({ length: clientCount }, (_, i) => open(`racer-${i}-${randomUUID()}`)));
    clients.push(...racers);
    for (const client of racers) {
      const seqs: number[] = [];
      seen.set(client, seqs);
      client.on('change', (change) => seqs.push(change.seq));
    }
    const startSeqs = racers.map((client) => client.state.lastSeq);

    // Act 1: every client updates the same records back to back; some writes on purpose name the
    // version seen at the start (stale), so both merges and conflicts happen.
    const startVersions = racers.map((client) => ids.map((id) => client.get(id)?.version ?? 1));
    await Promise.all(
      racers.map(async (client, c) => {
        for (let w = 0; w < writesPerClient; w++) {
          const r = (c + w) % recordCount;
          const id = ids[r]!;
          const stale = (c * 31 + w * 17) % 10 < 3;
          const baseVersion = stale ? startVersions[c]![r]! : (client.get(id)?.version ?? 1);
          figures.writes += 1;
          try {
            const change = await client.update(id, changesFor(c, w), baseVersion);
            if (!change) continue;
            acked.push(change);
            figures.accepted += 1;
            if (change.version > baseVersion + 1) figures.merged += 1;
          } catch (error) {
            const code = isStaffSyncClientError(error) ? error.code : 'THROWN';
            if (code === 'VERSION_CONFLICT') figures.conflicts += 1;
            else figures.otherErrors[code] = (figures.otherErrors[code] ?? 0) + 1;
          }
        }
      }),
    );

    // Act 2: every client catches up, then all delete the first record at once with the same
    // (current) version: exactly one may win.
    await Promise.all(racers.map((client) => client.sync()));
    const target = ids[0]!;
    const outcomes = await Promise.allSettled(racers.map((client) => client.remove(target)));
    for (const outcome of outcomes) {
      figures.deleteRace.tried += 1;
      figures.writes += 1;
      if (outcome.status === 'fulfilled') {
        figures.deleteRace.won += 1;
        figures.accepted += 1;
        acked.push(outcome.value);
      } else {
        const code = isStaffSyncClientError(outcome.reason) ? outcome.reason.code : 'THROWN';
        if (code === 'VERSION_CONFLICT' || code === 'NOT_FOUND') figures.deleteRace.refused += 1;
        else figures.otherErrors[`delete ${code}`] = (figures.otherErrors[`delete ${code}`] ?? 0) + 1;
      }
    }
    if (figures.deleteRace.won !== 1) problems.push(`delete race: ${figures.deleteRace.won} winners (expected exactly 1)`);

    // Assess: every client resyncs (a delta since its lastSeq), then its state is compared.
    await Promise.all(clients.map((client) => client.sync()));
    figures.framesReceived = CountingSocket.frames;
    figures.broadcastsReceived = CountingSocket.broadcasts;

    const db = new PgClient({ connectionString: options.databaseUrl });
    await db.connect();
    try {
      const staffRows = await db.query<{ staff: Staff }>('select public.staff_to_wire(s) as staff from public.staff s where org_id = $1', [options.orgId]);
      const dbHash = hashStaff(staffRows.rows.map((row) => row.staff));
      const log = await db.query<{ seq: string; op: string; staff_id: string; version: number; staff: Staff }>(
        'select seq::text, op, staff_id::text, version, staff from public.staff_changes t where org_id = $1 order by t.seq',
        [options.orgId],
      );
      const counter = await db.query<{ last_seq: string }>('select last_seq::text from public.staff_org_counters where org_id = $1', [options.orgId]);
      const seqs = log.rows.map((row) => Number(row.seq));
      figures.lastSeq = Number(counter.rows[0]?.last_seq ?? 0);
      if (seqs.some((seq, index) => seq !== index + 1)) problems.push(`log seq is not 1..n without gaps: ${seqs.join(',')}`);
      if (figures.lastSeq !== seqs.length) problems.push(`counter says ${figures.lastSeq}, log has ${seqs.length} entries`);
      if (seqs.length !== acked.length) problems.push(`${acked.length} ACKed changes but ${seqs.length} log entries`);
      const bySeq = new Map(log.rows.map((row) => [Number(row.seq), row]));
      for (const change of acked) {
        const row = bySeq.get(change.seq);
        if (!row) problems.push(`ACKed seq ${change.seq} (${change.op} ${change.staffId} v${change.version}) is not in the log`);
        else if (row.staff_id !== change.staffId || row.version !== change.version || row.op !== change.op || hashStaff([row.staff]) !== hashStaff([change.staff])) {
          problems.push(`log seq ${change.seq} differs from its ACK`);
        }
      }
      if (new Set(acked.map((change) => change.seq)).size !== acked.length) problems.push('two ACKs carry the same seq');
      clients.forEach((client, index) => {
        const local = hashStaff(client.state.staff.values());
        if (local !== dbHash) problems.push(`client ${index}: local state hash ${local.slice(0, 12)} ≠ database ${dbHash.slice(0, 12)} (${client.state.staff.size} vs ${staffRows.rows.length} records)`);
        if (client.state.lastSeq !== figures.lastSeq) problems.push(`client ${index}: lastSeq ${client.state.lastSeq} ≠ ${figures.lastSeq}`);
      });
      racers.forEach((client, index) => {
        const expected = Array.from({ length: figures.lastSeq - startSeqs[index]! }, (_, k) => startSeqs[index]! + k + 1);
        const got = seen.get(client) ?? [];
        if (got.join(',') !== expected.join(',')) problems.push(`racer ${index}: change events ${got.length} not each seq once in order after ${startSeqs[index]}`);
      });
    } finally {
      await db.end();
    }
  } finally {
    for (const client of clients) client.close();
  }
  return { figures, problems };
}
