/**
 * Generated client frames for the fuzzer. Each generated `Spec` is a recipe that becomes a
 * concrete `Draft` (the bytes to send and what the parser must make of them) against the lane's
 * state when its turn comes, so frames can name live, deleted and other orgs' records.
 *
 * Parser-level outcomes (BAD_REQUEST, UNKNOWN_TYPE, VALIDATION_FAILED, PAYLOAD_TOO_LARGE) are
 * known by construction; the store-level ones (ACK, NOT_FOUND, conflicts, replays) are decided
 * by the model (fuzz-model.ts).
 */
import fc from 'fast-check';
import type { ErrorCode } from '../../../shared/errors';
import { encodeCursor } from '../../../shared/staff-store/cursor';
import { FIELDS, badValueArb, changesArb, staffInputArb, withKey, type BadValue } from './fuzz-values';

/** 0 = manager, 1 = admin, 2 = viewer (read only). */
export type UserIx = 0 | 1 | 2;

export type ParsedFrame =
  | { readonly type: 'PING'; readonly requestId?: string }
  | { readonly type: 'SYNC_REQUEST'; readonly requestId?: string; readonly sinceSeq?: number; readonly cursor?: 'foreign' | 'garbage' | 'ahead' }
  | { readonly type: 'STAFF_CREATE'; readonly requestId: string; readonly staff: Record<string, unknown> }
  | { readonly type: 'STAFF_UPDATE'; readonly requestId: string; readonly staffId: string; readonly baseVersion: number; readonly changes: Record<string, unknown> }
  | { readonly type: 'STAFF_DELETE'; readonly requestId: string; readonly staffId: string; readonly baseVersion: number };

export interface Draft {
  /** The generator family, for the figures. */
  readonly family: string;
  /** What the `type` field says (or why there is none), for the figures. */
  readonly typeLabel: string;
  readonly as: UserIx;
  /** A text frame, or bytes for a binary frame. */
  readonly wire: string | Uint8Array;
  /** Over a socket: split a text frame over 32 KB into ≤ 32 KB fragments of one message. */
  readonly fragment: boolean;
  /** `wire` bytes go out as a TEXT frame (invalid UTF-8: the WebSocket layer fails the connection with 1007). */
  readonly textBytes?: boolean;
  /** The parser's refusal, or undefined when the frame parses. */
  readonly refusal?: { readonly code: ErrorCode; readonly echo?: string };
  /** The parsed frame (when it parses), in the form the model judges. */
  readonly frame?: ParsedFrame;
}

/** What a recipe can see of the lane when it is turned into bytes. */
export interface LaneView {
  readonly orgId: string;
  readonly foreignOrgId: string;
  live(): readonly { id: string; version: number; staff: Record<string, unknown> }[];
  deleted(): readonly string[];
  /** Live and deleted ids of other orgs (the foreign fixture org and the other lanes). */
  foreign(): readonly { id: string; staff?: Record<string, unknown> }[];
  latestSeq(): number;
  /** Committed writes of a user: their requestId and exact wire text, for replays and reuse. */
  committed(user: UserIx): readonly { requestId: string; wire: string }[];
  /** A requestId never used in this lane. */
  freshRequestId(): string;
}

export interface Spec {
  readonly family: string;
  readonly as: UserIx;
  make(view: LaneView): Draft;
}

const WRITE_TYPES = ['STAFF_CREATE', 'STAFF_UPDATE', 'STAFF_DELETE'] as const;
const ALL_TYPES = [...WRITE_TYPES, 'SYNC_REQUEST', 'PING'] as const;

const userArb = fc.constantFrom<UserIx>(0, 0, 0, 1, 1, 2);
const writerArb = fc.constantFrom<UserIx>(0, 0, 1);
/** Mostly writers; the viewer's writes must all be FORBIDDEN. */
const mostlyWritersArb = fc.constantFrom<UserIx>(0, 0, 0, 0, 1, 1, 1, 2);
const pick = <T>(items: readonly T[], n: number): T | undefined => (items.length === 0 ? undefined : items[n % items.length]);
const upper = (id: string) => id.toUpperCase();

