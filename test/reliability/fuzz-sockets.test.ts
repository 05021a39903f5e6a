/**
 * Frame fuzzing over real sockets (issue 7): the same generated frames and oracle as the
 * in-process suite, each sent over a WebSocket through the local API Gateway emulator and the
 * message Lambda. Frames over 32 KB close the socket with 1009 (and the lane reconnects); split
 * into ≤ 32 KB fragments they reach the handler unless the message passes 128 KB. A text frame
 * that is not UTF-8 fails the connection with 1007 (RFC 6455 section 8.1).
 * 1 000 frames by default; `npm run test:soak` (SOAK=1) sends 10 000, bounded by SOAK_MAX_MS (15 min).
 */
import { FUZZ_SEED, SOAK, SOAK_MAX_MS, fuzzLanes } from './support/fuzz-run';
import { startInProcessStage, type InProcessStage } from './support/fuzz-stage';

const FRAMES = Number(process.env.FUZZ_SOCKET_FRAMES ?? (SOAK ? 10_000 : 1_000));
const LANES = 2;

describe('frame fuzzing over sockets', () => {
  let stage: InProcessStage;

  beforeAll(async () => {
    stage = await startInProcessStage();
  }, 60_000);

  afterAll(async () => {
    await stage?.close();
  });

  it(`answers ${FRAMES} generated frames over WebSockets, closes only for oversize (1009) or non-UTF-8 (1007) frames, and never falls over`, async () => {
    const deadline = SOAK ? Date.now() + SOAK_MAX_MS : undefined;
    const { figures, foreignBefore, foreignAfter, elapsedMs } = await fuzzLanes(stage, 'socket', { frames: FRAMES, lanes: LANES, ...(deadline ? { deadline } : {}) });

    console.log(`${figures.report(`frame fuzzing over sockets (seed ${FUZZ_SEED}, ${LANES} lanes${SOAK ? ', soak' : ''})`, elapsedMs)}${figures.problems.length ? `\n  problems:\n${figures.problems.join('\n')}` : ''}`);
    expect(figures.problems).toEqual([]);
    if (!SOAK || Date.now() < deadline!) expect(figures.frames).toBeGreaterThanOrEqual(FRAMES);
    expect(figures.byOutcome.get('closed 1009')).toBeGreaterThan(0);
    expect(figures.byOutcome.get('closed 1007')).toBeGreaterThan(0);
    expect(foreignAfter).toBe(foreignBefore);
    const health = await fetch(`${stage.httpUrl}/health`);
    expect(health.status).toBe(200);
  }, SOAK ? SOAK_MAX_MS + 120_000 : 300_000);
});
