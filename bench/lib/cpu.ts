/**
 * This process's CPU time sampled every few milliseconds, so the CPU spent in any past window
 * (a bench phase, known only afterwards by its timestamps) can be read back.
 */
import { epochMs } from './trace';

export interface CpuSampler {
  /** CPU ms (user + system) this process spent in [from, to]. */
  between(from: number, to: number): number;
  stop(): void;
}

export function startCpuSampler(intervalMs = 10): CpuSampler {
  const samples: Array<{ at: number; cpuMs: number }> = [];
  const take = (): void => {
    const { user, system } = process.cpuUsage();
    samples.push({ at: epochMs(), cpuMs: (user + system) / 1000 });
  };
  take();
  const timer = setInterval(take, intervalMs);
  timer.unref();
  const at = (time: number): number => {
    // The last sample at or before `time` (samples are in time order).
    let lo = 0;
    let hi = samples.length - 1;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if ((samples[mid] as { at: number }).at <= time) lo = mid;
      else hi = mid - 1;
    }
    return (samples[lo] as { cpuMs: number }).cpuMs;
  };
  return {
    between: (from, to) => {
      take();
      return at(to) - at(from);
    },
    stop: () => clearInterval(timer),
  };
}