/** A recipe's result; the family and (unless the recipe picks one) the user come from the spec. */
type Made = Omit<Draft, 'family' | 'as'> & { readonly as?: UserIx };

const text = (wire: string, code: ErrorCode, typeLabel = 'not JSON', fragment = false): Made => ({ typeLabel, wire, fragment, refusal: { code } });

const labelOf = (type: unknown): string =>
  typeof type === 'string' ? ((ALL_TYPES as readonly string[]).includes(type) ? type : 'unknown type') : type === undefined ? 'no type' : 'type not a string';

/** A number written into the wire as is (`1e400`), which JSON.stringify cannot produce. */
export const rawNumber = (text: string): string => `@@raw:${text}@@`;
const RAW_NUMBER = /"@@raw:([^@"]+)@@"/g;
const wireOf = (frame: unknown): string => JSON.stringify(frame).replace(RAW_NUMBER, '$1');

const objectDraft = (frame: Record<string, unknown>, refusal?: Draft['refusal'], parsed?: ParsedFrame, fragment = false): Made => ({
  typeLabel: labelOf(frame.type),
  wire: wireOf(frame),
  fragment,
  ...(refusal ? { refusal } : {}),
  ...(parsed ? { frame: parsed } : {}),
});

const spec = (family: string, arb: fc.Arbitrary<(view: LaneView) => Made>, users: fc.Arbitrary<UserIx> = userArb): fc.Arbitrary<Spec> =>
  fc.tuple(arb, users).map(([make, as]) => ({
    family,
    as,
    make: (view) => {
      const made = make(view);
      return { ...made, family, as: made.as ?? as };
    },
  }));

// ---------------------------------------------------------------- not a frame at all

const notJson = spec(
  'malformed JSON',
  fc
    .oneof(
      fc.string({ maxLength: 60 }),
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.constantFrom('{', '{"type":"PING"', "{'type':'PING'}", '{"type":"PING",}', '{"type":PING}', 'NaN', '{"a":1}{"b":2}', '{"type":"PING"} x', '/* */{}', '\u0000', '{"type":"PING","requestId":"a"\u0000}'),
      fc.tuple(fc.uuid(), fc.nat()).map(([id, cut]) => {
        const whole = JSON.stringify({ type: 'STAFF_CREATE', requestId: id, payload: { staff: { name: 'x' } } });
        return whole.slice(0, 1 + (cut % (whole.length - 1)));
      }),
    )
    .filter((value) => {
      if (value.length === 0) return true;
      try {
        JSON.parse(value);
        return false;
      } catch {
        return true;
      }
    })
    .map((value) => (_view: LaneView) => text(value, 'BAD_REQUEST', value.length === 0 ? 'empty' : 'not JSON')),
);

const notObject = spec(
  'JSON that is not an object',
  fc
    .jsonValue({ maxDepth: 3 })
    .filter((value) => typeof value !== 'object' || value === null || Array.isArray(value))
    .map((value) => (_view: LaneView) => text(JSON.stringify(value), 'BAD_REQUEST', 'not an object')),
);

const binary = spec(
  'binary frame',
  fc
    .oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.uuid().map((id) => new TextEncoder().encode(JSON.stringify({ type: 'STAFF_CREATE', requestId: id, payload: { staff: { name: 'binary' } } }))),
      fc.constant(new TextEncoder().encode('{"type":"PING"}')),
    )
    .map((bytes) => (_view: LaneView): Made => ({ typeLabel: 'binary', wire: bytes, fragment: false, refusal: { code: 'BAD_REQUEST' } })),
);

/** Text frames that are not UTF-8: RFC 6455 fails the connection (1007); a handler that got them would see no JSON. */
const invalidUtf8 = spec(
  'text frame not UTF-8',
  fc.constantFrom([0x7b, 0xff, 0xfe, 0x7d], [0x7b, 0x22, 0xe2, 0x82], [0xc0, 0xaf], [0xed, 0xa0, 0x80]).map((bytes) => (_view: LaneView): Made => ({
    typeLabel: 'not UTF-8',
    wire: Uint8Array.from(bytes),
    fragment: false,
    textBytes: true,
    refusal: { code: 'BAD_REQUEST' },
  })),
);

