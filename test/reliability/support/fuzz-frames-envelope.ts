/**
 * Fuzzer families that never reach a write: text that is not a frame, binary, non-UTF-8, deep,
 * oversize, bad envelopes (requestId, type, unknown fields), and PING / SYNC_REQUEST frames.
 */
import fc from 'fast-check';
import { encodeCursor } from '../../../shared/staff-store/cursor';
import { ALL_TYPES, WRITE_TYPES, objectDraft, pick, spec, text, writerArb, type LaneView, type Made, type ParsedFrame } from './fuzz-frames';
import { staffInputArb, withKey } from './fuzz-values';

export const notJson = spec(
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

export const notObject = spec(
  'JSON that is not an object',
  fc
    .jsonValue({ maxDepth: 3 })
    .filter((value) => typeof value !== 'object' || value === null || Array.isArray(value))
    .map((value) => (_view: LaneView) => text(JSON.stringify(value), 'BAD_REQUEST', 'not an object')),
);

export const binary = spec(
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
export const invalidUtf8 = spec(
  'text frame not UTF-8',
  fc.constantFrom([0x7b, 0xff, 0xfe, 0x7d], [0x7b, 0x22, 0xe2, 0x82], [0xc0, 0xaf], [0xed, 0xa0, 0x80]).map((bytes) => (_view: LaneView): Made => ({
    typeLabel: 'not UTF-8',
    wire: Uint8Array.from(bytes),
    fragment: false,
    textBytes: true,
    refusal: { code: 'BAD_REQUEST' },
  })),
);

export const tooDeep = spec(
  'deep nesting',
  fc.tuple(fc.integer({ min: 33, max: 20_000 }), fc.constantFrom('[', '{"a":'), fc.uuid(), fc.boolean()).map(([depth, open, id, inFrame]) => (_view: LaneView) => {
    const close = open === '[' ? ']' : '}';
    const nested = `${open.repeat(depth)}1${close.repeat(depth)}`;
    const wire = inFrame ? `{"type":"STAFF_CREATE","requestId":"${id}","payload":{"staff":{"name":"deep","metadata":{"x":${nested}}}}}` : nested;
    return text(wire, 'BAD_REQUEST', inFrame ? 'STAFF_CREATE' : 'not an object', true);
  }),
);

export const oversize = spec(
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
export const bigFrame = spec(
  'frame between 32 and 128 KB',
  fc.tuple(fc.integer({ min: 33 * 1024, max: 120 * 1024 }), fc.boolean()).map(([size, fragment]) => (view: LaneView) => {
    const requestId = view.freshRequestId();
    const frame = { type: 'STAFF_CREATE', requestId, payload: { staff: { name: 'big', metadata: { blob: 'm'.repeat(size) } } } };
    return objectDraft(frame, { code: 'PAYLOAD_TOO_LARGE', echo: requestId }, undefined, fragment);
  }),
);

// ---------------------------------------------------------------- bad envelopes

const badRequestIds = ['', 'a'.repeat(65), 'has space', 'dot.dot', 'slash/', 'ünï', '😀', 'line\nbreak', 42, null, true, ['r1'], { id: 'r1' }];

export const badRequestId = spec(
  'bad requestId',
  fc.tuple(fc.constantFrom(...ALL_TYPES), fc.constantFrom(...badRequestIds)).map(([type, requestId]) => (_view: LaneView) =>
    objectDraft({ type, requestId, payload: {} }, { code: 'BAD_REQUEST' }),
  ),
);

export const noType = spec(
  'no type',
  fc.tuple(fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/).filter((k) => k !== 'type'), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }), fc.option(fc.uuid())).map(
    ([fields, requestId]) => (_view: LaneView) => {
      const frame: Record<string, unknown> = { ...fields };
      if (requestId !== null) frame.requestId = requestId;
      return objectDraft(frame, requestId === null ? { code: 'BAD_REQUEST' } : { code: 'BAD_REQUEST', echo: requestId });
    },
  ),
);

export const typeNotString = spec(
  'type not a string',
  fc.tuple(fc.constantFrom<unknown>(1, 0, null, true, ['PING'], { type: 'PING' }), fc.uuid()).map(([type, requestId]) => (_view: LaneView) =>
    objectDraft({ type, requestId }, { code: 'BAD_REQUEST', echo: requestId }),
  ),
);

