/**
 * The health report of docs/protocol.md §10.1: each dependency checked in parallel under its
 * own deadline, so the answer comes within the deadline even when a dependency hangs.
 */
export type Check = (signal: AbortSignal) => Promise<unknown>;

export interface CheckResult {
  readonly status: 'ok' | 'error';
  readonly latencyMs: number;
  readonly error?: string;
}

export interface HealthReport {
  readonly status: 'ok' | 'degraded';
  readonly checks: Record<string, CheckResult>;
}

async function runCheck(check: Check, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`timed out after ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    await Promise.race([check(controller.signal), deadline]);
    return { status: 'ok', latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { status: 'error', latencyMs: Math.round(performance.now() - started), error: message.slice(0, 200) };
  } finally {
    clearTimeout(timer);
  }
}

export async function checkHealth(checks: Record<string, Check>, timeoutMs = 1500): Promise<HealthReport> {
  const names = Object.keys(checks);
  const results = await Promise.all(names.map((name) => runCheck(checks[name]!, timeoutMs)));
  const report: Record<string, CheckResult> = {};
  names.forEach((name, index) => (report[name] = results[index]!));
  return { status: results.every((result) => result.status === 'ok') ? 'ok' : 'degraded', checks: report };
}
