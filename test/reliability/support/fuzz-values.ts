/**
 * Field values for the frame fuzzer: arbitraries that only produce values the Staff table of
 * docs/protocol.md §5 accepts, and a catalogue of values it refuses, each with the code the
 * refusal must carry.
 * The oracle stays exact because a frame is built from valid parts plus at most one bad one.
 */
import fc from 'fast-check';

export type FieldName =
  | 'name'
  | 'email'
  | 'phone'
  | 'position'
  | 'department'
  | 'employmentType'
  | 'status'
  | 'startDate'
  | 'endDate'
  | 'displayOrder'
  | 'metadata';

/** The data fields in the order the change log lists them (`changedFields`). */
export const FIELDS: readonly FieldName[] = [
  'name',
  'email',
  'phone',
  'position',
  'department',
  'employmentType',
  'status',
  'startDate',
  'endDate',
  'displayOrder',
  'metadata',
];
export const TEXT_FIELDS: readonly FieldName[] = ['name', 'email', 'phone', 'position', 'department'];
export const SERVER_OWNED = ['orgId', 'version', 'createdAt', 'updatedAt', 'updatedBy'] as const;
export const INT4_MAX = 2147483647;
export const INT4_MIN = -2147483648;
export const METADATA_MAX_BYTES = 8192;

// Code points, some outside the BMP and some that combine, none that Postgres refuses.
const CODE_POINTS = Array.from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,-_'()/&éßøłñ漢字😀👩‍⚕️ü");
const PADDING = ['', '', '', ' ', '\t', '\u00a0', '\n ', '\u3000'];

const textOf = (min: number, max: number) =>
  fc.array(fc.constantFrom(...CODE_POINTS), { minLength: min, maxLength: max }).map((points) => points.join(''));

/** Surrounding whitespace the server trims (as JavaScript's `trim`). */
const padded = (arb: fc.Arbitrary<string>) =>
  fc.tuple(fc.constantFrom(...PADDING), arb, fc.constantFrom(...PADDING)).map(([a, value, b]) => `${a}${value}${b}`);

const nameArb = padded(
  fc.oneof(
    { arbitrary: textOf(1, 40), weight: 8 },
    { arbitrary: textOf(195, 200), weight: 1 },
    { arbitrary: fc.constant('😀'.repeat(200)), weight: 1 },
  ),
).filter((value) => value.trim().length > 0);

const emailArb = fc
  .tuple(fc.stringMatching(/^[a-z0-9]{1,12}$/), fc.stringMatching(/^[a-z0-9]{1,12}$/), fc.constantFrom('com', 'org', 'de', 'io'))
  .map(([local, domain, tld]) => `${local}@${domain}.${tld}`);

const isoDate = fc
  .oneof(
    { arbitrary: fc.date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2035-12-31T00:00:00Z'), noInvalidDate: true }), weight: 9 },
    { arbitrary: fc.constantFrom(new Date('0001-01-01T00:00:00Z'), new Date('9999-12-31T00:00:00Z'), new Date('2024-02-29T00:00:00Z')), weight: 1 },
  )
  .map((date) => date.toISOString().slice(0, 10));

const metadataValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.integer({ min: -1_000_000, max: 1_000_000 }),
    textOf(0, 20),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,8}$/), tie('value'), { maxKeys: 3 }),
  ),
})).value;

const smallMetadata = fc.dictionary(fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_ -]{0,12}$/), metadataValue, { maxKeys: 5 });

/** UTF-8 bytes of a value's compact JSON (what the server measures). */
export const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');

// Characters whose JSON form is longer than themselves, or multi-byte: the size rule must agree on them.
const FILLER = ['x', 'é', '\u0001', '\n', '"', '\\', '😀', '\u2028', '/'];