const tooDeep = spec(
  'deep nesting',
  fc.tuple(fc.integer({ min: 33, max: 20_000 }), fc.constantFrom('[', '{"a":'), fc.uuid(), fc.boolean()).map(([depth, open, id, inFrame]) => (_view: LaneView) => {
    const close = open === '[' ? ']' : '}';
    const nested = `${open.repeat(depth)}1${close.repeat(depth)}`;
    const wire = inFrame ? `{"type":"STAFF_CREATE","requestId":"${id}","payload":{"staff":{"name":"deep","metadata":{"x":${nested}}}}}` : nested;
    return text(wire, 'BAD_REQUEST', inFrame ? 'STAFF_CREATE' : 'not an object', true);
  }),
);

const oversize = spec(
  'frame over 128 KB',
  fc.tuple(fc.integer({ min: 128 * 1024 + 1, max: 200 * 1024 }), fc.constantFrom('name', 'requestId', 'raw')).map(([size, where]) => (_view: LaneView) => {
    const filler = 'x'.repeat(size);
    const wire =
      where === 'raw'
        ? filler
        : where === 'name'
          ? JSON.stringify({ type: 'STAFF_CREATE', requestId: 'big', payload: { staff: { name: filler } } })
          : JSON.stringify({ type: 'PING', requestId: filler });
    return text(wire, 'PAYLOAD_TOO_LARGE', where === 'raw' ? 'not JSON' : where === 'name' ? 'STAFF_CREATE' : 'PING', true);
  }),
);

/** Over 32 KB but under 128 KB: one piece closes a socket with 1009, fragments reach the handler. */
const bigFrame = spec(
  'frame between 32 and 128 KB',
  fc.tuple(fc.integer({ min: 33 * 1024, max: 120 * 1024 }), fc.boolean()).map(([size, fragment]) => (view: LaneView) => {
    const requestId = view.freshRequestId();
    const frame = { type: 'STAFF_CREATE', requestId, payload: { staff: { name: 'big', metadata: { blob: 'm'.repeat(size) } } } };
    return objectDraft(frame, { code: 'PAYLOAD_TOO_LARGE', echo: requestId }, undefined, fragment);
  }),
);

// ---------------------------------------------------------------- bad envelopes

const badRequestIds = ['', 'a'.repeat(65), 'has space', 'dot.dot', 'slash/', 'ünï', '😀', 'line\nbreak', 42, null, true, ['r1'], { id: 'r1' }];

const badRequestId = spec(
  'bad requestId',
  fc.tuple(fc.constantFrom(...ALL_TYPES), fc.constantFrom(...badRequestIds)).map(([type, requestId]) => (_view: LaneView) =>
    objectDraft({ type, requestId, payload: {} }, { code: 'BAD_REQUEST' }),
  ),
);

const noType = spec(
  'no type',
  fc.tuple(fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/).filter((k) => k !== 'type'), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }), fc.option(fc.uuid())).map(
    ([fields, requestId]) => (_view: LaneView) => {
      const frame: Record<string, unknown> = { ...fields };
      if (requestId !== null) frame.requestId = requestId;
      return objectDraft(frame, requestId === null ? { code: 'BAD_REQUEST' } : { code: 'BAD_REQUEST', echo: requestId });
    },
  ),
);

const typeNotString = spec(
  'type not a string',
  fc.tuple(fc.constantFrom<unknown>(1, 0, null, true, ['PING'], { type: 'PING' }), fc.uuid()).map(([type, requestId]) => (_view: LaneView) =>
    objectDraft({ type, requestId }, { code: 'BAD_REQUEST', echo: requestId }),
  ),
);

