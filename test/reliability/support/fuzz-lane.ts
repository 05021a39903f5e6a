/**
 * One fuzzing lane: an org with three connections (manager, admin, viewer) and a model of its
 * state; generated frames are sent one after the other (so the model stays exact), each reply
 * is judged, and every acknowledged change must reach the two other connections exactly once.
 *
 * Transports:
 * - `service`: in-process — the message Lambda's own message service (real staff store → RPC
 *   server → PGlite), and for a committed change the Lambda's own fan-out through dynalite and
 *   the local `@connections` to the real sockets of the org;
 * - `socket`: each frame over the sender's WebSocket, through the gateway and the message Lambda.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mintLocalToken } from '../../../infra/local/tokens';
import { messageDependencies } from '../../../lambdas/lib/dependencies/message';
import type { FanOut } from '../../../lambdas/lib/fanout';
import type { MessageService } from '../../../shared/message-service';
import type { Role } from '../../../shared/protocol/roles';
import { departmentsTouched } from '../../../shared/subscriptions';
import type { Draft, Spec, UserIx } from './fuzz-frames';
import { canon, IdRegistry, LaneModel, type Change, type Json, type Verdict } from './fuzz-model';
import { LaneSocket, changesOfBatchFrame } from './fuzz-socket';
import type { InProcessStage } from './fuzz-stage';

export type Transport = 'service' | 'socket';

const ROLES: readonly Role[] = ['manager', 'admin', 'viewer'];
const FRAME_BYTES = 32 * 1024;
const MESSAGE_BYTES = 128 * 1024;
const MAX_PROBLEMS = 40;

export class Figures {
  frames = 0;
  seeds = 0;
  broadcastsChecked = 0;
  presenceEvents = 0;
  readonly byOutcome = new Map<string, number>();
  readonly byType = new Map<string, number>();
  readonly byFamily = new Map<string, number>();
  readonly problems: string[] = [];

  count(draft: Draft, verdict: Verdict, seed: boolean): void {
    if (seed) this.seeds += 1;
    else {
      this.frames += 1;
      bump(this.byType, draft.typeLabel);
      bump(this.byFamily, draft.family);
    }
    bump(this.byOutcome, verdict.outcome);
  }

  /** The figures as printable lines. */
  report(title: string, elapsedMs: number): string {
    const table = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]).map(([key, n]) => `    ${String(n).padStart(6)}  ${key}`);
    return [
      `${title}: ${this.frames} generated frames (+ ${this.seeds} seed and barrier frames) in ${(elapsedMs / 1000).toFixed(1)} s, ${this.broadcastsChecked} broadcasts checked, ${this.presenceEvents} presence events checked, ${this.problems.length} problems`,
      '  replies by code:',
      ...table(this.byOutcome),
      '  frames by type field:',
      ...table(this.byType),
      '  frames by generator family:',
      ...table(this.byFamily),
    ].join('\n');
  }
}

const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

export interface LaneOptions {
  readonly stage: InProcessStage;
  readonly registry: IdRegistry;
  readonly foreignOrgId: string;
  readonly transport: Transport;
  readonly seeds: readonly Spec[];
  readonly specs: readonly Spec[];
  readonly figures: Figures;
  /** Stop sending generated frames after this time (epoch ms). */
  readonly deadline?: number;
}

/** The message Lambda's service and fan-out, built from the environment the stage gave it. */
async function lambdaInternals(stage: InProcessStage): Promise<{ service: MessageService; fanout: FanOut }> {
  const dependencies = messageDependencies(stage.lambdaEnvironment);
  return { service: await dependencies.messageService(), fanout: await dependencies.fanOut() };
}

