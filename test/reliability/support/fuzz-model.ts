/**
 * The fuzzer's oracle: a model of one org (its live and deleted records, their versions and the
 * fields each version changed, the change log, the idempotency keys of each user) built only
 * from the rules of docs/protocol.md and the replies already judged. `judge` says whether a reply is the
 * right one for a frame, and which broadcast the other connections of the org must see for it.
 */
import { randomUUID } from 'node:crypto';
import { ERROR_CODES } from '../../../shared/errors';
import type { Draft, LaneView, ParsedFrame, UserIx } from './fuzz-frames';
import { FIELDS, type FieldName } from './fuzz-values';
import { IdRegistry, canon, crossedDates, hashOf, normalize, type Json } from './fuzz-rules';

export { IdRegistry, canon, type Json } from './fuzz-rules';

export interface Change extends Json {
  seq: number;
  op: 'create' | 'update' | 'delete';
  staffId: string;
  version: number;
  staff: Json;
  changedFields: string[];
  deptSeqs: Record<string, number>;
}

export interface Verdict {
  /** How the reply is counted: `ERROR <code>`, `ACK …`, `PONG`, `SYNC_RESPONSE`, `closed 1009`. */
  readonly outcome: string;
  readonly problems: string[];
  /** The frame every other connection of the org must receive next. */
  readonly broadcast?: { type: string; change: Change };
  /** A batch's changes: every other connection one of them reaches must receive them next, in one STAFF_BATCH frame. */
  readonly batch?: readonly Change[];
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const STAFF_KEYS = ['id', 'orgId', ...FIELDS, 'version', 'createdAt', 'updatedAt', 'updatedBy'].sort().join(',');
const REPLY_KEYS: Record<string, readonly string[]> = {
  ERROR: ['type', 'requestId', 'code', 'message', 'details', 'current'],
  ACK: ['type', 'requestId', 'change', 'merged', 'current', 'results'],
  PONG: ['type', 'requestId', 'serverTime', 'seq', 'deptSeqs'],
  SYNC_RESPONSE: ['type', 'requestId', 'mode', 'changes', 'staff', 'seq', 'deptSeqs', 'hasMore', 'cursor'],
  SUBSCRIBED: ['type', 'requestId', 'departments', 'seq', 'deptSeqs'],
  PRESENCE: ['type', 'requestId', 'event', 'self', 'members', 'member'],
};
const MEMBER_KEYS = 'connectedAt,editing,memberId,role,userId';
const MEMBER_ID = /^[A-Za-z0-9_-]{22}$/;
const ROLE_OF: readonly string[] = ['manager', 'admin', 'viewer'];
const DEFAULTS: Json = { email: null, phone: null, position: null, department: null, employmentType: 'full_time', status: 'active', startDate: null, endDate: null, displayOrder: 0, metadata: {} };

interface Stored {
  staff: Json;
  version: number;
  /** changedFields of every version after the first. */
  history: Map<number, string[]>;
}

/** One write as the rules see it: a single write's payload, or one operation of a batch. */
type Operation = Extract<ParsedFrame, { type: 'STAFF_BATCH' }>['operations'][number];

/** What the rules expect of a committed write. */
interface Want {
  op: Change['op'];
  /** '' for a create without an id: the server picks it. */
  id: string;
  stored: Stored | undefined;
  as: UserIx;
  staff: Json;
  changedFields: string[] | undefined;
  merged: boolean;
}

type Prediction =
  | { kind: 'refused'; code: 'NOT_FOUND' | 'VALIDATION_FAILED' | 'VERSION_CONFLICT'; shape?: 'NOT_FOUND' | 'taken id'; stored?: Stored }
  | { kind: 'noop'; stored: Stored }
  | { kind: 'commit'; want: Want };

function operationOf(frame: Extract<ParsedFrame, { type: 'STAFF_CREATE' | 'STAFF_UPDATE' | 'STAFF_DELETE' }>): Operation {
  if (frame.type === 'STAFF_CREATE') return { op: 'create', staff: frame.staff };
  if (frame.type === 'STAFF_UPDATE') return { op: 'update', staffId: frame.staffId, baseVersion: frame.baseVersion, changes: frame.changes };
  return { op: 'delete', staffId: frame.staffId, baseVersion: frame.baseVersion };
}

const cloneRecords = (records: ReadonlyMap<string, Stored>): Map<string, Stored> =>
  new Map([...records].map(([id, stored]) => [id, { staff: stored.staff, version: stored.version, history: new Map(stored.history) }]));

/** A batch's earlier operation, as the later ones see it (the batch is not committed yet). */
function applyTo(records: Map<string, Stored>, want: Want, created: Set<string>): void {
  if (want.op === 'delete') {
    records.delete(want.id);
    return;
  }
  // A create without an id cannot be named by a later operation: its id is the server's.
  if (!want.id) return;
  const stored = records.get(want.id) ?? { staff: want.staff, version: 0, history: new Map<number, string[]>() };
  const version = stored.version + 1;
  records.set(want.id, { staff: { ...want.staff, version }, version, history: new Map([...stored.history, [version, want.changedFields ?? []]]) });
  if (want.op === 'create') created.add(want.id);
}

interface Key {
  readonly requestId: string;
  readonly hash: string;
  readonly reply: Json;
  readonly wire: string;
}

export class LaneModel implements LaneView {
  private readonly records = new Map<string, Stored>();
  private readonly tombstones: string[] = [];
  readonly changes: Change[] = [];
  private readonly keys: [Map<string, Key>, Map<string, Key>, Map<string, Key>] = [new Map(), new Map(), new Map()];
  private readonly committedWrites: [Key[], Key[], Key[]] = [[], [], []];
  private readonly shapes = new Map<string, string>();
  /** The last seq of each department (docs/protocol.md §7.8), from the changes judged. */
  private readonly deptCounters = new Map<string, number>();
  /** Each user's subscription: sorted departments, or null for the whole org. */
  private readonly subscriptions: [string[] | null, string[] | null, string[] | null] = [null, null, null];
  private requestCount = 0;

