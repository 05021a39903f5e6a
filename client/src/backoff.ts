/** Reconnect delays: exponential backoff with full jitter (a random delay up to the cap). */

export interface BackoffOptions {
  /** Cap of the first retry's delay, in ms. @default 500 */
  readonly initialDelayMs?: number;
  /** Largest delay, in ms. @default 30000 */
  readonly maxDelayMs?: number;
}

export const DEFAULT_BACKOFF = { initialDelayMs: 500, maxDelayMs: 30_000 } as const;

/**
 * The delay before retry number `failures` (0 for the first retry after a healthy connection).
 *
 * @example
 * setTimeout(reconnect, backoffDelay(consecutiveFailures)); // 0–500 ms, 0–1 s, 0–2 s, … 0–30 s
 */
export function backoffDelay(failures: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = options.initialDelayMs ?? DEFAULT_BACKOFF.initialDelayMs;
  const max = options.maxDelayMs ?? DEFAULT_BACKOFF.maxDelayMs;
  const cap = Math.min(max, initial * 2 ** Math.min(failures, 30));
  return Math.floor(random() * cap);
}