export async function runLane(options: LaneOptions, index: number): Promise<LaneModel> {
  const { stage, figures, transport } = options;
  const orgId = `fz-${randomBytes(5).toString('hex')}-${index}`;
  const userIds = [randomUUID(), randomUUID(), randomUUID()] as const;
  const model = new LaneModel(orgId, options.foreignOrgId, userIds, options.registry);
  const tokenExp = Math.floor(Date.now() / 1000) + 3 * 3600;
  const connect = async (user: UserIx) =>
    LaneSocket.open(`${stage.websocketUrl}?token=${await mintLocalToken({ orgId, role: ROLES[user]!, sub: userIds[user], secret: stage.jwtSecret, expiresInSeconds: 3 * 3600 })}`, userIds[user]);
  const sockets: LaneSocket[] = [await connect(0), await connect(1), await connect(2)];
  const records = await stage.connectionRecords(orgId);
  const connectionOf = (user: UserIx) => records.find((record) => record.userId === userIds[user])!.connectionId;
  const internals = transport === 'service' ? await lambdaInternals(stage) : undefined;
  let problems = 0;
  const problem = (what: string) => {
    problems += 1;
    if (problems <= MAX_PROBLEMS) figures.problems.push(`[${transport} lane ${index}] ${what}`);
  };

  /** Sends one frame and judges what came back; `expired`: in-process, as if the token's `exp` had passed. */
  async function send(draft: Draft, expired = false): Promise<{ verdict: Verdict }> {
    const { as } = draft;
    if (internals) {
      const binary = typeof draft.wire !== 'string' && !draft.textBytes;
      const body = typeof draft.wire === 'string' ? draft.wire : Buffer.from(draft.wire).toString(binary ? 'base64' : 'utf8');
      const outcome = await internals.service.handle({
        connectionId: connectionOf(as),
        body,
        isBinary: binary,
        identity: { userId: userIds[as], orgId, role: ROLES[as]!, tokenExp: expired ? Math.floor(Date.now() / 1000) - 1 : tokenExp },
        receivedAt: new Date(),
      });
      if (expired) return { verdict: model.judgeExpired(draft, JSON.parse(JSON.stringify(outcome.reply)) as Json, outcome.close, Boolean(outcome.broadcast)) };
      if (outcome.close) problem(`the service asked to close the connection after ${JSON.stringify(outcome.reply).slice(0, 200)}`);
      if (outcome.broadcast) await internals.fanout.toOrg(orgId, outcome.broadcast, { except: connectionOf(as), touching: departmentsTouched(outcome.changes ?? []) });
      if (outcome.presence) await internals.fanout.toPresenceWatchers(orgId, outcome.presence, connectionOf(as));
      // A batch's changes reach the sender in STAFF_BATCH frames just before its ACK.
      const sent = (outcome.beforeReply ?? []).flatMap((frame) => changesOfBatchFrame(JSON.parse(JSON.stringify(frame)) as Json) as Change[]);
      const verdict = model.judge(draft, JSON.parse(JSON.stringify(outcome.reply)) as Json, undefined, undefined, sent);
      if (Boolean(outcome.broadcast) !== Boolean(verdict.broadcast ?? verdict.batch)) verdict.problems.push(`broadcast ${outcome.broadcast ? 'produced' : 'missing'} for ${verdict.outcome}`);
      return { verdict };
    }
    const bytes = typeof draft.wire === 'string' ? Buffer.byteLength(draft.wire, 'utf8') : draft.wire.length;
    const expectClose = draft.textBytes ? 1007 : bytes > MESSAGE_BYTES || (bytes > FRAME_BYTES && !draft.fragment) ? 1009 : undefined;
    const socket = sockets[as]!;
    socket.send(draft.wire, draft.fragment, draft.textBytes);
    if (expectClose) {
      const closed = await socket.waitClosed();
      sockets[as] = await connect(as);
      model.reconnected(as);
      return { verdict: model.judge(draft, undefined, closed?.code, expectClose) };
    }
    const reply = await socket.nextReply();
    const sent: Change[] = [];
    // A batch's changes came in STAFF_BATCH frames just before its ACK (a replay's too).
    const committed = Array.isArray(reply?.results) ? (reply.results as Json[]).filter((result) => result.seq !== null).length : 0;
    while (sent.length < committed) {
      const frame = await socket.nextBroadcast();
      if (!frame || frame.type !== 'STAFF_BATCH') break;
      sent.push(...(changesOfBatchFrame(frame) as Change[]));
    }
    return { verdict: model.judge(draft, reply, socket.closed?.code, undefined, sent) };
  }

  async function step(draft: Draft, seed: boolean, label: string, expired = false): Promise<boolean> {
    const { verdict } = await send(draft, expired);
    figures.count(draft, verdict, seed);
    const wire = typeof draft.wire === 'string' ? draft.wire : `<${draft.wire.length} bytes>`;
    for (const what of verdict.problems) problem(`${label} ${draft.family} as ${ROLES[draft.as]}: ${what}\n      frame: ${wire.slice(0, 300)}`);
    if (verdict.outcome === 'no reply') return false;
    if (verdict.batch) {
      const changes = verdict.batch;
      for (const user of [0, 1, 2] as UserIx[]) {
        if (user === draft.as || !changes.some((change) => model.reaches(user, change))) continue;
        const got = await sockets[user]!.nextBroadcast();
        figures.broadcastsChecked += 1;
        if (got?.type !== 'STAFF_BATCH' || canon(changesOfBatchFrame(got)) !== canon(changes)) {
          problem(`${label}: ${ROLES[user]} saw ${JSON.stringify(got)?.slice(0, 200)} instead of one STAFF_BATCH frame of seqs ${changes.map((change) => change.seq).join(',')}`);
        }
      }
    }
    if (verdict.broadcast) {
      for (const user of [0, 1, 2] as UserIx[]) {
        // A connection subscribed to other departments is not sent this change (docs/protocol.md §7.9).
        if (user === draft.as || !model.reaches(user, verdict.broadcast.change)) continue;
        const got = await sockets[user]!.nextBroadcast();
        figures.broadcastsChecked += 1;
        if (canon(got) !== canon(verdict.broadcast)) problem(`${label}: ${ROLES[user]} saw ${JSON.stringify(got)?.slice(0, 200)} instead of the broadcast of seq ${verdict.broadcast.change.seq}`);
      }
    }
    const closed = sockets.findIndex((socket) => socket.closed);
    if (closed >= 0) {
      problem(`${label}: the ${ROLES[closed]} socket closed (${sockets[closed]!.closed!.code}) after ${draft.family}`);
      return false;
    }
    return true;
  }

  try {
    for (const [i, seed] of options.seeds.entries()) if (!(await step(seed.make(model), true, `seed ${i}`))) return model;
    for (const [i, spec] of options.specs.entries()) {
      if (options.deadline !== undefined && Date.now() > options.deadline) break;
      // In-process, one frame in 40 arrives as if the token had expired: TOKEN_EXPIRED whatever it is.
      if (!(await step(spec.make(model), false, `frame ${i}`, internals !== undefined && i % 40 === 39))) return model;
    }
    // Barrier: this broadcast must be the next, and the last, one every other connection sees.
    const barrier = options.seeds[0]!.make(model);
    if (!(await step(barrier, true, 'barrier'))) return model;
    for (const [user, socket] of sockets.entries()) {
      if (socket.pendingBroadcasts() > 0) problem(`${ROLES[user]} received ${socket.pendingBroadcasts()} broadcasts nobody acknowledged`);
      if (socket.pendingReplies() > 0) problem(`${ROLES[user]} received ${socket.pendingReplies()} replies to frames it never sent`);
      // Presence events come when other connections open, close or mark a record: only their form and org are judged.
      for (const event of socket.presenceEvents) {
        const problems: string[] = [];
        if (event.event === 'leave') {
          if (typeof event.memberId !== 'string' || Object.keys(event).length !== 3) problems.push(`malformed leave ${JSON.stringify(event).slice(0, 200)}`);
        } else if (event.event === 'join' || event.event === 'update') model.checkMember(event.member, problems);
        else problems.push(`unknown presence event ${JSON.stringify(event).slice(0, 200)}`);
        for (const what of problems) problem(`${ROLES[user]} presence event: ${what}`);
      }
      figures.presenceEvents += socket.presenceEvents.length;
    }
    await checkDatabase(stage, model, problem);
    return model;
  } finally {
    for (const socket of sockets) socket.close();
  }
}

