/**
 * The one structured logger (Powertools, `serviceName: 'staff-sync'`). Log `requestId`,
 * `connectionId`, `orgId`, `code` and short reasons; NEVER tokens, query strings, `email`
 * claims or whole events (a `$connect` event's query string carries the token).
 *
 * Level: `POWERTOOLS_LOG_LEVEL`, else `LOG_LEVEL` (any case; `silent`/`off`/`none` silence it).
 * Under Jest with neither set it is silent, so test output stays readable.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Env } from './config';

export const SERVICE_NAME = 'staff-sync';

type LevelName = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'CRITICAL' | 'SILENT';
const LEVELS: readonly string[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'];
const ALIASES: Readonly<Record<string, LevelName>> = { OFF: 'SILENT', NONE: 'SILENT', FATAL: 'CRITICAL', WARNING: 'WARN' };

/** The level the environment asks for, normalised; `undefined` leaves Powertools' default (INFO). */
export function logLevelFromEnv(env: Env = process.env): LevelName | undefined {
  const raw = (env.POWERTOOLS_LOG_LEVEL || env.LOG_LEVEL || '').trim().toUpperCase();
  if (raw) return ALIASES[raw] ?? (LEVELS.includes(raw) ? (raw as LevelName) : undefined);
  return env.JEST_WORKER_ID ? 'SILENT' : undefined;
}

export function createLogger(env: Env = process.env): Logger {
  const logLevel = logLevelFromEnv(env);
  return new Logger({ serviceName: SERVICE_NAME, ...(logLevel ? { logLevel } : {}) });
}

/** The process-wide logger. */
export const logger = createLogger();

/** The keys that identify one request in logs; only these are attached per request. */
export interface RequestKeys {
  readonly requestId?: string | undefined;
  readonly connectionId?: string | undefined;
  readonly orgId?: string | undefined;
}

/**
 * Replaces the per-request keys (the temporary ones `appendKeys` adds) with these; undefined
 * ones are left out. Call at the start of a handler, `target.resetKeys()` in its `finally`.
 *
 * @example
 * setRequestKeys({ requestId, connectionId, orgId: identity.orgId });
 */
export function setRequestKeys(keys: RequestKeys, target: Logger = logger): void {
  target.resetKeys();
  const defined: Record<string, string> = {};
  for (const name of ['requestId', 'connectionId', 'orgId'] as const) {
    const value = keys[name];
    if (value !== undefined) defined[name] = value;
  }
  target.appendKeys(defined);
}
