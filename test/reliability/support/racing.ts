/**
 * Racing clients: many SDK clients of one org write the same few records at once through a
 * running stage, then every client resyncs. Their local state (built only from what each one
 * received — ACKs, broadcasts, conflict replies — plus that resync) is hashed and compared with
 * the database, and the change log is checked against every ACK. Beside them, observers that
 * follow some departments only (`client.subscribe`) must hold exactly the database's records of
 * those departments, at each department's last seq, having seen each department seq once, in
 * order. Returns figures and a list of broken invariants (empty when all hold).
 */
import { randomUUID } from 'node:crypto';
import { connect, isStaffSyncClientError, type Change, type StaffSyncClient } from '../../../client/src';
import type { StaffChanges } from '../../../shared/protocol/staff-input';
import { mintLocalToken } from '../../../infra/local/tokens';
import { checkAgainstDatabase, checkFilteredViews, type ClientView, type FilteredView } from './racing-check';
import { recordingSocket, type Traffic } from './racing-socket';

export interface RaceOptions {
  readonly websocketUrl: string;
  readonly jwtSecret: string;
  /** Direct SQL to the stage's database (PGlite's socket or the real Postgres). */
  readonly databaseUrl: string;
  readonly orgId: string;
  /** @default 24 */
  readonly clients?: number;
  /** Records every client writes. @default 6 */
  readonly records?: number;
  /** Updates per client, sent back to back. @default 12 */
  readonly writesPerClient?: number;
  /** Seed of the clients' choices (record, fields, stale base version). @default random */
  readonly seed?: number;
  /** The subscriptions of the observers that follow departments only. @default OBSERVED */
  readonly observed?: ReadonlyArray<readonly string[]>;
}

/** The departments records move between (and `null`: none), so moves in and out of views happen all the time. */
const DEPARTMENTS = ['ICU', 'Ward', 'Lab', null] as const;
/** One observer of each department, and one of two at once (a move between them advances both chains). */
const OBSERVED: ReadonlyArray<readonly string[]> = [['ICU'], ['Ward'], ['Lab'], ['ICU', 'Ward']];

export interface RaceFigures {
  seed: number;
  clients: number;
  records: number;
  writes: number;
  accepted: number;
  merged: number;
  conflicts: number;
  noops: number;
  otherErrors: Record<string, number>;
  deleteRace: { tried: number; won: number; refused: number };
  lastSeq: number;
  /** Changes each observer of departments took, by its subscription. */
  observed: Record<string, number>;
  framesReceived: number;
  broadcastsReceived: number;
}

export interface RaceResult {
  readonly figures: RaceFigures;
  readonly problems: string[];
  /** Every ACKed change, and each client's final state (for negative controls of the checks). */
  readonly acked: readonly Change[];
  readonly views: readonly ClientView[];
  readonly filtered: readonly FilteredView[];
}

const FIELDS = ['name', 'position', 'department', 'phone', 'displayOrder', 'status'] as const;

/** A small deterministic generator (mulberry32), so a failing race can be replayed from its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One or two fields with values unique to this write: overlapping fields conflict, disjoint ones merge. */
function changesFor(next: () => number, client: number, write: number): StaffChanges {
  const chosen = new Set([FIELDS[Math.floor(next() * FIELDS.length)]!]);
  if (next() < 0.4) chosen.add(FIELDS[Math.floor(next() * FIELDS.length)]!);
  const changes: Record<string, unknown> = {};
  for (const field of chosen) {
    if (field === 'displayOrder') changes[field] = client * 1000 + write + 1;
    else if (field === 'department') changes[field] = DEPARTMENTS[Math.floor(next() * DEPARTMENTS.length)]!;
    else if (field === 'status') changes[field] = next() < 0.5 ? 'active' : 'inactive';
    else if (field === 'phone') changes[field] = `+1-${client}-${write}`;
    else changes[field] = `${field} c${client} w${write}`;
  }
  return changes as StaffChanges;
}