  constructor(
    readonly orgId: string,
    readonly foreignOrgId: string,
    readonly userIds: readonly [string, string, string],
    private readonly registry: IdRegistry,
  ) {
    registry.orgIds.add(orgId);
  }

  // ------------------------------------------------------------ LaneView

  live() {
    return [...this.records].map(([id, stored]) => ({ id, version: stored.version, staff: stored.staff }));
  }
  deleted() {
    return this.tombstones;
  }
  foreign() {
    return this.registry.foreignTo(this.orgId);
  }
  latestSeq() {
    return this.changes.length;
  }
  departments() {
    return [...new Set(this.live().map(({ staff }) => staff.department).filter((d): d is string => typeof d === 'string' && d !== ''))].sort();
  }
  departmentSeq(department: string) {
    return this.deptCounters.get(department) ?? 0;
  }

  /** Whether `user`'s connection is sent `change` (its subscription against the departments the change touches). */
  reaches(user: UserIx, change: Change): boolean {
    const subscription = this.subscriptions[user];
    return subscription === null || subscription.some((department) => Object.hasOwn(change.deptSeqs, department));
  }

  /** A new connection of `user` starts with the whole org. */
  reconnected(user: UserIx): void {
    this.subscriptions[user] = null;
  }

  private positions(departments: readonly string[]): Json {
    return Object.fromEntries(departments.map((department) => [department, this.departmentSeq(department)]));
  }

  private takeDeptSeqs(change: Change): void {
    for (const [department, seq] of Object.entries(change.deptSeqs ?? {})) this.deptCounters.set(department, seq);
  }
  committed(user: UserIx) {
    return this.committedWrites[user];
  }
  freshRequestId() {
    this.requestCount += 1;
    return `${this.requestCount.toString(36)}-${randomUUID()}`;
  }

  /** Every live record in id order, as a snapshot lists them. */
  liveSorted(): Json[] {
    return [...this.records.keys()].sort().map((id) => this.records.get(id)!.staff);
  }

  idempotencyKeys(): number {
    return this.keys.reduce((sum, keys) => sum + keys.size, 0);
  }

  // ------------------------------------------------------------ judging

  /** Judges the reply to a frame (or the socket's close) and moves the model forward. */
  judge(draft: Draft, reply: Json | undefined, closedWith?: number, expectClose?: number, sent: readonly Change[] = []): Verdict {
    if (expectClose !== undefined) {
      return closedWith === expectClose
        ? { outcome: `closed ${expectClose}`, problems: [] }
        : { outcome: 'not closed', problems: [`expected a ${expectClose} close, got ${closedWith ?? JSON.stringify(reply)?.slice(0, 300)}`] };
    }
    if (!reply) return { outcome: 'no reply', problems: [`no reply${closedWith ? ` (socket closed ${closedWith})` : ''}`] };
    const problems = this.checkShape(reply);
    const verdict = this.expect(draft, reply, problems, sent);
    this.checkLeaks(reply, problems);
    if (!verdict.broadcast && reply.type === 'ACK' && reply.change && !this.keys[draft.as].has(String(reply.requestId))) return this.absorb(draft, reply, verdict);
    return verdict;
  }

  /** A frame after the token's `exp`: TOKEN_EXPIRED whatever it holds, and nothing done. */
  judgeExpired(draft: Draft, reply: Json, close: boolean, broadcast: boolean): Verdict {
    const problems = this.checkShape(reply);
    const echo = draft.refusal ? draft.refusal.echo : draft.frame?.requestId;
    const verdict = this.error(reply, 'TOKEN_EXPIRED', echo, problems);
    if (!close) problems.push('TOKEN_EXPIRED without closing the connection');
    if (broadcast) problems.push('a frame after exp was broadcast');
    return verdict;
  }

