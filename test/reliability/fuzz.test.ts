/**
 * Frame fuzzing in-process (issue 7): ≥ 10 000 generated frames of every kind through the
 * message Lambda's own message service with the real staff store (supabase-js → the
 * PostgREST-compatible RPC server → PGlite), committed changes fanned out by the Lambda's own
 * code through dynalite and the local `@connections` to real sockets of the org.
 * FUZZ_FRAMES changes the count, FUZZ_SEED replays a run.
 */
import { FUZZ_SEED, fuzzLanes } from './support/fuzz-run';
import { startInProcessStage, type InProcessStage } from './support/fuzz-stage';

const FRAMES = Number(process.env.FUZZ_FRAMES ?? 10_000);
const LANES = 4;

/** Every reply the protocol has for a client frame must have been produced at least once. */
const EXPECTED_OUTCOMES = [
  'ERROR BAD_REQUEST',
  'ERROR UNKNOWN_TYPE',
  'ERROR VALIDATION_FAILED',
  'ERROR PAYLOAD_TOO_LARGE',
  'ERROR FORBIDDEN',
  'ERROR NOT_FOUND',
  'ERROR VERSION_CONFLICT',
  'ERROR TOKEN_EXPIRED',
  'ACK create',
  'ACK update',
  'ACK merged',
  'ACK delete',
  'ACK no-op',
  'ACK replayed',
  'PONG',
  'SYNC_RESPONSE',
];

describe('frame fuzzing in-process', () => {
  let stage: InProcessStage;

  beforeAll(async () => {
    stage = await startInProcessStage();
  }, 60_000);

  afterAll(async () => {
    await stage?.close();
  });

  it(`answers ${FRAMES} generated frames with the right reply, one broadcast per acknowledged change and nothing else written`, async () => {
    const { figures, foreignBefore, foreignAfter, elapsedMs } = await fuzzLanes(stage, 'service', { frames: FRAMES, lanes: LANES });

    console.log(`${figures.report(`frame fuzzing in-process (seed ${FUZZ_SEED}, ${LANES} lanes)`, elapsedMs)}${figures.problems.length ? `\n  problems:\n${figures.problems.join('\n')}` : ''}`);
    expect(figures.problems).toEqual([]);
    expect(figures.frames).toBeGreaterThanOrEqual(FRAMES);
    expect(EXPECTED_OUTCOMES.filter((outcome) => !figures.byOutcome.has(outcome))).toEqual([]);
    expect(['PING', 'SYNC_REQUEST', 'STAFF_CREATE', 'STAFF_UPDATE', 'STAFF_DELETE', 'binary', 'not JSON'].filter((type) => !figures.byType.has(type))).toEqual([]);
    expect(foreignAfter).toBe(foreignBefore);
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
    const health = await fetch(`${stage.httpUrl}/health`);
    expect(health.status).toBe(200);
  }, 600_000);
});
