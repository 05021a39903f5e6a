/**
 * The shape every benchmark shares: named flags with defaults, a run that reports progress and
 * returns figures (for `--json`), tables (for the terminal) and notes (what limits a figure).
 */
import type { CountedEvents } from './events';

export type FlagValue = number | string | boolean | readonly number[];

export interface FlagSpec {
  readonly default: FlagValue;
  readonly help: string;
}

export interface Table {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: ReadonlyArray<ReadonlyArray<string | number>>;
}

export interface BenchResult {
  /** Flat figures, written to the JSON file under the bench's name. */
  readonly metrics: Record<string, number>;
  readonly tables: readonly Table[];
  /** One line each: goals met or missed, what limits the figure, what was simulated. */
  readonly notes: readonly string[];
}

export interface BenchContext {
  /** The bench's own flags, defaults applied. */
  readonly flags: Readonly<Record<string, FlagValue>>;
  /** A short progress line (stderr). */
  progress(message: string): void;
  /** Events counted by the benches of this run, for the cost model. */
  readonly events: CountedEvents;
}

export interface Bench {
  readonly name: string;
  readonly summary: string;
  readonly flags: Readonly<Record<string, FlagSpec>>;
  run(context: BenchContext): Promise<BenchResult>;
}