  /**
   * An ACK the model did not expect (already reported) still committed a change: take it in, so
   * one wrong reply does not make every later seq, broadcast and row count look wrong too.
   */
  private absorb(draft: Draft, reply: Json, verdict: Verdict): Verdict {
    const change = reply.change as Change;
    this.take(change);
    this.keys[draft.as].set(String(reply.requestId), { requestId: String(reply.requestId), hash: 'unexpected', reply, wire: '' });
    return { ...verdict, broadcast: { type: `STAFF_${change.op.toUpperCase()}`, change } };
  }

  private checkShape(reply: Json): string[] {
    const problems: string[] = [];
    const type = reply.type;
    if (typeof type !== 'string' || !REPLY_KEYS[type]) return [`not a reply frame: ${JSON.stringify(reply).slice(0, 300)}`];
    for (const key of Object.keys(reply)) if (!REPLY_KEYS[type]!.includes(key)) problems.push(`unexpected key ${key} in ${type}`);
    if (type === 'ERROR') {
      if (!(ERROR_CODES as readonly unknown[]).includes(reply.code)) problems.push(`unknown code ${String(reply.code)}`);
      if (typeof reply.message !== 'string' || reply.message.length === 0 || reply.message.length > 500) problems.push(`error message missing or over 500 chars (${String(reply.message).length})`);
      if (reply.details !== undefined) {
        const details = reply.details as { path?: unknown; message?: unknown }[];
        if (!Array.isArray(details) || details.length === 0 || details.length > 20) problems.push('details must list 1-20 issues');
        else if (details.some((d) => typeof d.path !== 'string' || typeof d.message !== 'string' || d.path.length > 300 || d.message.length > 300)) problems.push(`malformed details ${JSON.stringify(details).slice(0, 300)}`);
      }
    }
    return problems;
  }

  private checkLeaks(reply: Json, problems: string[]): void {
    const text = JSON.stringify(reply);
    for (const orgId of this.registry.orgIds) if (orgId !== this.orgId && text.includes(orgId)) problems.push(`reply names another org (${orgId})`);
    if (text.includes('zz-secret')) problems.push('reply shows a record of another org');
  }

  private error(reply: Json, code: string, echo: string | undefined, problems: string[], extra: (reply: Json) => void = () => undefined): Verdict {
    const outcome = reply.type === 'ERROR' ? `ERROR ${String(reply.code)}` : String(reply.type);
    if (reply.type !== 'ERROR' || reply.code !== code) problems.push(`expected ERROR ${code}, got ${JSON.stringify(reply).slice(0, 400)}`);
    else {
      if (reply.requestId !== echo) problems.push(`requestId ${String(reply.requestId)} instead of ${String(echo)}`);
      if (code === 'VALIDATION_FAILED' && !Array.isArray(reply.details)) problems.push('VALIDATION_FAILED without details');
      extra(reply);
    }
    return { outcome, problems };
  }

  /** Replies that must not differ by anything but requestId (NOT_FOUND, taken ids): they reveal nothing. */
  private sameShape(kind: string, reply: Json, problems: string[]): void {
    const { requestId: _ignored, ...rest } = reply;
    const shape = canon(rest);
    const first = this.shapes.get(kind);
    if (first === undefined) this.shapes.set(kind, shape);
    else if (first !== shape) problems.push(`${kind} replies differ: ${shape.slice(0, 300)} vs ${first.slice(0, 300)}`);
  }

  private expect(draft: Draft, reply: Json, problems: string[], sent: readonly Change[]): Verdict {
    if (draft.refusal) return this.error(reply, draft.refusal.code, draft.refusal.echo, problems);
    const frame = draft.frame!;
    const crossed =
      frame.type === 'STAFF_UPDATE'
        ? crossedDates(frame.changes)
        : frame.type === 'STAFF_CREATE'
          ? crossedDates(frame.staff)
          : frame.type === 'STAFF_BATCH' && frame.operations.some((operation) => crossedDates(operation.op === 'create' ? operation.staff : operation.op === 'update' ? operation.changes : {}));
    if (crossed) return this.error(reply, 'VALIDATION_FAILED', frame.requestId, problems);
    if (frame.type === 'PING') return this.pong(frame, draft.as, reply, problems);
    if (frame.type === 'SYNC_REQUEST') return frame.departments ? this.departmentSync(frame, frame.departments, reply, problems) : this.sync(frame, reply, problems);
    if (frame.type === 'PRESENCE_REQUEST') return this.presenceSnapshot(frame, draft.as, reply, problems);
    if (frame.type === 'SUBSCRIBE') return this.subscribed(frame, draft.as, reply, problems);
    if (draft.as === 2) return this.error(reply, 'FORBIDDEN', frame.requestId, problems);
    if (frame.type === 'PRESENCE_EDITING') return this.presenceUpdate(frame, draft.as, reply, problems);
    return this.write(frame, draft, reply, problems, sent);
  }