export const unknownType = spec(
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

export const writeWithoutRequestId = spec(
  'write without requestId',
  fc.tuple(fc.constantFrom(...WRITE_TYPES), staffInputArb).map(([type, staff]) => (view: LaneView) => {
    const target = pick(view.live(), staff.name ? String(staff.name).length : 0);
    const payload =
      type === 'STAFF_CREATE' ? { staff } : type === 'STAFF_UPDATE' ? { staffId: target?.id ?? '00000000-0000-4000-8000-000000000000', baseVersion: target?.version ?? 1, changes: { name: 'x' } } : { staffId: target?.id ?? '00000000-0000-4000-8000-000000000000', baseVersion: target?.version ?? 1 };
    return objectDraft({ type, payload }, { code: 'BAD_REQUEST' });
  }),
  writerArb,
);

export const extraEnvelopeField = spec(
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

/** A frame whose payload is absent or `{}` (PING, PRESENCE_REQUEST), with or without a requestId. */
const payloadless = (type: 'PING' | 'PRESENCE_REQUEST') =>
  spec(
    type,
    fc.tuple(fc.option(fc.uuid()), fc.constantFrom<'absent' | 'empty'>('absent', 'empty')).map(([requestId, payload]) => (_view: LaneView) => {
      const frame: Record<string, unknown> = { type };
      if (requestId !== null) frame.requestId = requestId;
      if (payload === 'empty') frame.payload = {};
      return objectDraft(frame, undefined, requestId === null ? { type } : { type, requestId });
    }),
  );

export const ping = payloadless('PING');

export const pingBadPayload = spec(
  'PING with a bad payload',
  fc.tuple(fc.uuid(), fc.constantFrom<unknown>('x', 1, null, [], [{}], { a: 1 }, { sinceSeq: 0 })).map(([requestId, payload]) => (_view: LaneView) =>
    objectDraft({ type: 'PING', requestId, payload }, { code: 'VALIDATION_FAILED', echo: requestId }),
  ),
);

export const sync = spec(
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

export const syncBadCursor = spec(
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

export const syncBadPayload = spec(
  'SYNC_REQUEST with a bad payload',
  fc.tuple(fc.uuid(), fc.constantFrom<unknown>({ sinceSeq: -1 }, { sinceSeq: 1.5 }, { sinceSeq: '3' }, { sinceSeq: null }, { sinceSeq: 0, cursor: 'abc' }, { cursor: '' }, { cursor: 'c'.repeat(2049) }, { cursor: 7 }, { since: 1 }, 'x', [], null)).map(
    ([requestId, payload]) => (_view: LaneView) => objectDraft({ type: 'SYNC_REQUEST', requestId, payload }, { code: 'VALIDATION_FAILED', echo: requestId }),
  ),
);

// ---------------------------------------------------------------- PRESENCE_REQUEST and PRESENCE_EDITING

export const presenceRequest = payloadless('PRESENCE_REQUEST');

/** A marker on a live record, another org's, an unknown id (in either case), or none. */
export const presenceEditing = spec(
  'PRESENCE_EDITING',
  fc.tuple(fc.option(fc.uuid()), fc.constantFrom<'live' | 'foreign' | 'unknown' | 'upper' | 'none'>('live', 'live', 'foreign', 'unknown', 'upper', 'none'), fc.nat(), fc.uuid()).map(
    ([requestId, kind, n, unknown]) => (view: LaneView) => {
      const live = view.live();
      const foreign = view.foreign();
      const staffId =
        kind === 'none' ? null : kind === 'live' && live.length > 0 ? live[n % live.length]!.id : kind === 'foreign' && foreign.length > 0 ? foreign[n % foreign.length]!.id : kind === 'upper' ? unknown.toUpperCase() : unknown;
      const frame: Record<string, unknown> = { type: 'PRESENCE_EDITING', payload: { staffId } };
      if (requestId !== null) frame.requestId = requestId;
      return objectDraft(frame, undefined, { type: 'PRESENCE_EDITING', ...(requestId === null ? {} : { requestId }), staffId });
    },
  ),
);

export const presenceBadPayload = spec(
  'PRESENCE_* with a bad payload',
  fc.tuple(
    fc.uuid(),
    fc.constantFrom<['PRESENCE_REQUEST' | 'PRESENCE_EDITING', unknown]>(
      ['PRESENCE_REQUEST', 'x'],
      ['PRESENCE_REQUEST', { watch: true }],
      ['PRESENCE_REQUEST', null],
      ['PRESENCE_EDITING', {}],
      ['PRESENCE_EDITING', { staffId: 'row-7' }],
      ['PRESENCE_EDITING', { staffId: 7 }],
      ['PRESENCE_EDITING', { staffId: null, since: 1 }],
      ['PRESENCE_EDITING', []],
      ['PRESENCE_EDITING', undefined],
    ),
  ).map(([requestId, [type, payload]]) => (_view: LaneView) => {
    const frame: Record<string, unknown> = { type, requestId };
    if (payload !== undefined) frame.payload = payload;
    return objectDraft(frame, { code: 'VALIDATION_FAILED', echo: requestId });
  }),
);

// ---------------------------------------------------------------- SUBSCRIBE and SYNC_REQUEST by departments

/** Up to two departments of live records, else one nobody uses. */
const someDepartments = (view: LaneView, n: number, many: boolean): string[] => {
  const known = view.departments();
  if (known.length === 0) return ['Nobody here'];
  const first = known[n % known.length]!;
  const second = known[(n + 1) % known.length]!;
  return many && second !== first ? [first, second] : [first];
};

export const subscribe = spec(
  'SUBSCRIBE',
  fc.tuple(fc.option(fc.uuid()), fc.constantFrom<'some' | 'two' | 'whole' | 'empty'>('some', 'some', 'two', 'whole', 'empty'), fc.nat()).map(([requestId, kind, n]) => (view: LaneView) => {
    const departments = kind === 'whole' ? undefined : kind === 'empty' ? [] : someDepartments(view, n, kind === 'two');
    const frame: Record<string, unknown> = { type: 'SUBSCRIBE' };
    if (requestId !== null) frame.requestId = requestId;
    if (departments) frame.payload = { departments };
    return objectDraft(frame, undefined, { type: 'SUBSCRIBE', ...(requestId === null ? {} : { requestId }), ...(departments?.length ? { departments } : {}) });
  }),
);

export const syncByDepartments = spec(
  'SYNC_REQUEST by departments',
  fc.tuple(fc.uuid(), fc.boolean(), fc.nat(), fc.integer({ min: 0, max: 4 })).map(([requestId, delta, n, back]) => (view: LaneView) => {
    const departments = someDepartments(view, n, n % 3 === 0);
    const sinceDeptSeqs = delta ? Object.fromEntries(departments.map((department) => [department, Math.max(0, view.departmentSeq(department) - back)])) : undefined;
    const payload = { departments, ...(sinceDeptSeqs ? { sinceDeptSeqs } : {}) };
    return objectDraft({ type: 'SYNC_REQUEST', requestId, payload }, undefined, { type: 'SYNC_REQUEST', requestId, ...payload });
  }),
);

export const departmentsBadPayload = spec(
  'SUBSCRIBE / SYNC_REQUEST with bad departments',
  fc.tuple(
    fc.uuid(),
    fc.constantFrom<['SUBSCRIBE' | 'SYNC_REQUEST', unknown]>(
      ['SUBSCRIBE', { departments: 'ICU' }],
      ['SUBSCRIBE', { departments: ['ICU', 'ICU'] }],
      ['SUBSCRIBE', { departments: [' '] }],
      ['SUBSCRIBE', { departments: Array.from({ length: 51 }, (_, i) => `D${i}`) }],
      ['SUBSCRIBE', { department: 'ICU' }],
      ['SYNC_REQUEST', { departments: [] }],
      ['SYNC_REQUEST', { departments: ['ICU'], sinceSeq: 1 }],
      ['SYNC_REQUEST', { sinceDeptSeqs: { ICU: 1 } }],
      ['SYNC_REQUEST', { departments: ['ICU'], sinceDeptSeqs: { Ward: 1 } }],
      ['SYNC_REQUEST', { departments: ['ICU'], sinceDeptSeqs: { ICU: -1 } }],
    ),
  ).map(([requestId, [type, payload]]) => (_view: LaneView) => objectDraft({ type, requestId, payload }, { code: 'VALIDATION_FAILED', echo: requestId })),
);