export async function runRace(options: RaceOptions): Promise<RaceResult> {
  const clientCount = options.clients ?? 24;
  const recordCount = options.records ?? 6;
  const writesPerClient = options.writesPerClient ?? 12;
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const problems: string[] = [];
  const acked: Change[] = [];
  const views: ClientView[] = [];
  const filtered: FilteredView[] = [];
  const observedSubscriptions = options.observed ?? OBSERVED;
  const figures: RaceFigures = {
    seed,
    clients: clientCount,
    records: recordCount,
    writes: 0,
    accepted: 0,
    merged: 0,
    conflicts: 0,
    noops: 0,
    otherErrors: {},
    deleteRace: { tried: 0, won: 0, refused: 0 },
    lastSeq: 0,
    observed: {},
    framesReceived: 0,
    broadcastsReceived: 0,
  };
  const traffic: Traffic = { frames: 0, broadcasts: 0, history: new Map() };
  const Socket = recordingSocket(traffic);
  const tokenFor = (sub: string) => mintLocalToken({ orgId: options.orgId, role: 'manager', sub, secret: options.jwtSecret, expiresInSeconds: 3600 });
  const open = async (sub: string, departments?: readonly string[]): Promise<StaffSyncClient> => {
    const client = connect(options.websocketUrl, await tokenFor(sub), { WebSocket: Socket, requestTimeoutMs: 10_000, ...(departments ? { departments } : {}) });
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
      const change = await owner.create({ name: `Racing record ${i}`, position: 'Nurse', department: DEPARTMENTS[i % DEPARTMENTS.length]!, metadata: { index: i } });
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
    const observers = await Promise.all(observedSubscriptions.map((departments, i) => open(`observer-${i}-${randomUUID()}`, departments)));
    clients.push(...observers);
    // Each observer's `change` events: per department, the dept seqs it took (each once, in order).
    const observerStarts = observers.map((client) => ({ ...client.state.deptSeqs }));
    const observerSeen = observers.map((client) => {
      const taken: Record<string, number[]> = {};
      client.on('change', (change) => {
        for (const [department, seq] of Object.entries(change.deptSeqs)) if (department in client.state.deptSeqs) (taken[department] ??= []).push(seq);
      });
      return taken;
    });

    // Act 1: every client updates the same records back to back; about 30 % of the writes name the
    // version seen at the start (stale), so merges and conflicts happen besides plain races.
    const startVersions = racers.map((client) => ids.map((id) => client.get(id)?.version ?? 1));
    await Promise.all(
      racers.map(async (client, c) => {
        const next = random(seed + c);
        for (let w = 0; w < writesPerClient; w++) {
          const r = Math.floor(next() * recordCount);
          const id = ids[r]!;
          const baseVersion = next() < 0.3 ? startVersions[c]![r]! : (client.get(id)?.version ?? 1);
          figures.writes += 1;
          try {
            const change = await client.update(id, changesFor(next, c, w), baseVersion);
            if (!change) {
              figures.noops += 1;
              continue;
            }
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
    figures.framesReceived = traffic.frames;
    figures.broadcastsReceived = traffic.broadcasts;

    const whole = [owner, ...racers];
    views.push(...whole.map((client, index) => ({ label: index === 0 ? 'owner' : `racer ${index - 1}`, staff: [...client.state.staff.values()], lastSeq: client.state.lastSeq })));
    filtered.push(
      ...observers.map((client, index) => ({
        label: `observer of ${observedSubscriptions[index]!.join('+')}`,
        departments: client.state.departments ?? [],
        staff: [...client.state.staff.values()],
        deptSeqs: { ...client.state.deptSeqs },
      })),
    );
    const verdict = await checkAgainstDatabase(options.databaseUrl, options.orgId, acked, views);
    problems.push(...(await checkFilteredViews(options.databaseUrl, options.orgId, filtered)));
    observers.forEach((client, index) => {
      const label = filtered[index]!.label;
      figures.observed[label] = 0;
      for (const department of observedSubscriptions[index]!) {
        const from = observerStarts[index]![department] ?? 0;
        const expected = Array.from({ length: (filtered[index]!.deptSeqs[department] ?? 0) - from }, (_, k) => from + k + 1);
        const got = observerSeen[index]![department] ?? [];
        figures.observed[label] += got.length;
        if (got.join(',') !== expected.join(',')) problems.push(`${label}: ${department} seqs taken ${got.join(',')}, not each of ${from + 1}..${from + expected.length} once in order`);
      }
    });
    figures.lastSeq = verdict.lastSeq;
    problems.push(...verdict.problems);
    for (const entry of verdict.unacked) problems.push(`log seq ${entry.seq} (${entry.op} v${entry.version}, request ${entry.requestId}) was never ACKed; its exchange: ${(traffic.history.get(entry.requestId ?? '') ?? ['nothing seen']).join(', ')}`);
    // The SDK's `change` event: each seq once, in order, after the state it started from.
    racers.forEach((client, index) => {
      const expected = Array.from({ length: figures.lastSeq - startSeqs[index]! }, (_, k) => startSeqs[index]! + k + 1);
      const got = seen.get(client) ?? [];
      if (got.join(',') !== expected.join(',')) problems.push(`racer ${index}: ${got.length} change events, not each seq once in order after ${startSeqs[index]}`);
    });
  } finally {
    for (const client of clients) client.close();
  }
  return { figures, problems, acked, views, filtered };
}