  private pong(frame: Extract<ParsedFrame, { type: 'PING' }>, as: UserIx, reply: Json, problems: string[]): Verdict {
    if (reply.type !== 'PONG') problems.push(`expected PONG, got ${JSON.stringify(reply).slice(0, 300)}`);
    else {
      const subscription = this.subscriptions[as];
      const expected = subscription === null ? undefined : canon(this.positions(subscription));
      if ((reply.deptSeqs === undefined ? undefined : canon(reply.deptSeqs)) !== expected) problems.push(`PONG deptSeqs ${canon(reply.deptSeqs)}, expected ${String(expected)}`);
      if (reply.seq !== this.latestSeq()) problems.push(`PONG seq ${String(reply.seq)}, the org is at ${this.latestSeq()}`);
      if (reply.requestId !== frame.requestId) problems.push('PONG requestId not echoed');
      if (typeof reply.serverTime !== 'string' || !ISO.test(reply.serverTime)) problems.push('PONG serverTime not ISO');
    }
    return { outcome: String(reply.type === 'ERROR' ? `ERROR ${String(reply.code)}` : reply.type), problems };
  }

  /** A member as presence shows it: its own keys, one of this org's users with that user's role. */
  checkMember(member: unknown, problems: string[]): void {
    const m = member as Json;
    if (typeof m !== 'object' || m === null || Object.keys(m).sort().join(',') !== MEMBER_KEYS) return void problems.push(`malformed member ${JSON.stringify(member)?.slice(0, 200)}`);
    const user = this.userIds.indexOf(String(m.userId));
    if (user < 0) problems.push(`member of another org: ${String(m.userId)}`);
    else if (m.role !== ROLE_OF[user]) problems.push(`member ${String(m.userId)} has role ${String(m.role)}, not ${ROLE_OF[user]}`);
    if (!MEMBER_ID.test(String(m.memberId))) problems.push(`memberId ${String(m.memberId)} is not a 22-character digest`);
    if (typeof m.connectedAt !== 'string' || !ISO.test(m.connectedAt)) problems.push('member connectedAt not ISO');
    const editing = m.editing as Json | null;
    if (editing !== null && (typeof editing?.staffId !== 'string' || !UUID.test(editing.staffId) || typeof editing.at !== 'string' || !ISO.test(editing.at))) problems.push(`malformed marker ${JSON.stringify(editing)}`);
  }

  private presenceSnapshot(frame: Extract<ParsedFrame, { type: 'PRESENCE_REQUEST' }>, as: UserIx, reply: Json, problems: string[]): Verdict {
    if (reply.type !== 'PRESENCE' || reply.event !== 'snapshot' || !Array.isArray(reply.members)) {
      problems.push(`expected a PRESENCE snapshot, got ${JSON.stringify(reply).slice(0, 300)}`);
      return { outcome: String(reply.type === 'ERROR' ? `ERROR ${String(reply.code)}` : reply.type), problems };
    }
    if (reply.requestId !== frame.requestId) problems.push('PRESENCE requestId not echoed');
    const members = reply.members as Json[];
    for (const member of members) this.checkMember(member, problems);
    const self = members.find((member) => member.memberId === reply.self);
    if (!self) problems.push(`self ${String(reply.self)} is not among the members`);
    else if (self.userId !== this.userIds[as]) problems.push(`self is ${String(self.userId)}, not the sender`);
    return { outcome: 'PRESENCE snapshot', problems };
  }

  private presenceUpdate(frame: Extract<ParsedFrame, { type: 'PRESENCE_EDITING' }>, as: UserIx, reply: Json, problems: string[]): Verdict {
    if (reply.type !== 'PRESENCE' || reply.event !== 'update') {
      problems.push(`expected a PRESENCE update, got ${JSON.stringify(reply).slice(0, 300)}`);
      return { outcome: String(reply.type === 'ERROR' ? `ERROR ${String(reply.code)}` : reply.type), problems };
    }
    if (reply.requestId !== frame.requestId) problems.push('PRESENCE requestId not echoed');
    this.checkMember(reply.member, problems);
    const member = reply.member as Json;
    if (member.userId !== this.userIds[as]) problems.push(`the update names ${String(member.userId)}, not the sender`);
    const marked = (member.editing as Json | null)?.staffId ?? null;
    // Stored in the database's form: a UUID sent in capitals comes back lowercase.
    if (marked !== (frame.staffId === null ? null : frame.staffId.toLowerCase())) problems.push(`marker ${String(marked)} instead of ${String(frame.staffId)}`);
    return { outcome: 'PRESENCE update', problems };
  }