/** A `metadata` object whose compact JSON is exactly `bytes` long (≥ 32), from mixed characters. */
export function metadataOfBytes(bytes: number, seed: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  let total = jsonBytes({ ...extra, blob: '' });
  const parts: string[] = [];
  for (let i = seed; ; i++) {
    const char = FILLER[i % FILLER.length]!;
    const size = jsonBytes(char) - 2;
    if (total + size > bytes) break;
    parts.push(char);
    total += size;
  }
  const value = { ...extra, blob: parts.join('') + 'x'.repeat(bytes - total) };
  if (jsonBytes(value) !== bytes) throw new Error(`metadataOfBytes: ${jsonBytes(value)} instead of ${bytes}`);
  return value;
}

const boundaryMetadata = fc
  .tuple(fc.integer({ min: 8000, max: METADATA_MAX_BYTES }), fc.nat(), fc.constantFrom({}, { f: 1e21 }, { f: 1e-7 }, { f: 0.5 }, { n: [1, 2, 3] }))
  .map(([bytes, seed, extra]) => metadataOfBytes(bytes, seed, extra));

export const metadataArb = fc.oneof(
  { arbitrary: smallMetadata, weight: 12 },
  { arbitrary: boundaryMetadata, weight: 1 },
) as fc.Arbitrary<Record<string, unknown>>;

/** A valid value for one field (text fields sometimes padded with whitespace the server trims). */
export const validValue: Record<FieldName, fc.Arbitrary<unknown>> = {
  name: nameArb,
  email: fc.oneof(emailArb, padded(emailArb), fc.constant(null)),
  phone: fc.oneof(padded(fc.stringMatching(/^\+?[0-9]{1,15}( [0-9]{1,10})?$/)), fc.constant(null)),
  position: fc.oneof(padded(textOf(0, 100)), fc.constant(null)),
  department: fc.oneof(padded(textOf(0, 30)), fc.constant(null)),
  employmentType: fc.constantFrom('full_time', 'part_time', 'contract', 'temporary'),
  status: fc.constantFrom('active', 'inactive'),
  startDate: fc.oneof(isoDate, fc.constant(null)),
  endDate: fc.oneof(isoDate, fc.constant(null)),
  displayOrder: fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.constantFrom(INT4_MIN, INT4_MAX, 0)),
  metadata: metadataArb,
};

/** A StaffInput: `name` plus a random subset of the other fields; dates in order. */
export const staffInputArb = fc
  .record(
    {
      name: validValue.name,
      email: validValue.email,
      phone: validValue.phone,
      position: validValue.position,
      department: validValue.department,
      employmentType: validValue.employmentType,
      status: validValue.status,
      startDate: validValue.startDate,
      endDate: validValue.endDate,
      displayOrder: validValue.displayOrder,
      metadata: validValue.metadata,
    },
    { requiredKeys: ['name'] },
  )
  .map((input) => orderDates(input as Record<string, unknown>));

export function orderDates<T extends Record<string, unknown>>(input: T): T {
  const { startDate, endDate } = input;
  if (typeof startDate === 'string' && typeof endDate === 'string' && endDate < startDate) {
    return { ...input, startDate: endDate, endDate: startDate };
  }
  return input;
}

/** 1–3 fields with valid values (an update's `changes`); dates may cross the record's (the model judges). */
export const changesArb = fc
  .uniqueArray(fc.constantFrom(...FIELDS), { minLength: 1, maxLength: 3 })
  .chain((fields) => fc.tuple(...fields.map((field) => validValue[field].map((value) => [field, value] as const))))
  .map((entries) => orderDates(Object.fromEntries(entries) as Record<string, unknown>));

/** A value the field refuses, and the code that refusal carries. */
export interface BadValue {
  readonly field: string;
  readonly value: unknown;
  readonly code: 'VALIDATION_FAILED' | 'PAYLOAD_TOO_LARGE';
  readonly why: string;
}

const bad = (field: string, why: string, values: unknown[], code: BadValue['code'] = 'VALIDATION_FAILED') =>
  fc.constantFrom(...values).map((value): BadValue => ({ field, value, code, why }));