const unknownType = spec(
  'unknown type',
  fc
    .tuple(
      fc.oneof(
        fc.constantFrom('ping', 'Ping', 'PING ', ' PING', 'STAFF_CREATE\u0000', 'staff_create', 'STAFF_UPSERT', 'ACK', 'PONG', 'ERROR', 'SYNC_RESPONSE', '', '__proto__', 'constructor'),
        fc.string({ maxLength: 30 }),
        fc.constant('X'.repeat(20_000)),
      ),
      fc.option(fc.uuid()),
    )
    .filter(([type]) => !(ALL_TYPES as readonly string[]).includes(type))
    .map(([type, requestId]) => (_view: LaneView) => {
      const frame: Record<string, unknown> = { type, payload: {} };
      if (requestId !== null) frame.requestId = requestId;
      return objectDraft(frame, requestId === null ? { code: 'UNKNOWN_TYPE' } : { code: 'UNKNOWN_TYPE', echo: requestId }, undefined, true);
    }),
);

const writeWithoutRequestId = spec(
  'write without requestId',
  fc.tuple(fc.constantFrom(...WRITE_TYPES), staffInputArb).map(([type, staff]) => (view: LaneView) => {
    const target = pick(view.live(), staff.name ? String(staff.name).length : 0);
    const payload =
      type === 'STAFF_CREATE' ? { staff } : type === 'STAFF_UPDATE' ? { staffId: target?.id ?? '00000000-0000-4000-8000-000000000000', baseVersion: target?.version ?? 1, changes: { name: 'x' } } : { staffId: target?.id ?? '00000000-0000-4000-8000-000000000000', baseVersion: target?.version ?? 1 };
    return objectDraft({ type, payload }, { code: 'BAD_REQUEST' });
  }),
  writerArb,
);

const extraEnvelopeField = spec(
  'unknown envelope field',
  fc.tuple(fc.constantFrom('PING', 'SYNC_REQUEST', 'STAFF_DELETE'), fc.constantFrom('extra', 'orgId', 'userId', 'role', '__proto__', 'constructor', 'Type'), fc.uuid()).map(
    ([type, key, requestId]) => (view: LaneView) => {
      const target = pick(view.live(), requestId.charCodeAt(0));
      const payload = type === 'STAFF_DELETE' ? { staffId: target?.id ?? requestId, baseVersion: target?.version ?? 1 } : {};
      const frame = withKey({ type, requestId, payload }, key, key === '__proto__' ? { polluted: true } : 'x');
      return objectDraft(frame, { code: 'VALIDATION_FAILED', echo: requestId });
    },
  ),
);

// ---------------------------------------------------------------- PING and SYNC_REQUEST

const ping = spec(
  'PING',
  fc.tuple(fc.option(fc.uuid()), fc.constantFrom<'absent' | 'empty'>('absent', 'empty')).map(([requestId, payload]) => (_view: LaneView) => {
    const frame: Record<string, unknown> = { type: 'PING' };
    if (requestId !== null) frame.requestId = requestId;
    if (payload === 'empty') frame.payload = {};
    return objectDraft(frame, undefined, requestId === null ? { type: 'PING' } : { type: 'PING', requestId });
  }),
);

const pingBadPayload = spec(
  'PING with a bad payload',
  fc.tuple(fc.uuid(), fc.constantFrom<unknown>('x', 1, null, [], [{}], { a: 1 }, { sinceSeq: 0 })).map(([requestId, payload]) => (_view: LaneView) =>
    objectDraft({ type: 'PING', requestId, payload }, { code: 'VALIDATION_FAILED', echo: requestId }),
  ),
);

const sync = spec(
  'SYNC_REQUEST',
  fc.tuple(fc.option(fc.uuid()), fc.oneof(fc.constant<'absent'>('absent'), fc.constant<'empty'>('empty'), fc.integer({ min: -3, max: 8 }))).map(([requestId, since]) => (view: LaneView) => {
    const frame: Record<string, unknown> = { type: 'SYNC_REQUEST' };
    if (requestId !== null) frame.requestId = requestId;
    let sinceSeq: number | undefined;
    if (since === 'empty') frame.payload = {};
    if (typeof since === 'number') {
      sinceSeq = Math.max(0, view.latestSeq() - since);
      frame.payload = { sinceSeq };
    }
    const parsed: ParsedFrame = { type: 'SYNC_REQUEST', ...(requestId === null ? {} : { requestId }), ...(sinceSeq === undefined ? {} : { sinceSeq }) };
    return objectDraft(frame, undefined, parsed);
  }),
);