  private subscribed(frame: Extract<ParsedFrame, { type: 'SUBSCRIBE' }>, as: UserIx, reply: Json, problems: string[]): Verdict {
    if (reply.type !== 'SUBSCRIBED') {
      problems.push(`expected SUBSCRIBED, got ${JSON.stringify(reply).slice(0, 300)}`);
      return { outcome: String(reply.type === 'ERROR' ? `ERROR ${String(reply.code)}` : reply.type), problems };
    }
    const departments = frame.departments ? [...frame.departments].sort() : null;
    const expected = { departments, seq: this.latestSeq(), deptSeqs: departments ? this.positions(departments) : {} };
    const { type: _type, requestId, ...got } = reply;
    if (requestId !== frame.requestId) problems.push('SUBSCRIBED requestId not echoed');
    if (canon(got) !== canon(expected)) problems.push(`SUBSCRIBED ${canon(got).slice(0, 300)}, expected ${canon(expected).slice(0, 300)}`);
    this.subscriptions[as] = departments;
    return { outcome: 'SUBSCRIBED', problems };
  }

  /** A sync by departments: a snapshot of their records, or the changes beyond each position, each page a prefix of what the model holds. */
  private departmentSync(frame: Extract<ParsedFrame, { type: 'SYNC_REQUEST' }>, departments: readonly string[], reply: Json, problems: string[]): Verdict {
    if (reply.type !== 'SYNC_RESPONSE') {
      problems.push(`expected SYNC_RESPONSE, got ${JSON.stringify(reply).slice(0, 300)}`);
      return { outcome: String(reply.type === 'ERROR' ? `ERROR ${String(reply.code)}` : reply.type), problems };
    }
    if (reply.requestId !== frame.requestId) problems.push('SYNC_RESPONSE requestId not echoed');
    const since = frame.sinceDeptSeqs;
    const delta = since !== undefined;
    const expected: unknown[] = delta
      ? this.changes.filter((change) => departments.some((d) => Object.hasOwn(change.deptSeqs, d) && change.deptSeqs[d]! > (Object.hasOwn(since, d) ? since[d]! : 0)))
      : this.liveSorted().filter((staff) => departments.includes(staff.department as string));
    const got = (delta ? reply.changes : reply.staff) as unknown[] | undefined;
    if (reply.mode !== (delta ? 'delta' : 'snapshot') || !Array.isArray(got)) {
      problems.push(`expected a department ${delta ? 'delta' : 'snapshot'}, got mode ${String(reply.mode)}`);
      return { outcome: 'SYNC_RESPONSE by departments', problems };
    }
    const mismatch = got.findIndex((item, i) => canon(item) !== canon(expected[i]));
    if (mismatch >= 0) problems.push(`department ${delta ? 'change' : 'record'} ${mismatch} differs: ${canon(got[mismatch]).slice(0, 300)} vs ${canon(expected[mismatch]).slice(0, 300)}`);
    if (reply.hasMore !== got.length < expected.length) problems.push(`hasMore ${String(reply.hasMore)} with ${got.length} of ${expected.length}`);
    if (!reply.hasMore && canon(reply.deptSeqs) !== canon(this.positions(departments))) problems.push(`deptSeqs ${canon(reply.deptSeqs)}, expected ${canon(this.positions(departments))}`);
    return { outcome: 'SYNC_RESPONSE by departments', problems };
  }

  private sync(frame: Extract<ParsedFrame, { type: 'SYNC_REQUEST' }>, reply: Json, problems: string[]): Verdict {
    if (frame.cursor) return this.error(reply, 'VALIDATION_FAILED', frame.requestId, problems);
    if (reply.type !== 'SYNC_RESPONSE') {
      problems.push(`expected SYNC_RESPONSE, got ${JSON.stringify(reply).slice(0, 300)}`);
      return { outcome: `ERROR ${String(reply.code)}`, problems };
    }
    if (reply.requestId !== frame.requestId) problems.push('SYNC_RESPONSE requestId not echoed');
    const latest = this.latestSeq();
    const delta = frame.sinceSeq !== undefined && frame.sinceSeq <= latest;
    const expected: unknown[] = delta ? this.changes.slice(frame.sinceSeq) : this.liveSorted();
    const got = (delta ? reply.changes : reply.staff) as unknown[] | undefined;
    if (reply.mode !== (delta ? 'delta' : 'snapshot') || !Array.isArray(got)) {
      problems.push(`expected a ${delta ? 'delta' : 'snapshot'}, got mode ${String(reply.mode)}`);
      return { outcome: 'SYNC_RESPONSE', problems };
    }
    if (expected.length > 0 && got.length === 0) problems.push('an empty page while records remain');
    const mismatch = got.findIndex((item, i) => canon(item) !== canon(expected[i]));
    if (mismatch >= 0) problems.push(`${delta ? 'change' : 'record'} ${mismatch} differs: ${canon(got[mismatch]).slice(0, 300)} vs ${canon(expected[mismatch]).slice(0, 300)}`);
    const more = got.length < expected.length;
    if (reply.hasMore !== more) problems.push(`hasMore ${String(reply.hasMore)} with ${got.length} of ${expected.length}`);
    if (more !== (typeof reply.cursor === 'string')) problems.push('cursor must come exactly with hasMore');
    const seq = delta ? (got.length > 0 ? (got[got.length - 1] as Change).seq : frame.sinceSeq) : latest;
    if (reply.seq !== seq) problems.push(`page seq ${String(reply.seq)} instead of ${String(seq)}`);
    return { outcome: 'SYNC_RESPONSE', problems };
  }

