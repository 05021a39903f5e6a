/**
 * Client → server frames (docs/protocol.md §3.2) as zod schemas. `parseClientFrame` (frames.ts)
 * is the entry point for untrusted text; these schemas are also what the SDK builds against.
 */
import * as z from 'zod/mini';
import { MAX_SUBSCRIBED_DEPARTMENTS } from './departments';
import { departmentSeqsSchema } from './staff';
import { INT4_MAX, departmentNameSchema, fieldError, integerSchema, staffChangesSchema, staffInputSchema, uuidSchema } from './staff-input';

export const CLIENT_FRAME_TYPES = ['STAFF_CREATE', 'STAFF_UPDATE', 'STAFF_DELETE', 'STAFF_BATCH', 'SYNC_REQUEST', 'PRESENCE_REQUEST', 'PRESENCE_EDITING', 'SUBSCRIBE', 'PING'] as const;
export type ClientFrameType = (typeof CLIENT_FRAME_TYPES)[number];

export const REQUEST_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const CURSOR_MAX_CHARS = 2048;

export const requestIdSchema = z
  .string({ error: fieldError('a string') })
  .check(z.regex(REQUEST_ID_PATTERN, { error: 'must be 1-64 characters of A-Z, a-z, 0-9, _ or -' }));

const objectError = fieldError('a JSON object');

const baseVersionSchema = integerSchema(1, INT4_MAX);

export const staffCreateFrameSchema = z.strictObject({
  type: z.literal('STAFF_CREATE'),
  requestId: requestIdSchema,
  payload: z.strictObject({ staff: staffInputSchema }, { error: objectError }),
});

export const staffUpdateFrameSchema = z.strictObject({
  type: z.literal('STAFF_UPDATE'),
  requestId: requestIdSchema,
  payload: z.strictObject(
    { staffId: uuidSchema, baseVersion: baseVersionSchema, changes: staffChangesSchema },
    { error: objectError },
  ),
});

export const staffDeleteFrameSchema = z.strictObject({
  type: z.literal('STAFF_DELETE'),
  requestId: requestIdSchema,
  payload: z.strictObject({ staffId: uuidSchema, baseVersion: baseVersionSchema }, { error: objectError }),
});

/** Most operations in one STAFF_BATCH (one transaction). */
export const MAX_BATCH_OPERATIONS = 500;

const BATCH_OPS = ['create', 'update', 'delete'] as const;

/** One operation of a STAFF_BATCH: the payload of the single write it stands for, plus `op`. */
export const batchOperationSchema = z.discriminatedUnion(
  'op',
  [
    z.strictObject({ op: z.literal('create'), staff: staffInputSchema }),
    z.strictObject({ op: z.literal('update'), staffId: uuidSchema, baseVersion: baseVersionSchema, changes: staffChangesSchema }),
    z.strictObject({ op: z.literal('delete'), staffId: uuidSchema, baseVersion: baseVersionSchema }),
  ],
  { error: (issue) => (issue.code === 'invalid_union' ? `must be one of ${BATCH_OPS.join(', ')}` : objectError(issue)) },
);
export type BatchOperation = z.output<typeof batchOperationSchema>;

export const staffBatchFrameSchema = z.strictObject({
  type: z.literal('STAFF_BATCH'),
  requestId: requestIdSchema,
  payload: z.strictObject(
    {
      operations: z
        .array(batchOperationSchema, { error: fieldError('an array of operations') })
        .check(
          z.minLength(1, { error: 'must hold at least one operation' }),
          z.maxLength(MAX_BATCH_OPERATIONS, { error: `must hold at most ${MAX_BATCH_OPERATIONS} operations` }),
        ),
    },
    { error: objectError },
  ),
});


const departmentsSchema = z
  .array(departmentNameSchema, { error: fieldError('an array of departments') })
  .check(
    z.maxLength(MAX_SUBSCRIBED_DEPARTMENTS, { error: `must hold at most ${MAX_SUBSCRIBED_DEPARTMENTS} departments` }),
    z.refine((departments) => new Set(departments).size === departments.length, 'must not name a department twice'),
  );

/** Where the client stands in each department. */
const sinceDeptSeqsSchema = departmentSeqsSchema(0, 'must map departments to integers >= 0');