const syncBadCursor = spec(
  'SYNC_REQUEST with a cursor not of this org',
  fc.tuple(fc.uuid(), fc.constantFrom<'foreign' | 'garbage' | 'ahead'>('foreign', 'garbage', 'ahead'), fc.nat()).map(([requestId, kind, n]) => (view: LaneView) => {
    const cursor =
      kind === 'foreign'
        ? encodeCursor(view.foreignOrgId, n % 2 ? { mode: 'delta', seq: 1 } : { mode: 'snapshot', seq: 1, afterId: requestId })
        : kind === 'ahead'
          ? encodeCursor(view.orgId, { mode: 'snapshot', seq: view.latestSeq() + 1 + (n % 5), afterId: requestId })
          : ['abc', 'eyJ2IjoxfQ', Buffer.from('{"v":1,"o":"x","m":"delta","s":-1}').toString('base64url'), 'not base64!', '=='][n % 5]!;
    return objectDraft({ type: 'SYNC_REQUEST', requestId, payload: { cursor } }, undefined, { type: 'SYNC_REQUEST', requestId, cursor: kind });
  }),
);

const syncBadPayload = spec(
  'SYNC_REQUEST with a bad payload',
  fc.tuple(fc.uuid(), fc.constantFrom<unknown>({ sinceSeq: -1 }, { sinceSeq: 1.5 }, { sinceSeq: '3' }, { sinceSeq: null }, { sinceSeq: 0, cursor: 'abc' }, { cursor: '' }, { cursor: 'c'.repeat(2049) }, { cursor: 7 }, { since: 1 }, 'x', [], null)).map(
    ([requestId, payload]) => (_view: LaneView) => objectDraft({ type: 'SYNC_REQUEST', requestId, payload }, { code: 'VALIDATION_FAILED', echo: requestId }),
  ),
);

// ---------------------------------------------------------------- writes

const createValidRecipe =   fc.tuple(staffInputArb, fc.constantFrom<'none' | 'fresh' | 'upper'>('none', 'fresh', 'fresh', 'upper'), fc.uuid(), fc.boolean()).map(([staff, idKind, id, big]) => (view: LaneView) => {
    const requestId = view.freshRequestId();
    const input = idKind === 'none' ? staff : { ...staff, id: idKind === 'upper' ? upper(id) : id };
    return objectDraft({ type: 'STAFF_CREATE', requestId, payload: { staff: input } }, undefined, { type: 'STAFF_CREATE', requestId, staff: input }, big);
  });

const createValid = spec('STAFF_CREATE', createValidRecipe, mostlyWritersArb);

const createTakenId = spec(
  'STAFF_CREATE with a taken id',
  fc.tuple(staffInputArb, fc.constantFrom<'own live' | 'own deleted' | 'foreign' | 'foreign upper'>('own live', 'own deleted', 'foreign', 'foreign upper'), fc.nat()).map(([staff, kind, n]) => (view: LaneView) => {
    const requestId = view.freshRequestId();
    const id =
      kind === 'own live' ? pick(view.live(), n)?.id : kind === 'own deleted' ? pick(view.deleted(), n) : pick(view.foreign(), n)?.id;
    const input = { ...staff, ...(id ? { id: kind === 'foreign upper' ? upper(id) : id } : {}) };
    return objectDraft({ type: 'STAFF_CREATE', requestId, payload: { staff: input } }, undefined, { type: 'STAFF_CREATE', requestId, staff: input });
  }),
  mostlyWritersArb,
);

const applyBad = (target: Record<string, unknown>, badValue: BadValue): Record<string, unknown> => withKey(target, badValue.field, badValue.value);

