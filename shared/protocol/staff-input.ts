/**
 * What a client may send about a staff record (docs/protocol.md §5): `StaffInput`
 * for create and the partial `StaffChanges` for update. The database enforces the same rules;
 * checking them here first keeps most bad input from reaching it.
 */
import * as z from 'zod/mini';
import { EMPLOYMENT_TYPES, STAFF_STATUSES } from './staff';
import { DEPARTMENT_MAX_CHARS } from './departments';
import {
  codePointLength,
  hasOnlyFiniteNumbers,
  isPlainObject,
  isStorableJson,
  isStorableText,
  utf8ByteLength,
} from './text';

export const NAME_MAX_CHARS = 200;
export const EMAIL_MAX_CHARS = 254;
export const PHONE_MAX_CHARS = 40;
export const LABEL_MAX_CHARS = 100;
/** `metadata` limit: UTF-8 bytes of its compact JSON (`JSON.stringify`). */
export const METADATA_MAX_BYTES = 8192;
export const INT4_MIN = -2147483648;
export const INT4_MAX = 2147483647;

/** Fields the server owns: sending one is `VALIDATION_FAILED`, never silently ignored. */
export const SERVER_OWNED_FIELDS = ['orgId', 'version', 'createdAt', 'updatedAt', 'updatedBy'] as const;

/** Marks a zod issue that maps to `PAYLOAD_TOO_LARGE` rather than `VALIDATION_FAILED`. */
export const TOO_LARGE_PARAM = 'staffSyncTooLarge';

type Expectation = string;
/** Error map: "is required" when absent, "must be …" for a wrong type; other issues keep their own message. */
export const fieldError = (what: Expectation) => (issue: { code?: string; input?: unknown }) =>
  issue.code === 'invalid_type'
    ? issue.input === undefined
      ? 'is required'
      : `must be ${what}`
    : undefined;

const UNSTORABLE_MESSAGE = 'must not contain NUL characters or unpaired surrogates';

/** A UUID in canonical 8-4-4-4-12 hex form (any version, as Postgres `uuid` accepts). */
export const uuidSchema = z.guid({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a UUID') });

const text = (max: number, what = 'a string') =>
  z.string({ error: fieldError(what) }).check(
    z.trim(),
    z.refine(isStorableText, UNSTORABLE_MESSAGE),
    z.refine((value) => codePointLength(value) <= max, `must be at most ${max} characters`),
  );

/** A department as a subscription names it: the text of a record's `department` (trimmed, never empty). */
export const departmentNameSchema = text(DEPARTMENT_MAX_CHARS).check(z.refine((value) => value.length > 0, 'must not be empty'));

const nameSchema = text(NAME_MAX_CHARS).check(z.refine((value) => value.length > 0, 'must not be empty'));

const emailFormat = z.email();
const emailSchema = z.nullable(
  text(EMAIL_MAX_CHARS, 'an e-mail address or null').check(
    z.refine((value) => emailFormat.safeParse(value).success, 'must be a valid e-mail address'),
  ),
);

const DATE_SHAPE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** A real calendar date in `YYYY-MM-DD` (years 0001–9999, as Postgres `date` accepts them). */
export function isRealDate(value: string): boolean {
  const match = DATE_SHAPE.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
  return day <= days;
}

const dateSchema = z.nullable(
  z.string({ error: fieldError('a YYYY-MM-DD date or null') }).check(z.refine(isRealDate, 'must be a real date in YYYY-MM-DD form')),
);

/** "is required" when absent, else "must be an integer" (a wrong type, a fraction or beyond ±2^53). */
const integerError = (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : 'must be an integer');

/** An integer of at least `min` (and at most `max`, when given) with the protocol's messages. */
export const integerSchema = (min: number, max?: number) =>
  z.int({ error: integerError }).check(
    z.minimum(min, { error: `must be at least ${min}` }),
    ...(max === undefined ? [] : [z.maximum(max, { error: `must be at most ${max}` })]),
  );

const displayOrderSchema = integerSchema(INT4_MIN, INT4_MAX);

/** UTF-8 bytes of a JSON value's compact form; `Infinity` when it cannot be serialised (too deep). */
export function jsonByteLength(value: unknown): number {
  try {
    return utf8ByteLength(JSON.stringify(value) ?? '');
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** Kept as sent (no copy): `metadata` is replaced whole and never interpreted by the server. */
const metadataSchema = z.custom<Record<string, unknown>>(isPlainObject, { error: 'must be a JSON object' }).check(
  z.superRefine((value, ctx) => {
    if (!isStorableJson(value)) ctx.addIssue({ code: 'custom', message: UNSTORABLE_MESSAGE });
    if (!hasOnlyFiniteNumbers(value)) ctx.addIssue({ code: 'custom', message: 'must not contain numbers beyond ±1.7976931348623157e308' });
    if (jsonByteLength(value) > METADATA_MAX_BYTES) {
      ctx.addIssue({
        code: 'custom',
        message: `must be at most ${METADATA_MAX_BYTES} bytes as JSON`,
        params: { [TOO_LARGE_PARAM]: true },
      });
    }
  }),
);

const fields = {
  name: nameSchema,
  email: emailSchema,
  phone: z.nullable(text(PHONE_MAX_CHARS, 'a string or null')),
  position: z.nullable(text(LABEL_MAX_CHARS, 'a string or null')),
  department: z.nullable(text(DEPARTMENT_MAX_CHARS, 'a string or null')),
  employmentType: z.enum(EMPLOYMENT_TYPES, { error: `must be one of ${EMPLOYMENT_TYPES.join(', ')}` }),
  status: z.enum(STAFF_STATUSES, { error: `must be one of ${STAFF_STATUSES.join(', ')}` }),
  startDate: dateSchema,
  endDate: dateSchema,
  displayOrder: displayOrderSchema,
  metadata: metadataSchema,
};

/** `endDate` ≥ `startDate` when both are given in the same object (the database checks the merged record). */
function checkDateOrder(value: { startDate?: string | null; endDate?: string | null }, ctx: z.core.$RefinementCtx): void {
  const { startDate, endDate } = value;
  if (typeof startDate === 'string' && typeof endDate === 'string' && endDate < startDate) {
    ctx.addIssue({ code: 'custom', path: ['endDate'], message: 'must be on or after startDate' });
  }
}

const objectError = fieldError('a JSON object');

/** A new staff record: `name` required, the rest optional (the database fills defaults). */
export const staffInputSchema = z
  .strictObject(
    {
      id: z.optional(uuidSchema),
      name: fields.name,
      email: z.optional(fields.email),
      phone: z.optional(fields.phone),
      position: z.optional(fields.position),
      department: z.optional(fields.department),
      employmentType: z.optional(fields.employmentType),
      status: z.optional(fields.status),
      startDate: z.optional(fields.startDate),
      endDate: z.optional(fields.endDate),
      displayOrder: z.optional(fields.displayOrder),
      metadata: z.optional(fields.metadata),
    },
    { error: objectError },
  )
  .check(z.superRefine(checkDateOrder));
export type StaffInput = z.output<typeof staffInputSchema>;

/** The fields an update changes: at least one, never `id`. */
export const staffChangesSchema = z.partial(z.strictObject(fields, { error: objectError })).check(
  z.superRefine((value, ctx) => {
    if (Object.keys(value).length === 0) ctx.addIssue({ code: 'custom', message: 'must change at least one field' });
    checkDateOrder(value, ctx);
  }),
);
export type StaffChanges = z.output<typeof staffChangesSchema>;
