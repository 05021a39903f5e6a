/**
 * The compiled checks of sync pages (shared/staff-store/pages.validator.ts) are what the generator
 * makes of the page schemas today, and they pass only values zod passes unchanged: the adapter
 * returns such a value as it came, and sends everything else through zod.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import type * as z from 'zod/mini';
import { PAGES_VALIDATOR_PATH, pagesValidatorSource } from '../../../scripts/generate-validators';
import type { Change, Staff } from '../../../shared/protocol/staff';
import { streamContract } from '../../../shared/staff-store/contracts';
import { isDepartmentPageExactly, isPageExactly, isStreamExactly } from '../../../shared/staff-store/pages.validator';
import { departmentPageSchema, pageSchema, streamSchema } from '../../../shared/staff-store/results';

const iso = fc.integer({ min: 1_700_000_000_000, max: 1_900_000_000_000 }).map((ms) => new Date(ms).toISOString());
const text = fc.string({ maxLength: 12 });

const staffArb: fc.Arbitrary<Staff> = fc.record({
  id: fc.uuid(),
  orgId: text,
  name: text,
  email: fc.option(text, { nil: null }),
  phone: fc.option(text, { nil: null }),
  position: fc.option(text, { nil: null }),
  department: fc.option(text, { nil: null }),
  employmentType: fc.constantFrom('full_time', 'part_time', 'contract', 'temporary'),
  status: fc.constantFrom('active', 'inactive'),
  startDate: fc.option(fc.constant('2026-01-05'), { nil: null }),
  endDate: fc.option(fc.constant('2026-12-31'), { nil: null }),
  displayOrder: fc.integer(),
  metadata: fc.dictionary(text, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }) as fc.Arbitrary<Record<string, unknown>>,
  version: fc.integer({ min: 1, max: 1000 }),
  createdAt: iso,
  updatedAt: iso,
  updatedBy: text,
});

const changeArb: fc.Arbitrary<Change> = fc
  .record({
    seq: fc.integer({ min: 1, max: 1_000_000 }),
    op: fc.constantFrom('create', 'update', 'delete'),
    staff: staffArb,
    changedFields: fc.array(text, { maxLength: 3 }),
    actor: text,
    origin: fc.constantFrom('ws', 'db'),
    at: iso,
    deptSeqs: fc.dictionary(text, fc.integer({ min: 1, max: 1_000_000 }), { maxKeys: 3 }),
  })
  .map(({ staff, ...change }) => ({ ...change, staffId: staff.id, version: staff.version, staff }));

const pageArb = fc.oneof(
  fc.record({ mode: fc.constant('delta' as const), changes: fc.array(changeArb, { maxLength: 3 }), seq: fc.nat(), hasMore: fc.boolean() }),
  fc.record({
    mode: fc.constant('snapshot' as const),
    staff: fc.array(staffArb, { maxLength: 3 }),
    seq: fc.nat(),
    hasMore: fc.boolean(),
    afterId: fc.option(fc.uuid(), { nil: null }),
  }),
);
const pagesArb = fc.array(pageArb, { minLength: 1, maxLength: 3 });
const departmentPageArb = fc
  .tuple(pageArb, fc.dictionary(text, fc.integer({ min: 0, max: 1_000_000 }), { maxKeys: 3 }))
  .map(([page, deptSeqs]) => ({ ...page, deptSeqs }));

const CHECKS: Array<[string, (data: unknown) => boolean, z.ZodMiniType, fc.Arbitrary<unknown>]> = [
  ['a streamed read', isStreamExactly, streamSchema, pagesArb],
  ['a page', isPageExactly, pageSchema, pageArb],
  ['a department page', isDepartmentPageExactly, departmentPageSchema, departmentPageArb],
];

/** Every place in a JSON value: the path of keys and indexes that reaches it. */
function places(value: unknown, path: Array<string | number> = []): Array<Array<string | number>> {
  if (Array.isArray(value)) return [path, ...value.flatMap((item, index) => places(item, [...path, index]))];
  if (value && typeof value === 'object') return [path, ...Object.entries(value).flatMap(([key, item]) => places(item, [...path, key]))];
  return [path];
}

