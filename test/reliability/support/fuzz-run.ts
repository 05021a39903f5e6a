/**
 * What both fuzz suites share: the run's size and seed, a foreign org with live and deleted
 * records whose names must never show up in another org, and the lanes run side by side.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { createStaffStore } from '../../../shared/staff-store';
import { seedCreateArb, specArb } from './fuzz-mix';
import { Figures, runLane, type Transport } from './fuzz-lane';
import { canon, IdRegistry } from './fuzz-model';
import type { InProcessStage } from './fuzz-stage';

export const SOAK = process.env.SOAK === '1';
/** FUZZ_SEED replays a run (its seed is printed). */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
/** Under SOAK the socket lanes stop sending after this long, whatever their count. */
export const SOAK_MAX_MS = Number(process.env.SOAK_MAX_MS ?? 15 * 60_000);

const SEEDS_PER_LANE = 12;

export interface ForeignOrg {
  readonly orgId: string;
  /** The org's rows and latest seq, to prove at the end that no frame of another org touched them. */
  state(): Promise<string>;
}

/** An org no lane belongs to: 8 records named `zz-secret-…`, 3 of them deleted. */
export async function seedForeignOrg(stage: InProcessStage, registry: IdRegistry): Promise<ForeignOrg> {
  const orgId = `fz-foreign-${randomBytes(4).toString('hex')}`;
  const store = createStaffStore({ url: stage.supabaseUrl, serviceKey: stage.serviceKey });
  const ctx = { orgId, userId: 'foreign-admin' };
  registry.orgIds.add(orgId);
  for (let i = 0; i < 8; i++) {
    const { change } = await store.create(ctx, `seed-${i}`, { name: `zz-secret-${i}-${randomBytes(3).toString('hex')}`, email: `secret${i}@foreign.example` });
    if (i < 3) await store.remove(ctx, `drop-${i}`, change!.staffId, 1);
    registry.add(change!.staffId, orgId, i < 3 ? undefined : (change!.staff as Record<string, unknown>));
  }
  return {
    orgId,
    state: async () => {
      const rows = await stage.supabase.query('select public.staff_to_wire(s) as wire from public.staff s where s.org_id = $1 order by s.id', [orgId]);
      const seq = await stage.supabase.query('select public.staff_latest_seq($1) as seq', [orgId]);
      return canon({ rows: rows.rows, seq: seq.rows });
    },
  };
}

/** Runs `lanes` lanes at once, `frames` generated frames in all, and returns the figures. */
export async function fuzzLanes(
  stage: InProcessStage,
  transport: Transport,
  { frames, lanes, deadline }: { frames: number; lanes: number; deadline?: number },
): Promise<{ figures: Figures; foreignBefore: string; foreignAfter: string; elapsedMs: number }> {
  const registry = new IdRegistry();
  const foreign = await seedForeignOrg(stage, registry);
  const foreignBefore = await foreign.state();
  const figures = new Figures();
  const started = Date.now();
  const perLane = Math.ceil(frames / lanes);
  await Promise.all(
    Array.from({ length: lanes }, (_, i) =>
      runLane(
        {
          stage,
          registry,
          foreignOrgId: foreign.orgId,
          transport,
          seeds: fc.sample(seedCreateArb, { numRuns: SEEDS_PER_LANE, seed: FUZZ_SEED + 1000 + i }),
          specs: fc.sample(specArb, { numRuns: perLane, seed: FUZZ_SEED + i }),
          figures,
          ...(deadline === undefined ? {} : { deadline }),
        },
        i,
      ),
    ),
  );
  const elapsedMs = Date.now() - started;
  return { figures, foreignBefore, foreignAfter: await foreign.state(), elapsedMs };
}