  private write(frame: Extract<ParsedFrame, { type: `STAFF_${string}` }>, draft: Draft, reply: Json, problems: string[], sent: readonly Change[]): Verdict {
    const as = draft.as;
    const hash = hashOf(frame);
    const key = this.keys[as].get(frame.requestId);
    if (key) {
      if (key.hash !== hash) {
        return this.error(reply, 'VALIDATION_FAILED', frame.requestId, problems, (r) => {
          if (!(r.details as { path: string }[]).some((d) => d.path === 'requestId')) problems.push('reused requestId refused without path requestId');
        });
      }
      if (canon(reply) !== canon(key.reply)) problems.push(`a replay must answer the original ACK: ${canon(reply).slice(0, 300)} vs ${canon(key.reply).slice(0, 300)}`);
      return { outcome: 'ACK replayed', problems };
    }
    const remember = () => {
      const stored = { requestId: frame.requestId, hash, reply, wire: typeof draft.wire === 'string' ? draft.wire : '' };
      this.keys[as].set(frame.requestId, stored);
      this.committedWrites[as].push(stored);
    };
    if (frame.type === 'STAFF_BATCH') return this.batch(frame, as, reply, problems, sent, remember);
    const prediction = this.predict(operationOf(frame), as, this.records, (id) => this.registry.ids.has(id));
    if (prediction.kind === 'refused') return this.refused(prediction, frame.requestId, reply, problems);
    if (prediction.kind === 'noop') {
      if (reply.type !== 'ACK' || reply.change !== null || canon(reply.current) !== canon(prediction.stored.staff) || reply.merged !== undefined) {
        problems.push(`expected a no-op ACK with current, got ${JSON.stringify(reply).slice(0, 300)}`);
      } else remember();
      return { outcome: reply.type === 'ACK' ? 'ACK no-op' : `ERROR ${String(reply.code)}`, problems };
    }
    if (reply.type !== 'ACK' || !reply.change) {
      problems.push(`expected an ACK (${prediction.want.op}), got ${JSON.stringify(reply).slice(0, 400)}`);
      return { outcome: reply.type === 'ERROR' ? `ERROR ${String(reply.code)}` : String(reply.type), problems };
    }
    if (Boolean(reply.merged) !== prediction.want.merged || reply.current !== undefined) problems.push(`merged ${String(reply.merged)}, expected ${prediction.want.merged}`);
    const change = reply.change as Change;
    this.commit(change, prediction.want, problems);
    remember();
    const { want } = prediction;
    return { outcome: want.op === 'update' && want.merged ? 'ACK merged' : `ACK ${want.op}`, problems, broadcast: { type: `STAFF_${change.op.toUpperCase()}`, change } };
  }

  /** The reply to a write the rules refuse: its code, nothing else said (NOT_FOUND and taken ids look alike). */
  private refused(prediction: Extract<Prediction, { kind: 'refused' }>, requestId: string, reply: Json, problems: string[]): Verdict {
    if (prediction.code === 'VERSION_CONFLICT') return this.conflict(reply, requestId, prediction.stored!, problems);
    const verdict = this.error(reply, prediction.code, requestId, problems);
    if (prediction.shape && reply.code === prediction.code) this.sameShape(prediction.shape, reply, problems);
    return verdict;
  }