const syncPayloadSchema = z
  .strictObject(
    {
      sinceSeq: z.optional(integerSchema(0)),
      /** Answer every page of one read as consecutive frames (docs/protocol.md §7.4), not one page per request. */
      stream: z.optional(z.boolean({ error: fieldError('true or false') })),
      departments: z.optional(departmentsSchema.check(z.minLength(1, { error: 'must name at least one department' }))),
      sinceDeptSeqs: z.optional(sinceDeptSeqsSchema),
      cursor: z.optional(
        z
          .string({ error: fieldError('a string') })
          .check(
            z.minLength(1, { error: 'must not be empty' }),
            z.maxLength(CURSOR_MAX_CHARS, { error: `must be at most ${CURSOR_MAX_CHARS} characters` }),
          ),
      ),
    },
    { error: objectError },
  )
  .check(
    z.refine((value) => value.sinceSeq === undefined || value.cursor === undefined, {
      error: 'give sinceSeq or cursor, not both',
    }),
    z.refine((value) => value.departments === undefined || value.sinceSeq === undefined, {
      error: 'give sinceDeptSeqs with departments, not sinceSeq',
    }),
    z.refine((value) => value.sinceDeptSeqs === undefined || (value.departments !== undefined && value.cursor === undefined), {
      error: 'give sinceDeptSeqs with departments and without cursor',
    }),
    z.refine((value) => value.sinceDeptSeqs === undefined || Object.keys(value.sinceDeptSeqs).every((department) => value.departments?.includes(department)), {
      error: 'sinceDeptSeqs may name only departments asked for',
    }),
  );

/** `requestId` is optional on reads; when given it is echoed in the reply. */
export const syncRequestFrameSchema = z.strictObject({
  type: z.literal('SYNC_REQUEST'),
  requestId: z.optional(requestIdSchema),
  payload: z.optional(syncPayloadSchema),
});

export const pingFrameSchema = z.strictObject({
  type: z.literal('PING'),
  requestId: z.optional(requestIdSchema),
  payload: z.optional(z.strictObject({}, { error: objectError })),
});

/** Who is connected to the org (a read: `requestId` optional, echoed). */
export const presenceRequestFrameSchema = z.strictObject({
  type: z.literal('PRESENCE_REQUEST'),
  requestId: z.optional(requestIdSchema),
  payload: z.optional(z.strictObject({}, { error: objectError })),
});

/** Says which record this connection edits (`null`: none); lapses after EDITING_TTL_MS unless sent again. */
export const presenceEditingFrameSchema = z.strictObject({
  type: z.literal('PRESENCE_EDITING'),
  requestId: z.optional(requestIdSchema),
  payload: z.strictObject({ staffId: z.nullable(uuidSchema) }, { error: objectError }),
});

/** Which departments' changes this connection receives (absent or empty: the whole org, as at connect). */
export const subscribeFrameSchema = z.strictObject({
  type: z.literal('SUBSCRIBE'),
  requestId: z.optional(requestIdSchema),
  payload: z.optional(z.strictObject({ departments: z.optional(departmentsSchema) }, { error: objectError })),
});

export const clientFrameSchema = z.discriminatedUnion('type', [
  staffCreateFrameSchema,
  staffUpdateFrameSchema,
  staffDeleteFrameSchema,
  staffBatchFrameSchema,
  syncRequestFrameSchema,
  presenceRequestFrameSchema,
  presenceEditingFrameSchema,
  subscribeFrameSchema,
  pingFrameSchema,
]);

export type StaffCreateFrame = z.output<typeof staffCreateFrameSchema>;
export type StaffUpdateFrame = z.output<typeof staffUpdateFrameSchema>;
export type StaffDeleteFrame = z.output<typeof staffDeleteFrameSchema>;
export type StaffBatchFrame = z.output<typeof staffBatchFrameSchema>;
export type SyncRequestFrame = z.output<typeof syncRequestFrameSchema>;
export type PingFrame = z.output<typeof pingFrameSchema>;
export type PresenceRequestFrame = z.output<typeof presenceRequestFrameSchema>;
export type PresenceEditingFrame = z.output<typeof presenceEditingFrameSchema>;
export type SubscribeFrame = z.output<typeof subscribeFrameSchema>;
export type ClientFrame = z.output<typeof clientFrameSchema>;
export type WriteFrame = StaffCreateFrame | StaffUpdateFrame | StaffDeleteFrame | StaffBatchFrame;

export const CLIENT_FRAME_SCHEMAS = {
  STAFF_CREATE: staffCreateFrameSchema,
  STAFF_UPDATE: staffUpdateFrameSchema,
  STAFF_DELETE: staffDeleteFrameSchema,
  STAFF_BATCH: staffBatchFrameSchema,
  SYNC_REQUEST: syncRequestFrameSchema,
  PRESENCE_REQUEST: presenceRequestFrameSchema,
  PRESENCE_EDITING: presenceEditingFrameSchema,
  SUBSCRIBE: subscribeFrameSchema,
  PING: pingFrameSchema,
} as const satisfies Record<ClientFrameType, z.ZodMiniType>;

export const isClientFrameType = (type: string): type is ClientFrameType =>
  (CLIENT_FRAME_TYPES as readonly string[]).includes(type);
