import fc from 'fast-check';
import type { ErrorCode } from '../../../../shared/errors';
import { MAX_FRAME_BYTES, MESSAGE_TYPES, parseClientFrame, type ParseResult } from '../../../../shared/protocol/frames';

const STAFF_ID = '0b3a2a9e-8f1c-4d2e-9a7b-1c2d3e4f5a6b';

const parse = (frame: unknown): ParseResult => parseClientFrame(JSON.stringify(frame), false);

function refusal(result: ParseResult) {
  if (result.ok) throw new Error(`expected a refusal, got ${JSON.stringify(result.frame)}`);
  return { code: result.error.code, requestId: result.requestId, details: result.error.details, message: result.error.message };
}

const expectRefused = (result: ParseResult, code: ErrorCode, requestId?: string) => {
  const { code: actual, requestId: echoed } = refusal(result);
  expect({ code: actual, requestId: echoed }).toEqual({ code, requestId });
};

describe('parseClientFrame', () => {
  describe('accepts', () => {
    it('a STAFF_CREATE with a client-chosen id', () => {
      const frame = { type: 'STAFF_CREATE', requestId: 'req-1', payload: { staff: { id: STAFF_ID, name: ' Ann ' } } };
      expect(parse(frame)).toEqual({ ok: true, frame: { ...frame, payload: { staff: { id: STAFF_ID, name: 'Ann' } } } });
    });

    it('a STAFF_UPDATE', () => {
      const frame = { type: 'STAFF_UPDATE', requestId: 'r_2', payload: { staffId: STAFF_ID, baseVersion: 3, changes: { status: 'inactive' } } };
      expect(parse(frame)).toEqual({ ok: true, frame });
    });

    it('a STAFF_DELETE', () => {
      const frame = { type: 'STAFF_DELETE', requestId: 'r3', payload: { staffId: STAFF_ID, baseVersion: 1 } };
      expect(parse(frame)).toEqual({ ok: true, frame });
    });

    it.each([{}, { sinceSeq: 0 }, { sinceSeq: 42 }, { cursor: 'opaque' }])('a SYNC_REQUEST with payload %p', (payload) => {
      expect(parse({ type: 'SYNC_REQUEST', requestId: 's1', payload }).ok).toBe(true);
    });

    it('a SYNC_REQUEST without payload or requestId', () => {
      expect(parse({ type: 'SYNC_REQUEST' })).toEqual({ ok: true, frame: { type: 'SYNC_REQUEST' } });
    });

    it('a PING with an empty payload, or none', () => {
      expect(parse({ type: 'PING', requestId: 'p', payload: {} }).ok).toBe(true);
      expect(parse({ type: 'PING' }).ok).toBe(true);
    });

    it('a requestId of 64 allowed characters', () => {
      const requestId = 'aZ09_-'.repeat(11).slice(0, 64);
      expect(parse({ type: 'PING', requestId }).ok).toBe(true);
    });
  });

  describe('answers BAD_REQUEST', () => {
    it('for a binary frame', () => {
      expectRefused(parseClientFrame('{"type":"PING"}', true), 'BAD_REQUEST');
    });

    it.each([undefined, ''])('for an empty body (%p)', (body) => {
      expectRefused(parseClientFrame(body, false), 'BAD_REQUEST');
    });

    it.each(['not json', '{"type":', "{'type':'PING'}", '{"type":"PING"} x'])('for text that is not JSON: %p', (body) => {
      expectRefused(parseClientFrame(body, false), 'BAD_REQUEST');
    });

    it.each(['[]', '[{"type":"PING"}]', 'null', '42', '"PING"', 'true'])('for JSON that is not an object: %s', (body) => {
      expectRefused(parseClientFrame(body, false), 'BAD_REQUEST');
    });

    it('for a frame without a type, echoing a valid requestId', () => {
      expectRefused(parse({ requestId: 'abc' }), 'BAD_REQUEST', 'abc');
    });

    it.each([null, 5, ['PING'], { name: 'PING' }])('for a type that is not a string: %p', (type) => {
      expectRefused(parse({ type, requestId: 'abc' }), 'BAD_REQUEST', 'abc');
    });

    it.each(['', 'a'.repeat(65), 'has space', 'semi;colon', 'ünï', 7, null, ['a']])('for the requestId %p, without echoing it', (requestId) => {
      const result = refusal(parse({ type: 'PING', requestId }));
      expect(result).toMatchObject({ code: 'BAD_REQUEST', requestId: undefined, details: [{ path: 'requestId' }] });
    });

    it.each(['STAFF_CREATE', 'STAFF_UPDATE', 'STAFF_DELETE'])('for a %s without a requestId', (type) => {
      const result = refusal(parse({ type, payload: {} }));
      expect(result).toMatchObject({ code: 'BAD_REQUEST', details: [{ path: 'requestId', message: 'is required' }] });
    });

    it('for nesting deeper than the limit, without overflowing the stack', () => {
      const deep = `{"type":"PING","x":${'['.repeat(50_000)}${']'.repeat(50_000)}}`;
      expectRefused(parseClientFrame(deep, false), 'BAD_REQUEST');
      expectRefused(parseClientFrame('{"a":'.repeat(20_000), false), 'BAD_REQUEST');
      const metadata = JSON.parse(`${'{"a":'.repeat(40)}1${'}'.repeat(40)}`) as Record<string, unknown>;
      expectRefused(parse({ type: 'STAFF_CREATE', requestId: 'r', payload: { staff: { name: 'A', metadata } } }), 'BAD_REQUEST');
    });

    it('ignores brackets inside strings when measuring depth', () => {
      const metadata = { note: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[{{{{{{{{{{{{{{{{{{{{\\"' };
      expect(parse({ type: 'STAFF_CREATE', requestId: 'r', payload: { staff: { name: 'A', metadata } } }).ok).toBe(true);
    });
  });

  describe('answers UNKNOWN_TYPE', () => {
    it('for a type outside the protocol, echoing the requestId', () => {
      expectRefused(parse({ type: 'STAFF_PURGE', requestId: 'r9' }), 'UNKNOWN_TYPE', 'r9');
    });

    it('for a server-only type sent by a client', () => {
      expectRefused(parse({ type: 'ACK', requestId: 'r9' }), 'UNKNOWN_TYPE', 'r9');
    });

    it('without echoing a huge type', () => {
      const { message } = refusal(parse({ type: 'X'.repeat(20_000) }));
      // The type is echoed as an excerpt of at most 64 characters, beside the list of known types.
      expect(message).not.toContain('X'.repeat(65));
      expect(message.length).toBeLessThan(300);
    });
  });

  describe('answers VALIDATION_FAILED with dotted paths', () => {
    const detailsOf = (frame: unknown) => {
      const result = refusal(parse(frame));
      expect(result.code).toBe('VALIDATION_FAILED');
      return result.details;
    };

    it('for a bad staff field', () => {
      const details = detailsOf({ type: 'STAFF_CREATE', requestId: 'r', payload: { staff: { name: '' } } });
      expect(details).toEqual([{ path: 'payload.staff.name', message: 'must not be empty' }]);
    });

    it('for a missing staff object', () => {
      expect(detailsOf({ type: 'STAFF_CREATE', requestId: 'r', payload: {} })).toEqual([{ path: 'payload.staff', message: 'is required' }]);
    });

    it('for a missing or non-object payload', () => {
      expect(detailsOf({ type: 'STAFF_DELETE', requestId: 'r' })).toEqual([{ path: 'payload', message: 'is required' }]);
      expect(detailsOf({ type: 'STAFF_DELETE', requestId: 'r', payload: [] })).toEqual([{ path: 'payload', message: 'must be a JSON object' }]);
    });

    it.each(['orgId', 'version', 'createdAt', 'updatedAt', 'updatedBy'])('for the server-owned field %s', (field) => {
      const details = detailsOf({ type: 'STAFF_CREATE', requestId: 'r', payload: { staff: { name: 'A', [field]: 1 } } });
      expect(details).toEqual([{ path: `payload.staff.${field}`, message: 'is set by the server and cannot be sent' }]);
    });

    it('for unknown fields at every level', () => {
      const details = detailsOf({ type: 'STAFF_CREATE', requestId: 'r', extra: 1, payload: { more: 2, staff: { name: 'A', nick: 'a' } } });
      expect(details).toEqual([
        { path: 'payload.staff.nick', message: 'is not a known field' },
        { path: 'payload.more', message: 'is not a known field' },
        { path: 'extra', message: 'is not a known field' },
      ]);
    });

    it('for a bad field in the changes', () => {
      const frame = { type: 'STAFF_UPDATE', requestId: 'r', payload: { staffId: STAFF_ID, baseVersion: 1, changes: { email: 'x' } } };
      expect(detailsOf(frame)).toEqual([{ path: 'payload.changes.email', message: 'must be a valid e-mail address' }]);
    });

    it('for an id in the changes', () => {
      const frame = { type: 'STAFF_UPDATE', requestId: 'r', payload: { staffId: STAFF_ID, baseVersion: 1, changes: { id: STAFF_ID, name: 'B' } } };
      expect(detailsOf(frame)).toEqual([{ path: 'payload.changes.id', message: 'cannot be changed; name the record in staffId' }]);
    });

    it('for empty changes', () => {
      const frame = { type: 'STAFF_UPDATE', requestId: 'r', payload: { staffId: STAFF_ID, baseVersion: 1, changes: {} } };
      expect(detailsOf(frame)).toEqual([{ path: 'payload.changes', message: 'must change at least one field' }]);
    });

    it.each([
      [0, 'must be at least 1'],
      [-3, 'must be at least 1'],
      [1.5, 'must be an integer'],
      ['2', 'must be an integer'],
      [undefined, 'is required'],
    ])('for the baseVersion %p', (baseVersion, message) => {
      const frame = { type: 'STAFF_DELETE', requestId: 'r', payload: { staffId: STAFF_ID, baseVersion } };
      expect(detailsOf(frame)).toEqual([{ path: 'payload.baseVersion', message }]);
    });

    it('for a staffId that is not a UUID', () => {
      const frame = { type: 'STAFF_DELETE', requestId: 'r', payload: { staffId: 'abc', baseVersion: 1 } };
      expect(detailsOf(frame)).toEqual([{ path: 'payload.staffId', message: 'must be a UUID' }]);
    });

    it('for both sinceSeq and cursor', () => {
      expect(detailsOf({ type: 'SYNC_REQUEST', payload: { sinceSeq: 1, cursor: 'c' } })).toEqual([
        { path: 'payload', message: 'give sinceSeq or cursor, not both' },
      ]);
    });

    it.each([
      [{ sinceSeq: -1 }, 'payload.sinceSeq'],
      [{ sinceSeq: 1.5 }, 'payload.sinceSeq'],
      [{ sinceSeq: '1' }, 'payload.sinceSeq'],
      [{ cursor: '' }, 'payload.cursor'],
      [{ cursor: 5 }, 'payload.cursor'],
      [{ cursor: 'c'.repeat(2049) }, 'payload.cursor'],
      [{ limit: 5 }, 'payload.limit'],
    ])('for the sync payload %p', (payload, path) => {
      expect(detailsOf({ type: 'SYNC_REQUEST', requestId: 's', payload })?.map((d) => d.path)).toEqual([path]);
    });

    it('for a PING payload with fields', () => {
      expect(detailsOf({ type: 'PING', payload: { x: 1 } })).toEqual([{ path: 'payload.x', message: 'is not a known field' }]);
    });

    it('echoes the requestId and summarises the first issue', () => {
      const result = refusal(parse({ type: 'STAFF_CREATE', requestId: 'r7', payload: { staff: { name: '', status: 'x' } } }));
      expect(result.requestId).toBe('r7');
      expect(result.message).toBe('invalid STAFF_CREATE: payload.staff.name: must not be empty (and 1 more)');
    });

    it('caps the details and never echoes huge keys', () => {
      const staff: Record<string, number> = { name: 1 };
      for (let i = 0; i < 100; i++) staff[`${'k'.repeat(1000)}${i}`] = i;
      const result = refusal(parse({ type: 'STAFF_CREATE', requestId: 'r', payload: { staff } }));
      expect(result.details?.length).toBe(20);
      expect(JSON.stringify(result).length).toBeLessThan(5000);
    });
  });

  describe('answers PAYLOAD_TOO_LARGE', () => {
    it('for metadata over 8 KB, with its path', () => {
      const frame = { type: 'STAFF_CREATE', requestId: 'r', payload: { staff: { name: 'A', metadata: { blob: 'x'.repeat(9000) } } } };
      expect(refusal(parse(frame))).toMatchObject({
        code: 'PAYLOAD_TOO_LARGE',
        requestId: 'r',
        details: [{ path: 'payload.staff.metadata', message: 'must be at most 8192 bytes as JSON' }],
      });
    });

    it('for metadata over 8 KB in the changes', () => {
      const frame = { type: 'STAFF_UPDATE', requestId: 'r', payload: { staffId: STAFF_ID, baseVersion: 2, changes: { metadata: { b: 'é'.repeat(5000) } } } };
      expect(refusal(parse(frame)).details).toEqual([{ path: 'payload.changes.metadata', message: 'must be at most 8192 bytes as JSON' }]);
    });

    it('for a frame larger than any the gateway delivers', () => {
      const body = JSON.stringify({ type: 'PING', payload: {}, pad: 'x'.repeat(MAX_FRAME_BYTES) });
      expectRefused(parseClientFrame(body, false), 'PAYLOAD_TOO_LARGE');
    });

    it('only when size is the only problem, as the database decides', () => {
      const frame = { type: 'STAFF_UPDATE', requestId: 'r', payload: { staffId: STAFF_ID, baseVersion: 2, changes: { status: 'bogus', metadata: { b: 'x'.repeat(9000) } } } };
      expect(refusal(parse(frame)).code).toBe('VALIDATION_FAILED');
    });
  });

  it('parses a near-limit frame with long strings', () => {
    const frame = { type: 'STAFF_CREATE', requestId: 'r', payload: { staff: { name: 'x'.repeat(100_000) } } };
    expect(refusal(parse(frame)).details).toEqual([{ path: 'payload.staff.name', message: 'must be at most 200 characters' }]);
  });

  // The schemas use zod/mini, which loads no locale: an issue without a message of ours would read "Invalid input".
  it('words every detail itself, whatever the payload', () => {
    const value = fc.oneof(fc.constant(undefined), fc.constant(null), fc.boolean(), fc.integer(), fc.double(), fc.string(), fc.uuid(), fc.array(fc.integer()), fc.object());
    const staffLike = fc.dictionary(
      fc.constantFrom('id', 'name', 'email', 'phone', 'position', 'department', 'employmentType', 'status', 'startDate', 'endDate', 'displayOrder', 'metadata', 'version', 'x'),
      value,
    );
    const payload = fc.oneof(
      value,
      fc.record({ staff: fc.oneof(value, staffLike) }, { requiredKeys: [] }),
      fc.record({ staffId: value, baseVersion: value, changes: fc.oneof(value, staffLike) }, { requiredKeys: [] }),
      fc.record({ sinceSeq: value, cursor: value }, { requiredKeys: [] }),
      fc.record({
        operations: fc.oneof(
          value,
          fc.array(
            fc.oneof(value, fc.record({ op: fc.oneof(value, fc.constantFrom('create', 'update', 'delete')), staff: fc.oneof(value, staffLike), staffId: value, baseVersion: value, changes: fc.oneof(value, staffLike) }, { requiredKeys: ['op'] })),
            { maxLength: 4 },
          ),
        ),
      }),
    );
    const frame = fc.record({ type: fc.constantFrom(...MESSAGE_TYPES.client), requestId: fc.constant('r'), payload }, { requiredKeys: ['type', 'requestId'] });
    fc.assert(
      fc.property(frame, (candidate) => {
        const result = parse(candidate);
        if (result.ok) return;
        for (const { message } of result.error.details ?? []) expect(message).toMatch(/^(is |must |give |cannot )/);
      }),
      { numRuns: 2000 },
    );
  });

  it('treats a JSON __proto__ key as an unknown field', () => {
    const body = '{"type":"PING","__proto__":{"polluted":true}}';
    expect(refusal(parseClientFrame(body, false)).details).toEqual([{ path: '__proto__', message: 'is not a known field' }]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('MESSAGE_TYPES', () => {
  it('lists every type in both directions', () => {
    expect(MESSAGE_TYPES).toEqual({
      client: ['STAFF_CREATE', 'STAFF_UPDATE', 'STAFF_DELETE', 'STAFF_BATCH', 'SYNC_REQUEST', 'PRESENCE_REQUEST', 'PRESENCE_EDITING', 'SUBSCRIBE', 'PING'],
      server: ['ACK', 'STAFF_CREATE', 'STAFF_UPDATE', 'STAFF_DELETE', 'STAFF_BATCH', 'SYNC_RESPONSE', 'PRESENCE', 'SUBSCRIBED', 'PONG', 'ERROR'],
    });
  });
});

describe('PRESENCE_EDITING', () => {
  const editing = (payload: unknown, requestId?: string) => parse({ type: 'PRESENCE_EDITING', ...(requestId ? { requestId } : {}), payload });

  it('takes a staff id, or null for none, with or without a requestId', () => {
    expect(editing({ staffId: STAFF_ID }, 'e1')).toEqual({ ok: true, frame: { type: 'PRESENCE_EDITING', requestId: 'e1', payload: { staffId: STAFF_ID } } });
    expect(editing({ staffId: null })).toEqual({ ok: true, frame: { type: 'PRESENCE_EDITING', payload: { staffId: null } } });
  });

  it.each([
    ['no staffId', {}, 'payload.staffId', 'is required'],
    ['a staffId that is not a UUID', { staffId: 'row-7' }, 'payload.staffId', 'must be a UUID'],
    ['an unknown field', { staffId: null, field: 'name' }, 'payload.field', undefined],
    ['no payload', undefined, 'payload', undefined],
  ])('refuses %s with VALIDATION_FAILED at its path', (_, payload, path, message) => {
    const { code, details, requestId } = refusal(editing(payload, 'e2'));
    expect({ code, requestId }).toEqual({ code: 'VALIDATION_FAILED', requestId: 'e2' });
    expect(details?.[0]?.path).toBe(path);
    if (message) expect(details?.[0]?.message).toBe(message);
  });
});

describe('SYNC_REQUEST by departments', () => {
  const sync = (payload: unknown) => parse({ type: 'SYNC_REQUEST', requestId: 'd1', payload });

  it('takes departments alone (a snapshot), with sinceDeptSeqs (a delta), or with a cursor', () => {
    expect(sync({ departments: ['ICU'] }).ok).toBe(true);
    expect(sync({ departments: ['ICU', 'Ward'], sinceDeptSeqs: { ICU: 3 } })).toEqual({
      ok: true,
      frame: { type: 'SYNC_REQUEST', requestId: 'd1', payload: { departments: ['ICU', 'Ward'], sinceDeptSeqs: { ICU: 3 } } },
    });
    expect(sync({ departments: ['ICU'], cursor: 'abc' }).ok).toBe(true);
    expect(sync({ departments: ['__proto__'], sinceDeptSeqs: JSON.parse('{"__proto__": 2}') }).ok).toBe(true);
  });

  it.each([
    ['no department', { departments: [] }, 'must name at least one department'],
    ['sinceSeq with departments', { departments: ['ICU'], sinceSeq: 3 }, 'give sinceDeptSeqs with departments, not sinceSeq'],
    ['sinceDeptSeqs without departments', { sinceDeptSeqs: { ICU: 1 } }, 'give sinceDeptSeqs with departments and without cursor'],
    ['sinceDeptSeqs with a cursor', { departments: ['ICU'], sinceDeptSeqs: { ICU: 1 }, cursor: 'abc' }, 'give sinceDeptSeqs with departments and without cursor'],
    ['a position of another department', { departments: ['ICU'], sinceDeptSeqs: { Ward: 1 } }, 'sinceDeptSeqs may name only departments asked for'],
    ['a negative position', { departments: ['ICU'], sinceDeptSeqs: { ICU: -1 } }, 'must map departments to integers >= 0'],
    ['a position that is not an integer', { departments: ['ICU'], sinceDeptSeqs: { ICU: '3' } }, 'must map departments to integers >= 0'],
  ])('refuses %s with VALIDATION_FAILED', (_, payload, message) => {
    const { code, details } = refusal(sync(payload));
    expect(code).toBe('VALIDATION_FAILED');
    expect(details?.map((detail) => detail.message)).toContain(message);
  });
});

describe('SUBSCRIBE', () => {
  const subscribe = (payload: unknown) => parse({ type: 'SUBSCRIBE', requestId: 's1', ...(payload === undefined ? {} : { payload }) });

  it('takes departments (trimmed), none, or an empty list', () => {
    expect(subscribe({ departments: [' ICU ', 'Ward 2'] })).toEqual({ ok: true, frame: { type: 'SUBSCRIBE', requestId: 's1', payload: { departments: ['ICU', 'Ward 2'] } } });
    expect(subscribe(undefined).ok).toBe(true);
    expect(subscribe({}).ok).toBe(true);
    expect(subscribe({ departments: [] }).ok).toBe(true);
  });

  it.each([
    ['not an array', { departments: 'ICU' }, 'payload.departments', 'must be an array of departments'],
    ['an empty name', { departments: ['ICU', '  '] }, 'payload.departments.1', 'must not be empty'],
    ['a name too long', { departments: ['x'.repeat(101)] }, 'payload.departments.0', 'must be at most 100 characters'],
    ['a department twice', { departments: ['ICU', 'ICU'] }, 'payload.departments', 'must not name a department twice'],
    ['too many departments', { departments: Array.from({ length: 51 }, (_, i) => `D${i}`) }, 'payload.departments', 'must hold at most 50 departments'],
    ['an unknown field', { departments: [], since: 1 }, 'payload.since', undefined],
  ])('refuses %s', (_, payload, path, message) => {
    const { code, details } = refusal(subscribe(payload));
    expect(code).toBe('VALIDATION_FAILED');
    expect(details?.[0]?.path).toBe(path);
    if (message) expect(details?.[0]?.message).toBe(message);
  });
});

describe('STAFF_BATCH', () => {
  const batch = (operations: unknown) => parse({ type: 'STAFF_BATCH', requestId: 'b1', payload: { operations } });

  it('accepts creates, updates and deletes, trimmed as single writes are', () => {
    const result = batch([
      { op: 'create', staff: { name: '  Ann  ' } },
      { op: 'update', staffId: STAFF_ID, baseVersion: 2, changes: { position: 'Lead' } },
      { op: 'delete', staffId: STAFF_ID, baseVersion: 3 },
    ]);
    expect(result.ok && result.frame.type === 'STAFF_BATCH' && result.frame.payload.operations[0]).toEqual({ op: 'create', staff: { name: 'Ann' } });
  });

  it('requires a requestId, as every write does', () => {
    expectRefused(parse({ type: 'STAFF_BATCH', payload: { operations: [{ op: 'delete', staffId: STAFF_ID, baseVersion: 1 }] } }), 'BAD_REQUEST');
  });

  it('names only the first failing operation', () => {
    const result = refusal(batch([{ op: 'create', staff: { name: 'A' } }, { op: 'create', staff: { name: '' } }, { op: 'delete', staffId: 'x', baseVersion: 0 }]));
    expect(result).toMatchObject({ code: 'VALIDATION_FAILED', requestId: 'b1', details: [{ path: 'payload.operations.1.staff.name', message: 'must not be empty' }] });
  });

  it.each([
    [[], 'payload.operations', 'must hold at least one operation'],
    [Array.from({ length: 501 }, () => ({ op: 'delete', staffId: STAFF_ID, baseVersion: 1 })), 'payload.operations', 'must hold at most 500 operations'],
    [[{ op: 'upsert' }], 'payload.operations.0.op', 'must be one of create, update, delete'],
    [[7], 'payload.operations.0', 'must be a JSON object'],
    [[{ op: 'delete', staffId: STAFF_ID, baseVersion: 1, changes: {} }], 'payload.operations.0.changes', 'is not a known field'],
    [{}, 'payload.operations', 'must be an array of operations'],
  ])('refuses %j at %s', (operations, path, message) => {
    expect(refusal(batch(operations)).details).toEqual([{ path, message }]);
  });
});