  /**
   * A batch (docs/protocol.md §6.1): every operation in order, each seeing the earlier ones; the
   * first one the rules refuse refuses the whole batch with its code and nothing is written;
   * else one ACK lists each result, and `sent` (the STAFF_BATCH frames the sender got just before
   * it) holds the committed changes, which every other connection they reach must get too.
   */
  private batch(frame: Extract<ParsedFrame, { type: 'STAFF_BATCH' }>, as: UserIx, reply: Json, problems: string[], sent: readonly Change[], remember: () => void): Verdict {
    if (reply.type !== 'ACK') {
      const scratch = cloneRecords(this.records);
      const created = new Set<string>();
      for (const [index, operation] of frame.operations.entries()) {
        const prediction = this.predict(operation, as, scratch, (id) => this.registry.ids.has(id) || created.has(id));
        if (prediction.kind === 'refused') {
          const verdict = this.error(reply, prediction.code, frame.requestId, problems);
          const paths = (reply.details as { path: string }[] | undefined)?.map((detail) => detail.path) ?? [];
          if (prediction.code === 'VALIDATION_FAILED' && reply.code === 'VALIDATION_FAILED' && !paths.some((path) => path.startsWith(`payload.operations.${index}`))) {
            problems.push(`the batch's refusal names ${paths.join(', ')}, not operation ${index}`);
          }
          return { ...verdict, outcome: `batch ${verdict.outcome}` };
        }
        if (prediction.kind === 'commit') applyTo(scratch, prediction.want, created);
      }
      problems.push(`expected an ACK of ${frame.operations.length} operations, got ${JSON.stringify(reply).slice(0, 400)}`);
      return { outcome: `batch ERROR ${String(reply.code)}`, problems };
    }
    const results = reply.results as Json[] | undefined;
    if (!Array.isArray(results) || results.length !== frame.operations.length) {
      problems.push(`a batch ACK must list ${frame.operations.length} results: ${JSON.stringify(reply).slice(0, 300)}`);
      return { outcome: 'batch ACK', problems };
    }
    const changes: Change[] = [];
    const pending = [...sent];
    for (const [index, operation] of frame.operations.entries()) {
      const result = results[index]!;
      const prediction = this.predict(operation, as, this.records, (id) => this.registry.ids.has(id));
      if (prediction.kind === 'refused') problems.push(`operation ${index} should have refused the batch with ${prediction.code}, got ${canon(result)}`);
      if (prediction.kind === 'noop') {
        const expected = { op: 'update', staffId: prediction.stored.staff.id, seq: null, version: prediction.stored.version };
        if (canon(result) !== canon(expected)) problems.push(`operation ${index}: result ${canon(result)}, expected the no-op ${canon(expected)}`);
        continue;
      }
      // Whatever the model thought, a committed operation's change is taken in (the ACK is the truth from here on).
      const change = pending.shift();
      if (!change) {
        problems.push(`operation ${index} committed but no STAFF_BATCH change came for it before the ACK`);
        continue;
      }
      if (prediction.kind === 'commit') {
        const expected = { op: change.op, staffId: change.staffId, seq: change.seq, version: change.version, ...(prediction.want.merged ? { merged: true } : {}) };
        if (canon(result) !== canon(expected)) problems.push(`operation ${index}: result ${canon(result)}, expected ${canon(expected)}`);
        this.commit(change, prediction.want, problems);
      } else this.take(change);
      changes.push(change);
    }
    if (pending.length > 0) problems.push(`${pending.length} batch changes sent that no result names`);
    remember();
    return { outcome: 'batch ACK', problems, ...(changes.length > 0 ? { batch: changes } : {}) };
  }

  /** What the rules make of one write against `records` (the model's, or a batch's scratch copy), before any reply is seen. */
  private predict(operation: Operation, as: UserIx, records: ReadonlyMap<string, Stored>, taken: (id: string) => boolean): Prediction {
    if (operation.op === 'create') {
      const input = normalize(operation.staff);
      const wanted = typeof input.id === 'string' ? input.id.toLowerCase() : undefined;
      if (wanted && taken(wanted)) return { kind: 'refused', code: 'VALIDATION_FAILED', shape: 'taken id' };
      const { id: _id, ...fields } = input;
      const staff = { ...DEFAULTS, ...fields, id: wanted ?? '', orgId: this.orgId, version: 1, updatedBy: this.userIds[as] };
      return { kind: 'commit', want: { op: 'create', id: wanted ?? '', stored: undefined, as, staff, changedFields: [...FIELDS], merged: false } };
    }
    const id = operation.staffId.toLowerCase();
    const stored = records.get(id);
    if (!stored) return { kind: 'refused', code: 'NOT_FOUND', shape: 'NOT_FOUND' };
    if (operation.baseVersion > stored.version) return { kind: 'refused', code: 'VALIDATION_FAILED' };
    if (operation.op === 'delete') {
      if (operation.baseVersion < stored.version) return { kind: 'refused', code: 'VERSION_CONFLICT', stored };
      return { kind: 'commit', want: { op: 'delete', id, stored, as, staff: stored.staff, changedFields: undefined, merged: false } };
    }
    const sent = normalize(operation.changes);
    const effective = Object.fromEntries(Object.entries(sent).filter(([key, value]) => canon(value) !== canon(stored.staff[key])));
    if (Object.keys(effective).length === 0) return { kind: 'noop', stored };
    const later = new Set<string>();
    for (let version = operation.baseVersion + 1; version <= stored.version; version++) for (const field of stored.history.get(version) ?? []) later.add(field);
    if (Object.keys(effective).some((field) => later.has(field))) return { kind: 'refused', code: 'VERSION_CONFLICT', stored };
    const merged = { ...stored.staff, ...effective };
    if (typeof merged.startDate === 'string' && typeof merged.endDate === 'string' && merged.endDate < merged.startDate) {
      const onlyEnd = 'endDate' in effective && !('startDate' in effective);
      const onlyStart = 'startDate' in effective && !('endDate' in effective);
      if ((onlyEnd && later.has('startDate')) || (onlyStart && later.has('endDate'))) return { kind: 'refused', code: 'VERSION_CONFLICT', stored };
      return { kind: 'refused', code: 'VALIDATION_FAILED' };
    }
    const changedFields = FIELDS.filter((field) => field in effective);
    const staff = { ...merged, version: stored.version + 1, updatedBy: this.userIds[as] };
    return { kind: 'commit', want: { op: 'update', id, stored, as, staff, changedFields, merged: operation.baseVersion < stored.version } };
  }