const createInvalid = spec(
  'STAFF_CREATE with a bad field',
  fc.tuple(staffInputArb, badValueArb, fc.boolean()).map(([staff, badValue, fragment]) => (view: LaneView) => {
    const requestId = view.freshRequestId();
    const input = applyBad(staff, badValue);
    return objectDraft({ type: 'STAFF_CREATE', requestId, payload: { staff: input } }, { code: badValue.code, echo: requestId }, undefined, fragment);
  }),
);

const createBadShape = spec(
  'STAFF_CREATE with a bad payload',
  fc.tuple(fc.constantFrom<unknown>(undefined, null, 'x', [], {}, { staff: null }, { staff: [] }, { staff: 'Ada' }, { staff: {} }, { staff: { email: 'a@b.co' } }, { staff: { name: 'x', startDate: '2026-02-01', endDate: '2026-01-01' } }, { staff: { name: 'x' }, extra: 1 }, { Staff: { name: 'x' } })).map(
    ([payload]) => (view: LaneView) => {
      const requestId = view.freshRequestId();
      const frame: Record<string, unknown> = { type: 'STAFF_CREATE', requestId };
      if (payload !== undefined) frame.payload = payload;
      return objectDraft(frame, { code: 'VALIDATION_FAILED', echo: requestId });
    },
  ),
);

const baseRel = fc.constantFrom<'current' | 'older' | 'ahead'>('current', 'current', 'older', 'older', 'ahead');

const updateValid = spec(
  'STAFF_UPDATE',
  fc.tuple(fc.nat(), baseRel, changesArb, fc.nat(), fc.boolean()).map(([n, rel, changes, m, copyCurrent]) => (view: LaneView) => {
    const requestId = view.freshRequestId();
    const target = pick(view.live(), n);
    if (!target) return objectDraft({ type: 'PING', requestId }, undefined, { type: 'PING', requestId });
    const baseVersion = rel === 'current' ? target.version : rel === 'older' ? 1 + (m % target.version) : target.version + 1 + (m % 3);
    // Sometimes name a field with its current value: it is dropped before the write (maybe a no-op).
    const sent = copyCurrent ? { ...changes, [FIELDS[m % FIELDS.length]!]: target.staff[FIELDS[m % FIELDS.length]!] } : changes;
    const payload = { staffId: n % 7 === 0 ? upper(target.id) : target.id, baseVersion, changes: sent };
    return objectDraft({ type: 'STAFF_UPDATE', requestId, payload }, undefined, { type: 'STAFF_UPDATE', requestId, ...payload });
  }),
  mostlyWritersArb,
);

const missingKinds = fc.constantFrom<'random' | 'own deleted' | 'foreign' | 'foreign probe'>('random', 'own deleted', 'foreign', 'foreign', 'foreign probe');

function missingTarget(view: LaneView, kind: string, n: number, fallback: string): { id: string; probe?: Record<string, unknown> } {
  if (kind === 'own deleted') return { id: pick(view.deleted(), n) ?? fallback };
  if (kind === 'foreign' || kind === 'foreign probe') {
    const foreign = pick(view.foreign(), n);
    if (!foreign) return { id: fallback };
    // The probe names the foreign record's current values: a no-op there, so only NOT_FOUND hides it.
    return kind === 'foreign probe' && foreign.staff ? { id: foreign.id, probe: { name: foreign.staff.name, status: foreign.staff.status } } : { id: foreign.id };
  }
  return { id: fallback };
}

const updateMissing = spec(
  'STAFF_UPDATE of a record not in the org',
  fc.tuple(missingKinds, fc.nat(), fc.uuid(), changesArb, fc.integer({ min: 1, max: 3 })).map(([kind, n, fallback, changes, baseVersion]) => (view: LaneView) => {
    const requestId = view.freshRequestId();
    const { id, probe } = missingTarget(view, kind, n, fallback);
    const payload = { staffId: id, baseVersion, changes: probe ?? changes };
    return objectDraft({ type: 'STAFF_UPDATE', requestId, payload }, undefined, { type: 'STAFF_UPDATE', requestId, ...payload });
  }),
  mostlyWritersArb,
);

