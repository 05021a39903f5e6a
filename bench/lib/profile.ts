/**
 * A CPU profile of this process over a window (V8's sampling profiler through node:inspector),
 * summed by component: which package or part of the project the sampled code belongs to.
 */
import { Session } from 'node:inspector';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly url: string; readonly functionName: string };
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Components, first match wins; the rest is Node itself (HTTP, sockets, timers) or idle. */
const COMPONENTS: ReadonlyArray<readonly [string, RegExp]> = [
  ['PGlite (Postgres in WebAssembly)', /\/wasm\/|@electric-sql\/pglite/],
  ['dynalite (DynamoDB emulator)', /dynalite|classic-level|abstract-level|levelup|leveldown|memdown|big\.js|lazy|lock\//],
  ['AWS SDK clients', /@aws-sdk|@smithy|@aws-crypto/],
  ['postgrest-js', /@supabase/],
  ['zod (validation)', /node_modules\/zod/],
  ['Powertools logger', /@aws-lambda-powertools/],
  ['jose (JWT)', /node_modules\/jose/],
  ['ws (WebSocket server)', /node_modules\/ws\//],
  ['gateway emulator', /infra\/local\/gateway/],
  ['RPC server and local Supabase', /infra\/local\/db/],
  ['handlers and shared code', /\/(lambdas|shared)\//],
  ['bench harness', /\/bench\//],
];

export interface ComponentTime {
  readonly component: string;
  readonly ms: number;
}

export interface CpuProfiler {
  start(): void;
  /** Stops and returns the CPU time by component, largest first (idle left out). */
  stop(): Promise<ComponentTime[]>;
}

const post = <T>(session: Session, method: string, params?: object): Promise<T> =>
  new Promise((resolve, reject) => session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result as T))));

export function createCpuProfiler(): CpuProfiler {
  const session = new Session();
  let running: Promise<unknown> | undefined;
  return {
    start() {
      session.connect();
      running = post(session, 'Profiler.enable').then(() => post(session, 'Profiler.start'));
    },
    async stop() {
      if (!running) return [];
      await running;
      const { profile } = await post<{ profile: Profile }>(session, 'Profiler.stop');
      session.disconnect();
      const componentOf = new Map<number, string>();
      for (const node of profile.nodes) {
        const { url, functionName } = node.callFrame;
        const named = COMPONENTS.find(([, pattern]) => pattern.test(url))?.[0];
        componentOf.set(node.id, named ?? (functionName === '(idle)' ? '(idle)' : functionName === '(garbage collector)' ? 'garbage collector' : 'Node (HTTP, sockets, timers, JSON)'));
      }
      const totals = new Map<string, number>();
      profile.samples.forEach((id, i) => {
        const component = componentOf.get(id) ?? 'other';
        totals.set(component, (totals.get(component) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
      });
      totals.delete('(idle)');
      return [...totals.entries()].map(([component, ms]) => ({ component, ms })).sort((a, b) => b.ms - a.ms);
    },
  };
}