/** Nothing but what was acknowledged is in the database: rows, log, counter, idempotency keys. */
async function checkDatabase(stage: InProcessStage, model: LaneModel, problem: (what: string) => void): Promise<void> {
  const { query } = stage.supabase;
  const rows = await query<{ wire: Json }>('select public.staff_to_wire(s) as wire from public.staff s where s.org_id = $1 order by s.id', [model.orgId]);
  const expected = model.liveSorted();
  if (rows.rows.length !== expected.length) problem(`the database holds ${rows.rows.length} records, the model ${expected.length}`);
  rows.rows.forEach((row, i) => {
    if (canon(row.wire) !== canon(expected[i])) problem(`record ${i} in the database differs: ${canon(row.wire).slice(0, 200)}`);
  });
  const [log] = (await query<{ n: string; max: string | null }>('select count(*)::text as n, max(seq)::text as max from public.staff_changes where org_id = $1', [model.orgId])).rows;
  const [counter] = (await query<{ last_seq: string }>('select last_seq::text from public.staff_org_counters where org_id = $1', [model.orgId])).rows;
  const [keys] = (await query<{ n: string }>('select count(*)::text as n from public.staff_idempotency_keys where org_id = $1', [model.orgId])).rows;
  const seq = model.latestSeq();
  if (Number(log?.n) !== seq || Number(log?.max ?? 0) !== seq || Number(counter?.last_seq ?? 0) !== seq) {
    problem(`change log ${log?.n} entries up to ${log?.max}, counter ${counter?.last_seq}, acknowledged changes ${seq}`);
  }
  if (Number(keys?.n) !== model.idempotencyKeys()) problem(`${keys?.n} idempotency keys stored, ${model.idempotencyKeys()} writes acknowledged (a refused write must record nothing)`);
}