const updateInvalid = spec(
  'STAFF_UPDATE with a bad field',
  fc
    .tuple(
      fc.nat(),
      fc.oneof(
        { arbitrary: badValueArb.map((badValue) => ({ badValue })), weight: 6 },
        { arbitrary: fc.constantFrom<unknown>(0, -1, 1.5, '1', null, 2147483648).map((baseVersion) => ({ baseVersion })), weight: 2 },
        { arbitrary: fc.constantFrom<unknown>('not-a-uuid', '', 42, null, '00000000-0000-0000-0000-00000000000g').map((staffId) => ({ staffId })), weight: 2 },
        { arbitrary: fc.constantFrom<unknown>({}, null, [], 'x', { id: '00000000-0000-4000-8000-000000000000' }, { startDate: '2026-02-01', endDate: '2026-01-01' }).map((changes) => ({ changes })), weight: 2 },
      ),
      changesArb,
    )
    .map(([n, broken, changes]) => (view: LaneView) => {
      const requestId = view.freshRequestId();
      const target = pick(view.live(), n);
      const payload: Record<string, unknown> = { staffId: target?.id ?? '00000000-0000-4000-8000-000000000000', baseVersion: target?.version ?? 1, changes };
      let code: ErrorCode = 'VALIDATION_FAILED';
      if ('badValue' in broken) {
        payload.changes = applyBad(changes, broken.badValue);
        code = broken.badValue.code;
      } else Object.assign(payload, broken);
      return objectDraft({ type: 'STAFF_UPDATE', requestId, payload }, { code, echo: requestId });
    }),
);

const deleteValid = spec(
  'STAFF_DELETE',
  fc.tuple(fc.nat(), fc.constantFrom<'current' | 'older' | 'ahead'>('current', 'current', 'older', 'ahead'), fc.nat()).map(([n, rel, m]) => (view: LaneView) => {
    const requestId = view.freshRequestId();
    const target = pick(view.live(), n);
    // Keep a population to work on: with few records left, a delete becomes a stale one.
    if (!target) return objectDraft({ type: 'PING', requestId }, undefined, { type: 'PING', requestId });
    const effective = view.live().length < 8 && rel === 'current' ? 'ahead' : rel;
    const baseVersion = effective === 'current' ? target.version : effective === 'older' ? Math.max(1, target.version - 1 - (m % 3)) : target.version + 1 + (m % 2);
    const payload = { staffId: target.id, baseVersion };
    return objectDraft({ type: 'STAFF_DELETE', requestId, payload }, undefined, { type: 'STAFF_DELETE', requestId, ...payload });
  }),
  mostlyWritersArb,
);

const deleteMissing = spec(
  'STAFF_DELETE of a record not in the org',
  fc.tuple(missingKinds, fc.nat(), fc.uuid(), fc.integer({ min: 1, max: 4 })).map(([kind, n, fallback, baseVersion]) => (view: LaneView) => {
    const requestId = view.freshRequestId();
    const payload = { staffId: missingTarget(view, kind, n, fallback).id, baseVersion };
    return objectDraft({ type: 'STAFF_DELETE', requestId, payload }, undefined, { type: 'STAFF_DELETE', requestId, ...payload });
  }),
  mostlyWritersArb,
);

const deleteInvalid = spec(
  'STAFF_DELETE with a bad payload',
  fc.tuple(fc.nat(), fc.constantFrom<Record<string, unknown>>({ baseVersion: 0 }, { baseVersion: '1' }, { baseVersion: null }, { staffId: 'x' }, { staffId: null }, { extra: true }, { changes: { name: 'x' } })).map(
    ([n, broken]) => (view: LaneView) => {
      const requestId = view.freshRequestId();
      const target = pick(view.live(), n);
      const payload = { staffId: target?.id ?? '00000000-0000-4000-8000-000000000000', baseVersion: target?.version ?? 1, ...broken };
      return objectDraft({ type: 'STAFF_DELETE', requestId, payload }, { code: 'VALIDATION_FAILED', echo: requestId });
    },
  ),
);

// ---------------------------------------------------------------- requestId reuse

