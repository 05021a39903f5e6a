/**
 * Command line of `npm run bench`: bench names (none = all), `--json FILE`, `--help`, and each
 * bench's own flags (`--connections 1000,10000`), typed by their defaults.
 */
import type { Bench, FlagSpec, FlagValue } from './types';

export interface Invocation {
  readonly benches: readonly Bench[];
  readonly jsonFile?: string;
  readonly help: boolean;
  /** Flag values given on the command line, by name. */
  readonly flags: Readonly<Record<string, FlagValue>>;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

function parseValue(name: string, spec: FlagSpec, raw: string | undefined): FlagValue {
  const { default: fallback } = spec;
  if (typeof fallback === 'boolean') {
    if (raw === undefined || raw === 'true') return true;
    if (raw === 'false') return false;
    throw new UsageError(`--${name} takes true or false, got "${raw}"`);
  }
  if (raw === undefined) throw new UsageError(`--${name} needs a value`);
  if (typeof fallback === 'number') {
    const value = Number(raw);
    if (!Number.isFinite(value)) throw new UsageError(`--${name} takes a number, got "${raw}"`);
    return value;
  }
  if (Array.isArray(fallback)) {
    const values = raw.split(',').map((part) => Number(part.trim()));
    if (values.some((value) => !Number.isFinite(value) || value <= 0)) throw new UsageError(`--${name} takes positive numbers separated by commas, got "${raw}"`);
    return values;
  }
  return raw;
}

export function parseInvocation(argv: readonly string[], all: readonly Bench[]): Invocation {
  const specs = new Map<string, FlagSpec>();
  for (const bench of all) {
    for (const [name, spec] of Object.entries(bench.flags)) {
      if (specs.has(name)) throw new Error(`flag --${name} is declared by two benchmarks`);
      specs.set(name, spec);
    }
  }
  const names: string[] = [];
  const flags: Record<string, FlagValue> = {};
  let jsonFile: string | undefined;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) {
      names.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    if (name === 'help' || name === 'h') {
      help = true;
      continue;
    }
    const next = argv[i + 1];
    const takeNext = (): string | undefined => (next !== undefined && !next.startsWith('--') ? (i++, next) : undefined);
    if (name === 'json') {
      jsonFile = inline ?? takeNext();
      if (!jsonFile) throw new UsageError('--json needs a file name');
      continue;
    }
    const spec = specs.get(name);
    if (!spec) throw new UsageError(`unknown flag --${name} (see --help)`);
    const isBoolean = typeof spec.default === 'boolean';
    const raw = inline ?? (isBoolean ? (next === 'true' || next === 'false' ? (i++, next) : undefined) : takeNext());
    flags[name] = parseValue(name, spec, raw);
  }
  const benches = names.length === 0 ? all : names.map((name) => {
    const bench = all.find((candidate) => candidate.name === name);
    if (!bench) throw new UsageError(`unknown benchmark "${name}"; choose from ${all.map((b) => b.name).join(', ')}`);
    return bench;
  });
  return { benches, ...(jsonFile ? { jsonFile } : {}), help, flags };
}

export function usage(all: readonly Bench[]): string {
  const lines = [
    'usage: npm run bench -- [BENCH ...] [--json FILE] [flags]',
    '',
    'Runs every benchmark (or the ones named) and prints their figures; --json FILE also writes',
    'them as { "<bench>": { "<metric>": number }, "machine": { … } }. Timings never pass or fail.',
    '',
  ];
  for (const bench of all) {
    lines.push(`${bench.name.padEnd(10)} ${bench.summary}`);
    for (const [name, spec] of Object.entries(bench.flags)) {
      const fallback = Array.isArray(spec.default) ? spec.default.join(',') : String(spec.default);
      lines.push(`  --${name.padEnd(18)} ${spec.help} (default ${fallback})`);
    }
  }
  return lines.join('\n');
}
