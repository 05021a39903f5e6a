/**
 * Fuzzer families of writes: valid creates, updates and deletes (at current, older and ahead
 * versions), records not in the org (unknown, deleted, other orgs'), bad fields and payloads,
 * batches of them (mostly committing, some refused by one operation), and requestIds replayed or reused.
 */
import fc from 'fast-check';
import type { ErrorCode } from '../../../shared/errors';
import { mostlyWritersArb, objectDraft, pick, spec, upper, type LaneView, type Made, type ParsedFrame, type UserIx } from './fuzz-frames';
import { FIELDS, badValueArb, changesArb, staffInputArb, withKey, type BadValue } from './fuzz-values';

/** A valid create, without an id, with a fresh one, or with a fresh one in upper case. */
export const createValidRecipe = fc
  .tuple(staffInputArb, fc.constantFrom<'none' | 'fresh' | 'upper'>('none', 'fresh', 'fresh', 'upper'), fc.uuid(), fc.boolean())
  .map(([staff, idKind, id, big]) => (view: LaneView) => {
    const requestId = view.freshRequestId();
    const input = idKind === 'none' ? staff : { ...staff, id: idKind === 'upper' ? upper(id) : id };
    return objectDraft({ type: 'STAFF_CREATE', requestId, payload: { staff: input } }, undefined, { type: 'STAFF_CREATE', requestId, staff: input }, big);
  });

export const createValid = spec('STAFF_CREATE', createValidRecipe, mostlyWritersArb);

