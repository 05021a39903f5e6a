import fc from 'fast-check';
import { STAFF_DATA_FIELDS, expandChange } from '../../../../shared/protocol/batch-codec';
import { batchBroadcastFrameSchema, batchBroadcastFrames, BILLING_UNIT_BYTES } from '../../../../shared/protocol/server-frames';
import type { Change } from '../../../../shared/protocol/staff';

const AT = '2026-12-07T06:00:00.000Z';

const changeArb = (seq: number): fc.Arbitrary<Change> =>
  fc
    .record({
      op: fc.constantFrom('create', 'update', 'delete') as fc.Arbitrary<Change['op']>,
      id: fc.uuid(),
      version: fc.integer({ min: 1, max: 5 }),
      otherOrg: fc.boolean(),
      otherActor: fc.boolean(),
      createdEarlier: fc.boolean(),
      updatedEarlier: fc.boolean(),
      name: fc.string({ maxLength: 40 }),
      fields: fc.subarray([...STAFF_DATA_FIELDS]),
      allFields: fc.boolean(),
      bumped: fc.boolean(),
      deptSeqs: fc.constantFrom({}, { Ward: 3 }, { Ward: 4, ICU: 9 }, JSON.parse('{"__proto__": 2}') as Record<string, number>),
    })
    .map((r): Change => {
      const staff = {
        id: r.id, orgId: r.otherOrg ? 'org-b' : 'org-a', name: r.name, email: null, phone: null, position: null, department: 'Ward',
        employmentType: 'full_time' as const, status: 'active' as const, startDate: null, endDate: null, displayOrder: seq,
        metadata: { n: seq }, version: r.version, createdAt: r.createdEarlier ? '2026-01-01T00:00:00.000Z' : AT,
        updatedAt: r.updatedEarlier ? '2026-01-02T00:00:00.000Z' : AT, updatedBy: r.otherActor ? 'someone-else' : 'actor-1',
      };
      const changedFields = r.allFields ? [...STAFF_DATA_FIELDS] : r.fields;
      return { seq, op: r.op, staffId: r.id, version: r.bumped ? r.version + 1 : r.version, staff, changedFields, actor: 'actor-1', origin: 'ws', at: AT, deptSeqs: r.deptSeqs };
    });

const changesArb = fc.integer({ min: 1, max: 40 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => changeArb(i + 1))));

describe('batch frames', () => {
  it('give back exactly the changes they were built from, in order, each frame within its limit', () => {
    fc.assert(
      fc.property(changesArb, fc.integer({ min: 600, max: 20_000 }), (changes, maxBytes) => {
        const frames = batchBroadcastFrames(changes, maxBytes);
        const expanded = frames.flatMap((frame) => frame.changes.map((change) => expandChange(change, frame)));
        expect(expanded).toEqual(changes);
        for (const frame of frames) {
          expect(batchBroadcastFrameSchema.safeParse(frame).success).toBe(true);
          if (frame.changes.length > 1) expect(Buffer.byteLength(JSON.stringify(frame))).toBeLessThanOrEqual(maxBytes);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('say once what a transaction repeats', () => {
    const changes = fc.sample(changesArb, { numRuns: 1, seed: 7 })[0]!.map((change) => ({
      ...change,
      op: 'create' as const,
      version: change.staff.version,
      changedFields: [...STAFF_DATA_FIELDS],
      staff: { ...change.staff, orgId: 'org-a', updatedBy: 'actor-1', createdAt: AT, updatedAt: AT },
    }));
    const [frame] = batchBroadcastFrames(changes);
    expect(frame!.changes[0]).not.toHaveProperty('changedFields');
    expect(frame!.changes[0]).not.toHaveProperty('staffId');
    expect(frame!.changes[0]!.staff).not.toHaveProperty('orgId');
    expect(Buffer.byteLength(JSON.stringify(frame))).toBeLessThan(Buffer.byteLength(JSON.stringify(changes)) * 0.7);
    expect(BILLING_UNIT_BYTES).toBe(32 * 1024);
  });
});