  private conflict(reply: Json, requestId: string, stored: Stored, problems: string[]): Verdict {
    return this.error(reply, 'VERSION_CONFLICT', requestId, problems, (r) => {
      if (canon(r.current) !== canon(stored.staff)) problems.push(`VERSION_CONFLICT current ${canon(r.current).slice(0, 200)} is not the record ${canon(stored.staff).slice(0, 200)}`);
    });
  }

  /** Checks a committed change against what the rules wanted, then takes it in. */
  private commit(change: Change, want: Want, problems: string[]): void {
    const version = want.op === 'create' ? 1 : want.stored!.version + 1;
    // A create without an id gets one from the server.
    const id = want.id || (typeof change.staffId === 'string' ? change.staffId : '');
    const expectedStaff = want.op === 'delete' ? want.stored!.staff : { ...want.staff, id };
    if (change.seq !== this.latestSeq() + 1) problems.push(`seq ${change.seq} after ${this.latestSeq()}: a gap or a write nobody acknowledged`);
    if (change.op !== want.op || change.version !== version || change.staffId !== id || !UUID.test(change.staffId)) {
      problems.push(`change ${change.op} v${change.version} of ${change.staffId}, expected ${want.op} v${version} of ${id}`);
    }
    if (change.actor !== this.userIds[want.as] || change.origin !== 'ws' || typeof change.at !== 'string' || !ISO.test(change.at)) problems.push('change actor/origin/at wrong');
    if (want.changedFields && canon(change.changedFields) !== canon(want.changedFields)) problems.push(`changedFields ${canon(change.changedFields)} instead of ${canon(want.changedFields)}`);
    const staff = change.staff;
    if (Object.keys(staff).sort().join(',') !== STAFF_KEYS) problems.push(`staff keys ${Object.keys(staff).sort().join(',')}`);
    for (const field of [...FIELDS, 'id', 'orgId', 'version', 'updatedBy'] as (FieldName | string)[]) {
      if (canon(staff[field]) !== canon(expectedStaff[field])) problems.push(`${want.op}: ${field} is ${canon(staff[field]).slice(0, 120)}, expected ${canon(expectedStaff[field]).slice(0, 120)}`);
    }
    if (!ISO.test(String(staff.createdAt)) || !ISO.test(String(staff.updatedAt))) problems.push('staff times not ISO');
    if (want.op === 'update' && staff.createdAt !== want.stored!.staff.createdAt) problems.push('an update changed createdAt');

    const before = want.op === 'create' ? null : (want.stored!.staff.department as string | null);
    const after = want.op === 'delete' ? null : (staff.department as string | null);
    const touched = [...new Set([before, after].filter((d): d is string => d !== null && d !== ''))];
    const expectedDeptSeqs = Object.fromEntries(touched.map((department) => [department, this.departmentSeq(department) + 1]));
    if (canon(change.deptSeqs) !== canon(expectedDeptSeqs)) problems.push(`deptSeqs ${canon(change.deptSeqs)}, expected ${canon(expectedDeptSeqs)}`);
    // Apply what the server says, so one wrong reply does not derail the rest of the lane.
    this.take(change);
  }

  /** Takes a committed change into the model as the server reports it. */
  private take(change: Change): void {
    this.changes.push(change);
    this.takeDeptSeqs(change);
    if (change.op === 'delete') {
      this.records.delete(change.staffId);
      this.tombstones.push(change.staffId);
      return;
    }
    const stored = this.records.get(change.staffId) ?? { staff: change.staff, version: 0, history: new Map<number, string[]>() };
    stored.staff = change.staff;
    stored.version = change.version;
    stored.history.set(change.version, change.changedFields);
    this.records.set(change.staffId, stored);
    this.registry.add(change.staffId, this.orgId);
  }
}