/** The exact text of a committed write sent again by the same user: the original ACK, nothing broadcast. */
const replay = spec(
  'replayed requestId',
  fc.tuple(fc.nat(), fc.constantFrom<UserIx>(0, 1)).map(([n, as]) => (view: LaneView): Made => {
    const done = pick(view.committed(as), n);
    if (!done) return { ...objectDraft({ type: 'PING' }, undefined, { type: 'PING' }), as };
    const parsed = JSON.parse(done.wire) as { type: ParsedFrame['type']; requestId: string; payload: Record<string, unknown> };
    return { ...objectDraft(parsed, undefined, toParsed(parsed)), wire: done.wire, as };
  }),
);

/** A committed requestId on a different request: VALIDATION_FAILED at `requestId` (the model checks the payloads differ). */
const reuse = spec(
  'reused requestId',
  fc.tuple(fc.nat(), fc.constantFrom<UserIx>(0, 1), staffInputArb, fc.boolean()).map(([n, as, staff, otherUser]) => (view: LaneView): Made => {
    // From the other writer, the same requestId is a new key: evaluated afresh.
    const owner: UserIx = otherUser ? (as === 0 ? 1 : 0) : as;
    const done = pick(view.committed(owner), n);
    const requestId = done?.requestId ?? view.freshRequestId();
    const frame = { type: 'STAFF_CREATE' as const, requestId, payload: { staff } };
    return { ...objectDraft(frame, undefined, { type: 'STAFF_CREATE', requestId, staff }), as };
  }),
);

function toParsed(frame: { type: ParsedFrame['type']; requestId: string; payload: Record<string, unknown> }): ParsedFrame {
  const { type, requestId, payload } = frame;
  if (type === 'STAFF_CREATE') return { type, requestId, staff: payload.staff as Record<string, unknown> };
  if (type === 'STAFF_UPDATE') return { type, requestId, staffId: payload.staffId as string, baseVersion: payload.baseVersion as number, changes: payload.changes as Record<string, unknown> };
  if (type === 'STAFF_DELETE') return { type, requestId, staffId: payload.staffId as string, baseVersion: payload.baseVersion as number };
  throw new Error(`not a write: ${type}`);
}

/** Every family with its weight: about one frame in five reaches the database (the rest is refused before it). */
export const specArb: fc.Arbitrary<Spec> = fc.oneof(
  { arbitrary: notJson, weight: 8 },
  { arbitrary: notObject, weight: 4 },
  { arbitrary: binary, weight: 4 },
  { arbitrary: invalidUtf8, weight: 1 },
  { arbitrary: tooDeep, weight: 2 },
  { arbitrary: oversize, weight: 1 },
  { arbitrary: bigFrame, weight: 1 },
  { arbitrary: badRequestId, weight: 6 },
  { arbitrary: noType, weight: 4 },
  { arbitrary: typeNotString, weight: 3 },
  { arbitrary: unknownType, weight: 5 },
  { arbitrary: writeWithoutRequestId, weight: 3 },
  { arbitrary: extraEnvelopeField, weight: 3 },
  { arbitrary: ping, weight: 2 },
  { arbitrary: pingBadPayload, weight: 3 },
  { arbitrary: sync, weight: 1 },
  { arbitrary: syncBadCursor, weight: 1 },
  { arbitrary: syncBadPayload, weight: 3 },
  { arbitrary: createValid, weight: 4 },
  { arbitrary: createTakenId, weight: 1 },
  { arbitrary: createInvalid, weight: 14 },
  { arbitrary: createBadShape, weight: 4 },
  { arbitrary: updateValid, weight: 9 },
  { arbitrary: updateMissing, weight: 2 },
  { arbitrary: updateInvalid, weight: 10 },
  { arbitrary: deleteValid, weight: 1 },
  { arbitrary: deleteMissing, weight: 1 },
  { arbitrary: deleteInvalid, weight: 3 },
  { arbitrary: replay, weight: 2 },
  { arbitrary: reuse, weight: 2 },
);

/** A create every lane starts with, so updates and deletes have records to work on. */
export const seedCreateArb: fc.Arbitrary<Spec> = spec('seed STAFF_CREATE', createValidRecipe, fc.constant<UserIx>(0));