export const createTakenId = spec(
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

export const createInvalid = spec(
  'STAFF_CREATE with a bad field',
  fc.tuple(staffInputArb, badValueArb, fc.boolean()).map(([staff, badValue, fragment]) => (view: LaneView) => {
    const requestId = view.freshRequestId();
    const input = applyBad(staff, badValue);
    return objectDraft({ type: 'STAFF_CREATE', requestId, payload: { staff: input } }, { code: badValue.code, echo: requestId }, undefined, fragment);
  }),
);

export const createBadShape = spec(
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

export const updateValid = spec(
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

export const updateMissing = spec(
  'STAFF_UPDATE of a record not in the org',
  fc.tuple(missingKinds, fc.nat(), fc.uuid(), changesArb, fc.integer({ min: 1, max: 3 })).map(([kind, n, fallback, changes, baseVersion]) => (view: LaneView) => {
    const requestId = view.freshRequestId();
    const { id, probe } = missingTarget(view, kind, n, fallback);
    const payload = { staffId: id, baseVersion, changes: probe ?? changes };
    return objectDraft({ type: 'STAFF_UPDATE', requestId, payload }, undefined, { type: 'STAFF_UPDATE', requestId, ...payload });
  }),
  mostlyWritersArb,
);

export const updateInvalid = spec(
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

export const deleteValid = spec(
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

export const deleteMissing = spec(
  'STAFF_DELETE of a record not in the org',
  fc.tuple(missingKinds, fc.nat(), fc.uuid(), fc.integer({ min: 1, max: 4 })).map(([kind, n, fallback, baseVersion]) => (view: LaneView) => {
    const requestId = view.freshRequestId();
    const payload = { staffId: missingTarget(view, kind, n, fallback).id, baseVersion };
    return objectDraft({ type: 'STAFF_DELETE', requestId, payload }, undefined, { type: 'STAFF_DELETE', requestId, ...payload });
  }),
  mostlyWritersArb,
);

export const deleteInvalid = spec(
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

// ---------------------------------------------------------------- batches

type BatchOperation = Extract<ParsedFrame, { type: 'STAFF_BATCH' }>['operations'][number];

/** What a batch's recipes see while it is built: the lane, and each record's version as the earlier operations leave it. */
interface BatchPlan {
  readonly view: LaneView;
  readonly versions: Map<string, number>;
}

type OperationRecipe = (plan: BatchPlan) => BatchOperation | undefined;

const plannedTarget = (plan: BatchPlan, n: number) => pick([...plan.versions], n);

/** One operation of a batch; most commit, about one in eight is one the rules refuse (and so refuses the batch). */
const operationArb: fc.Arbitrary<OperationRecipe> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.tuple(staffInputArb, fc.constantFrom<'none' | 'fresh' | 'upper'>('none', 'fresh', 'fresh', 'upper'), fc.uuid()).map(([staff, idKind, id]): OperationRecipe => (plan) => {
      if (idKind === 'none') return { op: 'create', staff };
      plan.versions.set(id, 1);
      return { op: 'create', staff: { ...staff, id: idKind === 'upper' ? upper(id) : id } };
    }),
  },
  {
    weight: 5,
    arbitrary: fc.tuple(fc.nat(), changesArb, fc.constantFrom<'current' | 'older'>('current', 'current', 'current', 'older')).map(([n, changes, rel]): OperationRecipe => (plan) => {
      const target = plannedTarget(plan, n);
      if (!target) return undefined;
      const [staffId, version] = target;
      // A write the batch makes bumps the version the next operation on that record sees (a no-op would not: the model judges).
      plan.versions.set(staffId, version + 1);
      return { op: 'update', staffId, baseVersion: rel === 'current' ? version : Math.max(1, version - 1), changes };
    }),
  },
  {
    weight: 1,
    arbitrary: fc.nat().map((n): OperationRecipe => (plan) => {
      const target = plannedTarget(plan, n);
      if (!target || plan.versions.size < 6) return undefined;
      plan.versions.delete(target[0]);
      return { op: 'delete', staffId: target[0], baseVersion: target[1] };
    }),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(missingKinds, fc.nat(), fc.uuid(), changesArb, fc.boolean()).map(([kind, n, fallback, changes, asDelete]): OperationRecipe => (plan) => {
      const { id } = missingTarget(plan.view, kind, n, fallback);
      return asDelete ? { op: 'delete', staffId: id, baseVersion: 1 } : { op: 'update', staffId: id, baseVersion: 1, changes };
    }),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(staffInputArb, fc.nat(), fc.nat(), fc.boolean()).map(([staff, n, m, taken]): OperationRecipe => (plan) => {
      const target = plannedTarget(plan, n);
      if (taken) {
        const id = pick(plan.view.foreign(), m)?.id ?? target?.[0];
        return id ? { op: 'create', staff: { ...staff, id } } : undefined;
      }
      return target ? { op: 'update', staffId: target[0], baseVersion: target[1] + 1 + (m % 3), changes: { name: staff.name } } : undefined;
    }),
  },
);

/** A batch of 1–6 operations built against the lane (and against its own earlier operations). */
export const batchValid = spec(
  'STAFF_BATCH',
  fc.array(operationArb, { minLength: 1, maxLength: 6 }).map((recipes) => (view: LaneView) => {
    const requestId = view.freshRequestId();
    const plan: BatchPlan = { view, versions: new Map(view.live().map((record) => [record.id, record.version])) };
    const operations = recipes.map((recipe) => recipe(plan)).filter((operation): operation is BatchOperation => operation !== undefined);
    if (operations.length === 0) operations.push({ op: 'create', staff: { name: 'Batch filler' } });
    return objectDraft({ type: 'STAFF_BATCH', requestId, payload: { operations } }, undefined, { type: 'STAFF_BATCH', requestId, operations }, true);
  }),
  mostlyWritersArb,
);

/** Batches the parser refuses whole: no operations, too many, an unknown op, a bad field or key in one operation. */
export const batchInvalid = spec(
  'STAFF_BATCH with a bad payload',
  fc
    .tuple(
      fc.constantFrom<'empty' | 'not an array' | 'too many' | 'unknown op' | 'bad field' | 'extra key' | 'no staffId'>('empty', 'not an array', 'too many', 'unknown op', 'bad field', 'bad field', 'extra key', 'no staffId'),
      staffInputArb,
      badValueArb.filter((badValue) => badValue.code === 'VALIDATION_FAILED'),
      fc.nat(),
    )
    .map(([kind, staff, badValue, n]) => (view: LaneView) => {
      const requestId = view.freshRequestId();
      const target = pick(view.live(), n);
      const good = { op: 'create', staff };
      const broken: unknown =
        kind === 'empty'
          ? []
          : kind === 'not an array'
            ? { 0: good }
            : kind === 'too many'
              ? Array.from({ length: 501 }, () => ({ op: 'delete', staffId: target?.id ?? '00000000-0000-4000-8000-000000000000', baseVersion: 1 }))
              : kind === 'unknown op'
                ? [good, { op: 'upsert', staff }]
                : kind === 'bad field'
                  ? [good, { op: 'create', staff: applyBad(staff, badValue) }]
                  : kind === 'extra key'
                    ? [{ ...good, baseVersion: 1 }]
                    : [{ op: 'delete', baseVersion: 1 }];
      return objectDraft({ type: 'STAFF_BATCH', requestId, payload: { operations: broken } }, { code: 'VALIDATION_FAILED', echo: requestId }, undefined, true);
    }),
);

// ---------------------------------------------------------------- requestId reuse

/** The exact text of a committed write sent again by the same user: the original ACK, nothing broadcast. */
export const replay = spec(
  'replayed requestId',
  fc.tuple(fc.nat(), fc.constantFrom<UserIx>(0, 1)).map(([n, as]) => (view: LaneView): Made => {
    const done = pick(view.committed(as), n);
    if (!done) return { ...objectDraft({ type: 'PING' }, undefined, { type: 'PING' }), as };
    const parsed = JSON.parse(done.wire) as { type: ParsedFrame['type']; requestId: string; payload: Record<string, unknown> };
    return { ...objectDraft(parsed, undefined, toParsed(parsed)), wire: done.wire, as };
  }),
);

/** A committed requestId on a different request: VALIDATION_FAILED at `requestId` (the model checks the payloads differ). */
export const reuse = spec(
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
  if (type === 'STAFF_BATCH') return { type, requestId, operations: payload.operations as Extract<ParsedFrame, { type: 'STAFF_BATCH' }>['operations'] };
  throw new Error(`not a write: ${type}`);
}