type Mutation = { kind: 'replace'; value: unknown } | { kind: 'delete' } | { kind: 'extra'; key: string; value: unknown };

/** `pages` with one change at `path`, as the adapter would receive it (parsed JSON). */
function mutate(pages: unknown, path: Array<string | number>, mutation: Mutation): unknown {
  const copy = structuredClone(pages);
  if (path.length === 0) return mutation.kind === 'replace' ? mutation.value : copy;
  const parent = path.slice(0, -1).reduce<any>((node, key) => node[key], copy);
  const key = path.at(-1)!;
  if (mutation.kind === 'replace') parent[key] = mutation.value;
  else if (mutation.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key];
  } else {
    const target = parent[key];
    // As JSON.parse makes it: an own key, even `__proto__`.
    if (target && typeof target === 'object' && !Array.isArray(target)) Object.defineProperty(target, mutation.key, { value: mutation.value, enumerable: true, writable: true, configurable: true });
  }
  return JSON.parse(JSON.stringify(copy)) as unknown;
}

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), value: fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.constantFrom(0, -1, 1.5, '1', '', 'not-a-uuid', null, [], {})) }),
  fc.record({ kind: fc.constant('delete' as const) }),
  fc.record({ kind: fc.constant('extra' as const), key: fc.constantFrom('extra', 'seq', 'name', '__proto__'), value: fc.jsonValue({ maxDepth: 1 }) }),
);

describe('the compiled checks of sync pages', () => {
  it('are what scripts/generate-validators.ts writes from the page schemas today (else run npm run generate:validators)', () => {
    expect(readFileSync(PAGES_VALIDATOR_PATH, 'utf8')).toBe(pagesValidatorSource());
  });

  it.each(CHECKS)('pass %s whenever zod passes it unchanged', (_name, check, schema, arbitrary) => {
    fc.assert(
      fc.property(arbitrary, (value) => {
        const json = JSON.parse(JSON.stringify(value)) as unknown;
        expect(schema.parse(json)).toEqual(json);
        expect(check(json)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it.each(CHECKS)('pass %s changed anywhere only when zod passes it too and returns it unchanged', (_name, check, schema, arbitrary) => {
    let refused = 0;
    fc.assert(
      fc.property(
        arbitrary.chain((value) => fc.tuple(fc.constant(value), fc.constantFrom(...places(value)), mutationArb)),
        ([value, path, mutation]) => {
          const changed = mutate(JSON.parse(JSON.stringify(value)), path, mutation);
          if (!check(changed)) {
            refused += 1;
            return;
          }
          const parsed = schema.safeParse(changed);
          expect(parsed.success).toBe(true);
          expect(parsed.data).toEqual(changed);
        },
      ),
      { numRuns: 1500 },
    );
    expect(refused).toBeGreaterThan(300);
  });

  it.each([
    ['an extra key in a record', (pages: any) => (pages[0].staff[0].extra = 1)],
    ['metadata that is an array', (pages: any) => (pages[0].staff[0].metadata = [])],
    ['a seq as a string', (pages: any) => (pages[0].seq = '7')],
    ['an id that is no uuid', (pages: any) => (pages[0].staff[0].id = 'x')],
  ])('leaves %s to zod, whose answer the adapter returns', (_name, change) => {
    const pages: any = [{ mode: 'snapshot', staff: fc.sample(staffArb, { numRuns: 1, seed: 3 }), seq: 7, hasMore: false, afterId: null }];
    change(pages);
    expect(isStreamExactly(pages)).toBe(false);
    expect(streamContract.safeParse(pages)).toEqual(streamSchema.safeParse(pages));
  });
});
