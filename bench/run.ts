/**
 * `npm run bench [-- BENCH ...] [--json FILE] [flags]`: runs the benchmarks in order (the cost
 * model last, fed by what the others counted), prints each one's tables and notes as it
 * finishes, and optionally writes every figure to one JSON file. Figures only: nothing here
 * passes or fails on timing; the exit code is non-zero only when a benchmark could not run.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { batch } from './batch';
import { coldstart } from './coldstart';
import { cost } from './cost';
import { fanout } from './fanout';
import { latency } from './latency';
import { parseInvocation, usage, UsageError } from './lib/cli';
import type { CountedEvents } from './lib/events';
import { renderTable } from './lib/format';
import { machineInfo } from './lib/machine';
import { createProgress } from './lib/progress';
import type { Bench, FlagValue } from './lib/types';
import { subscriptions } from './subscriptions';
import { sync } from './sync';

const ALL: readonly Bench[] = [fanout, latency, coldstart, sync, batch, subscriptions, cost];

async function main(argv: readonly string[]): Promise<number> {
  // The SDK warns once that its 2027 releases need Node 22 (Lambda runs 24); not a figure.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const invocation = parseInvocation(argv, ALL);
  if (invocation.help) {
    process.stdout.write(`${usage(ALL)}\n`);
    return 0;
  }
  const machine = machineInfo();
  process.stdout.write(
    `staff-sync benchmarks — ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGb} GB, Node ${machine.node}, commit ${machine.commit}, load average ${machine.loadAverage} at start\n\n`,
  );
  const events: CountedEvents = {};
  const json: Record<string, unknown> = {};
  let failures = 0;
  for (const bench of invocation.benches) {
    const flags: Record<string, FlagValue> = {};
    for (const [name, spec] of Object.entries(bench.flags)) flags[name] = invocation.flags[name] ?? spec.default;
    const progress = createProgress(bench.name);
    try {
      const result = await bench.run({ flags, events, progress: (message) => progress.update(message) });
      progress.done();
      json[bench.name] = result.metrics;
      const text = [...result.tables.map(renderTable), ...(result.notes.length ? [result.notes.map((note) => `  • ${note}`).join('\n')] : [])];
      process.stdout.write(`${text.join('\n\n')}\n\n`);
    } catch (error) {
      progress.done();
      failures += 1;
      json[bench.name] = { error: 1 };
      const reason = error instanceof Error ? error.message : String(error);
      process.stdout.write(`${bench.name}: could not run — ${reason}\n\n`);
      if (process.env.BENCH_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    }
  }
  const loadAtEnd = Math.round((loadavg()[0] ?? 0) * 100) / 100;
  json.machine = { ...machine, loadAverageAtEnd: loadAtEnd };
  process.stdout.write(`load average ${loadAtEnd} at the end (other work on this machine skews timings)\n`);
  if (invocation.jsonFile) {
    writeFileSync(invocation.jsonFile, `${JSON.stringify(json, null, 2)}\n`);
    process.stdout.write(`figures written to ${invocation.jsonFile}\n`);
  }
  return failures === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n\n${usage(ALL)}\n`);
      process.exit(2);
    }
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