const huge = (n: number) => 'a'.repeat(n);
/** A number the frame builder writes as is (see `rawNumber` in fuzz-frames.ts). */
const raw = (text: string): string => `@@raw:${text}@@`;

/** Refused values for each field, unknown and server-owned fields (VALIDATION_FAILED), oversized metadata (PAYLOAD_TOO_LARGE). */
export const badValueArb: fc.Arbitrary<BadValue> = fc.oneof(
  bad('name', 'empty', ['', '   ', '\t\n', '\u00a0']),
  bad('name', 'too long', [huge(201), '😀'.repeat(201), `${huge(200)}é`]),
  bad('name', 'not a string', [null, 42, true, ['a'], { first: 'a' }]),
  bad('name', 'unstorable', ['a\u0000b', 'a\ud800b', '\udc00']),
  bad('email', 'not an e-mail', ['no-at-sign', 'a@', '@b.co', 'a b@c.de', '', `${huge(250)}@b.co`, 'a@b']),
  bad('email', 'not a string', [42, true, { a: 1 }]),
  bad('phone', 'too long', [huge(41), '1'.repeat(60)]),
  bad('phone', 'not a string', [42, ['1'], false]),
  bad('position', 'too long', [huge(101)]),
  bad('department', 'not a string', [7, { d: 1 }]),
  bad('employmentType', 'not in the enum', ['FULL_TIME', 'fulltime', '', 'intern', null, 1]),
  bad('status', 'not in the enum', ['deleted', 'Active', null, true]),
  bad('startDate', 'not a date', ['2024-02-30', '2023-02-29', '2024-13-01', '2024-00-10', '0000-01-01', '24-01-01', '2024-1-1', '2024-01-01T00:00:00Z', 20240101, '', ' 2024-01-01']),
  bad('endDate', 'not a date', ['2024-04-31', 'tomorrow', true, {}]),
  bad('displayOrder', 'not an int4', [1.5, '1', null, INT4_MAX + 1, INT4_MIN - 1, 1e20, true, []]),
  bad('metadata', 'not an object', [[], 'x', 1, null, true, [{ a: 1 }]]),
  bad('metadata', 'unstorable', [{ k: 'a\u0000' }, { 'a\ud800': 1 }, { nested: { deep: ['\udfff'] } }]),
  // JSON.parse reads these as ±Infinity; stored, they would silently become null.
  bad('metadata', 'number beyond a double', [{ n: raw('1e400') }, { n: raw('-1e400') }, { deep: [1, { n: raw('2e308') }] }]),
  bad('displayOrder', 'number beyond a double', [raw('1e400'), raw('-1e400')]),
  fc.tuple(fc.integer({ min: METADATA_MAX_BYTES + 1, max: METADATA_MAX_BYTES + 64 }), fc.nat()).map(
    ([bytes, seed]): BadValue => ({ field: 'metadata', value: metadataOfBytes(bytes, seed), code: 'PAYLOAD_TOO_LARGE', why: 'over 8 KB' }),
  ),
  bad('metadata', 'over 8 KB', [{ blob: huge(20_000) }, { [huge(9000)]: 1 }], 'PAYLOAD_TOO_LARGE'),
  bad('shoeSize', 'unknown field', [44]),
  bad('Name', 'unknown field', ['Ada']),
  bad('name ', 'unknown field', ['Ada']),
  bad('toString', 'unknown field', ['x']),
  bad('constructor', 'unknown field', [{ prototype: { polluted: true } }]),
  bad('__proto__', 'unknown field', [{ polluted: true }]),
  fc.constantFrom(...SERVER_OWNED).map((field): BadValue => ({ field, value: field === 'version' ? 7 : 'x', code: 'VALIDATION_FAILED', why: 'server-owned' })),
);

/** Sets a key as an own enumerable property (`__proto__` included), as JSON.parse would. */
export function withKey(target: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(target)) Object.defineProperty(copy, k, { value: v, enumerable: true, writable: true, configurable: true });
  Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}
