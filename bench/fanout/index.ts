/**
 * fanout — one change delivered to N connections of one org through the real broadcaster
 * (`shared/broadcaster.ts`) and the emulator's `@connections`, each post answered after an
 * injected latency L; beside the floor ceil(N / C) × L, the same N split across parallel
 * broadcaster invocations (docs/architecture.md §3.3), and a naive `Promise.all` fan-out.
 */
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { fmt } from '../lib/format';
import { median, peakRssMb } from '../lib/stats';
import type { Bench, BenchResult } from '../lib/types';
import { runWorkers } from '../lib/worker';
import { sampleBroadcast } from './frame';
import { startFanoutStage } from './setup';
import type { FanoutWorkerInput, FanoutWorkerResult } from './worker';

/** The stack's defaults (`infra/constructs/functions.ts`, `shared/config.ts`). */
const STACK_CONCURRENCY = 32;
const STACK_PAGE_SIZE = 250;
const WORKER = 'bench/fanout/worker.ts';

interface Run extends FanoutWorkerResult {
  readonly label: string;
  readonly floorMs: number;
  readonly serverCpuMs: number;
}

export const fanout: Bench = {
  name: 'fanout',
  summary: 'one change to N connections of one org (emulator sinks with injected latency)',
  flags: {
    connections: { default: [1000, 10000], help: 'org sizes N, comma-separated' },
    'post-latency': { default: 20, help: 'injected latency L of every @connections post, ms' },
    concurrency: { default: STACK_CONCURRENCY, help: 'posts in flight C per invocation (the stack sets 32)' },
    'page-size': { default: STACK_PAGE_SIZE, help: 'connection ids per org-index query' },
    repeats: { default: 3, help: 'timed runs of the single-invocation broadcast (median shown)' },
    invocations: { default: 2, help: 'parallel broadcaster invocations of the split fan-out (0 = skip)' },
    naive: { default: true, help: 'also run the naive unbounded Promise.all fan-out' },
    'warm-up-posts': { default: 2000, help: 'posts each invocation makes before it is timed (0: a fresh container\'s first broadcast)' },
  },
  async run({ flags, progress, events }): Promise<BenchResult> {
    const sizes = flags.connections as readonly number[];
    const latencyMs = flags['post-latency'] as number;
    const concurrency = flags.concurrency as number;
    const pageSize = flags['page-size'] as number;
    const invocations = flags.invocations as number;
    const data = JSON.stringify(sampleBroadcast());
    const stage = await startFanoutStage();
    const rows: Array<Array<string | number>> = [];
    const metrics: Record<string, number> = { postLatencyMs: latencyMs, concurrency, frameBytes: Buffer.byteLength(data) };
    const notes: string[] = [];

    const timed = async (label: string, floorMs: number, inputs: readonly FanoutWorkerInput[]): Promise<Run> => {
      let cpu = process.cpuUsage();
      const results = await runWorkers<FanoutWorkerResult>(WORKER, inputs, { onGo: () => (cpu = process.cpuUsage()) });
      const { user, system } = process.cpuUsage(cpu);
      const startedAt = Math.min(...results.map((r) => r.startedAt));
      const endedAt = Math.max(...results.map((r) => r.endedAt));
      const sum = (key: 'sent' | 'gone' | 'failed' | 'cpuMs' | 'queries'): number => results.reduce((total, r) => total + r[key], 0);
      return {
        label, floorMs, startedAt, endedAt, ms: endedAt - startedAt,
        sent: sum('sent'), gone: sum('gone'), failed: sum('failed'), cpuMs: sum('cpuMs'), queries: sum('queries'),
        maxRssMb: Math.max(...results.map((r) => r.maxRssMb)),
        serverCpuMs: (user + system) / 1000,
      };
    };
    const row = (n: number, run: Run, delivered: number): Array<string | number> => [
      run.label, n, fmt(run.ms, 'ms'), fmt(run.floorMs, 'ms'), `${fmt(run.ms / run.floorMs)}×`,
      Math.round((run.sent / run.ms) * 1000), fmt(run.cpuMs / n, 'ms'), fmt(run.serverCpuMs / n, 'ms'),
      `${run.sent}/${run.failed}`, delivered, fmt(run.maxRssMb, 'MB'),
    ];

    try {
      const warmOrgId = `warm-${randomBytes(4).toString('hex')}`;
      // The JIT needs ~2 000 posts to optimise the SDK's hot path (CPU per post falls ~3×), as in a Lambda that has served traffic.
      const warmUpPosts = flags['warm-up-posts'] as number;
      metrics.warmUpPosts = warmUpPosts;
      if (warmUpPosts > 0) await stage.addOrg(warmOrgId, warmUpPosts, 1);
      for (const n of sizes) {
        const orgId = `fan${n}-${randomBytes(4).toString('hex')}`;
        const ids = await stage.addOrg(orgId, n, latencyMs, (done) => progress(`N=${n}: registering sinks and records ${done}/${n}`));
        const base: FanoutWorkerInput = {
          dynamodbEndpoint: stage.dynamo.endpoint, tableName: stage.dynamo.tableName, managementEndpoint: stage.gateway.managementEndpoint(),
          orgId, warmOrgId, mode: 'bounded', concurrency, pageSize, data,
        };
        const measure = async (label: string, floorMs: number, inputs: readonly FanoutWorkerInput[]): Promise<Run> => {
          const before = stage.delivered(orgId);
          const run = await timed(label, floorMs, inputs);
          rows.push(row(n, run, stage.delivered(orgId) - before));
          return run;
        };

        const floorMs = Math.ceil(n / concurrency) * latencyMs;
        const runs: Run[] = [];
        for (let i = 0; i < (flags.repeats as number); i++) {
          progress(`N=${n}: one invocation, run ${i + 1}/${flags.repeats}`);
          runs.push(await timed(`one invocation, C=${concurrency}`, floorMs, [base]));
        }
        const single = [...runs].sort((a, b) => a.ms - b.ms)[Math.floor(runs.length / 2)] as Run;
        rows.push(row(n, single, single.sent));
        Object.assign(metrics, {
          [`singleN${n}Ms`]: single.ms, [`singleN${n}FloorMs`]: floorMs, [`singleN${n}Ratio`]: single.ms / floorMs,
          [`singleN${n}PostsPerS`]: (single.sent / single.ms) * 1000, [`singleN${n}ClientCpuMsPerPost`]: single.cpuMs / n,
          [`singleN${n}PeakRssMb`]: single.maxRssMb, [`singleN${n}Failed`]: single.failed,
        });
        events.fanout = { concurrency, queriesPerConnection: single.queries / n, postMsPerConnection: single.ms / n };
        const cpuFloor = median(runs.map((r) => r.cpuMs));
        notes.push(
          `N=${n}, one invocation: ${fmt(single.ms / floorMs)}× the floor (goal ≤ 1.3×: ${single.ms <= 1.3 * floorMs ? 'met' : 'missed'}); ` +
            `the broadcaster process alone needs ${fmt(cpuFloor, 'ms')} of CPU (${fmt(cpuFloor / n, 'ms')} per post), ${cpuFloor > floorMs ? 'more than the floor itself: it is CPU-bound' : 'within the floor'}; peak RSS ${fmt(single.maxRssMb, 'MB')}.`,
        );

        if (invocations > 1) {
          progress(`N=${n}: split across ${invocations} parallel invocations`);
          const share = Math.ceil(n / invocations);
          const inputs = Array.from({ length: invocations }, (_, i) => ({ ...base, mode: 'ids' as const, ids: ids.slice(i * share, (i + 1) * share) }));
          const split = await measure(`${invocations} invocations, C=${concurrency} each`, Math.ceil(share / concurrency) * latencyMs, inputs);
          const machineFloor = ((split.cpuMs + split.serverCpuMs) / cpus().length);
          notes.push(
            `N=${n}, split across ${invocations}: ${fmt(split.ms / split.floorMs)}× its floor; the client and server CPU it needs, spread over this machine's ${cpus().length} cores, is ${fmt(machineFloor, 'ms')} — ` +
              `${machineFloor > split.floorMs ? 'above the latency floor, so here the split is CPU-bound (on AWS each invocation has its own CPU)' : 'below the latency floor'}.`,
          );
          Object.assign(metrics, { [`splitN${n}Ms`]: split.ms, [`splitN${n}FloorMs`]: split.floorMs, [`splitN${n}Ratio`]: split.ms / split.floorMs, [`splitN${n}PeakRssMb`]: split.maxRssMb });
        }
        if (flags.naive) {
          progress(`N=${n}: naive Promise.all`);
          const naive = await measure('naive Promise.all', Math.ceil(n / (concurrency + 1)) * latencyMs, [{ ...base, mode: 'naive' }]);
          Object.assign(metrics, { [`naiveN${n}Ms`]: naive.ms, [`naiveN${n}PeakRssMb`]: naive.maxRssMb, [`naiveN${n}Failed`]: naive.failed });
        }
      }
      metrics.emulatorPeakRssMb = peakRssMb();
    } finally {
      await stage.close();
    }
    notes.push(
      `Connections are emulator SINKS (no sockets; 10 000 sockets would meet the open-file limit): each answers its post after L = ${latencyMs} ms. Every invocation runs in a fresh bundled Node process after a warm-up broadcast of ${flags['warm-up-posts']} posts (keep-alive sockets open, the JIT warm; --warm-up-posts 0 shows a fresh container's first broadcast); its RSS is the Lambda's memory. dynalite and the emulator run in the bench process (peak RSS ${fmt(metrics.emulatorPeakRssMb, 'MB')}; "server CPU/post").`,
      `Floor = ceil(N / C) × L per invocation; split: ceil(N / (P × C)) × L; naive: every post is started at once, and only the client's ${concurrency + 1} keep-alive sockets (as lambdas/lib/fanout.ts builds it) bound it, so posts wait in the agent's queue against their timeout. Time runs from the first org-index query to the last answered post.`,
      'What limits it: C / L posts per second per invocation, and the CPU of one @connections post through the AWS SDK (client CPU/post × N is a second floor). A larger C or the split across broadcaster Lambdas (each with its own CPU on AWS; here P processes share 2 cores with the emulator) divides both.',
    );
    return {
      metrics,
      tables: [
        {
          title: `fanout — one change to N connections of one org (L = ${latencyMs} ms per post, C = ${concurrency}, pages of ${pageSize}, sinks)`,
          columns: ['fan-out', 'N', 'total', 'floor', 'ratio', 'posts/s', 'client CPU/post', 'server CPU/post', 'sent/failed', 'delivered', 'peak RSS'],
          rows,
        },
      ],
      notes,
    };
  },
};
