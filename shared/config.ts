/**
 * The environment, parsed once at cold start (callers call these at module scope or in a
 * once-only factory). Every setting is read through a typed get-or-throw helper that names
 * the missing or bad setting. Secrets come as a value or an ARN (`SecretSource`), resolved by
 * `shared/secrets.ts`; no deployed setting has a default secret.
 */
import { version as packageVersion } from '../package.json';
import type { SecretSource } from './secrets';

export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  readonly setting: string;

  constructor(setting: string, message: string) {
    super(message);
    this.name = 'ConfigError';
    this.setting = setting;
  }
}

/** A set, non-blank value, trimmed; `undefined` when absent or blank. */
export function getOptionalStringFromEnv(env: Env, key: string): string | undefined {
  const value = env[key]?.trim();
  return value ? value : undefined;
}

/** @example const table = getStringFromEnv(env, 'CONNECTIONS_TABLE'); // throws "Missing required setting CONNECTIONS_TABLE" */
export function getStringFromEnv(env: Env, key: string, hint = ''): string {
  const value = getOptionalStringFromEnv(env, key);
  if (value === undefined) throw new ConfigError(key, `Missing required setting ${key}${hint}`);
  return value;
}

export interface IntOptions {
  readonly defaultValue: number;
  readonly min: number;
  readonly max: number;
}

export function getIntFromEnv(env: Env, key: string, { defaultValue, min, max }: IntOptions): number {
  const raw = getOptionalStringFromEnv(env, key);
  if (raw === undefined) return defaultValue;
  const value = Number(raw);
  if (!/^-?\d+$/.test(raw) || value < min || value > max) {
    throw new ConfigError(key, `Setting ${key} must be an integer from ${min} to ${max}, got "${raw.slice(0, 40)}"`);
  }
  return value;
}

/** An absolute http(s) URL, without a trailing slash. */
export function getUrlFromEnv(env: Env, key: string, hint = ''): string {
  return checkUrl(key, getStringFromEnv(env, key, hint));
}

function checkUrl(key: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(key, `Setting ${key} must be an absolute URL, got "${raw.slice(0, 80)}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(key, `Setting ${key} must be an http(s) URL, got "${url.protocol}"`);
  }
  return raw.replace(/\/+$/, '');
}

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/;

/** `KEY` (the value) or `ARN_KEY` (a Secrets Manager ARN), never both. */
export function getSecretSourceFromEnv(env: Env, key: string, arnKey: string): SecretSource | undefined {
  const value = getOptionalStringFromEnv(env, key);
  const arn = getOptionalStringFromEnv(env, arnKey);
  if (value !== undefined && arn !== undefined) {
    throw new ConfigError(key, `Set only one of ${key} and ${arnKey}`);
  }
  if (arn !== undefined) {
    if (!SECRET_ARN.test(arn)) throw new ConfigError(arnKey, `Setting ${arnKey} must be a Secrets Manager secret ARN`);
    return { kind: 'arn', arn };
  }
  return value === undefined ? undefined : { kind: 'value', value };
}

function requireSecretSource(env: Env, key: string, arnKey: string): SecretSource {
  const source = getSecretSourceFromEnv(env, key, arnKey);
  if (!source) throw new ConfigError(key, `Missing required setting ${key} (or ${arnKey})`);
  return source;
}

export interface ServiceInfo {
  readonly name: 'staff-sync';
  readonly stage: string;
  readonly version: string;
  /** The public WebSocket URL, when the stack passes it (`GET /` shows it). */
  readonly websocketUrl?: string;
}

export function loadServiceInfo(env: Env = process.env): ServiceInfo {
  const stage = getOptionalStringFromEnv(env, 'STAGE') ?? 'local';
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(stage)) throw new ConfigError('STAGE', 'Setting STAGE must be 1-64 of A-Z, a-z, 0-9, _ or -');
  const websocketUrl = getOptionalStringFromEnv(env, 'WEBSOCKET_URL');
  return {
    name: 'staff-sync',
    stage,
    version: getOptionalStringFromEnv(env, 'SERVICE_VERSION') ?? packageVersion,
    ...(websocketUrl ? { websocketUrl } : {}),
  };
}

export interface SupabaseConfig {
  readonly url: string;
  readonly serviceKey: SecretSource;
}

export function loadSupabaseConfig(env: Env = process.env): SupabaseConfig {
  return {
    url: getUrlFromEnv(env, 'SUPABASE_URL'),
    serviceKey: requireSecretSource(env, 'SUPABASE_SERVICE_KEY', 'SUPABASE_SERVICE_KEY_SECRET_ARN'),
  };
}

export const JWT_AUDIENCE = 'authenticated';

export interface AuthConfig {
  /** HS256 tokens are accepted only when this is set. */
  readonly jwtSecret?: SecretSource;
  /** ES256/RS256 tokens are accepted only through this JWKS; `undefined` when `JWKS_URL=none`. */
  readonly jwksUrl?: string;
  /** Checked against `iss` when set. */
  readonly issuer?: string;
  readonly audience: typeof JWT_AUDIENCE;
  readonly clockToleranceS: number;
}

export function loadAuthConfig(env: Env = process.env): AuthConfig {
  const jwtSecret = getSecretSourceFromEnv(env, 'SUPABASE_JWT_SECRET', 'SUPABASE_JWT_SECRET_ARN');
  const jwksSetting = getOptionalStringFromEnv(env, 'JWKS_URL');
  const jwksUrl =
    jwksSetting === 'none'
      ? undefined
      : jwksSetting !== undefined
        ? checkUrl('JWKS_URL', jwksSetting)
        : `${getUrlFromEnv(env, 'SUPABASE_URL', ' (or JWKS_URL)')}/auth/v1/.well-known/jwks.json`;
  if (!jwtSecret && !jwksUrl) {
    throw new ConfigError('SUPABASE_JWT_SECRET', 'Missing required setting SUPABASE_JWT_SECRET (JWKS_URL is none, so no token could be verified)');
  }
  const issuer = getOptionalStringFromEnv(env, 'JWT_ISSUER');
  return {
    ...(jwtSecret ? { jwtSecret } : {}),
    ...(jwksUrl ? { jwksUrl } : {}),
    ...(issuer ? { issuer } : {}),
    audience: JWT_AUDIENCE,
    clockToleranceS: getIntFromEnv(env, 'JWT_CLOCK_TOLERANCE_S', { defaultValue: 30, min: 0, max: 300 }),
  };
}

export interface ConnectionsConfig {
  readonly tableName: string;
  /** DynamoDB endpoint override (dynalite, DynamoDB Local). */
  readonly endpoint?: string;
  readonly region: string;
}

export function loadConnectionsConfig(env: Env = process.env): ConnectionsConfig {
  const endpoint = getOptionalStringFromEnv(env, 'DYNAMODB_ENDPOINT');
  return {
    tableName: getStringFromEnv(env, 'CONNECTIONS_TABLE'),
    ...(endpoint ? { endpoint: checkUrl('DYNAMODB_ENDPOINT', endpoint) } : {}),
    region: getOptionalStringFromEnv(env, 'AWS_REGION') ?? 'us-east-1',
  };
}

export interface ManagementConfig {
  /** The `@connections` endpoint: `https://{api-id}.execute-api.{region}.amazonaws.com/{stage}`. */
  readonly endpoint: string;
  readonly region: string;
}

export function loadManagementConfig(env: Env = process.env): ManagementConfig {
  return {
    endpoint: getUrlFromEnv(env, 'WS_MANAGEMENT_ENDPOINT'),
    region: getOptionalStringFromEnv(env, 'AWS_REGION') ?? 'us-east-1',
  };
}

export interface WebhookConfig {
  readonly secret: SecretSource;
}

export function loadWebhookConfig(env: Env = process.env): WebhookConfig {
  return { secret: requireSecretSource(env, 'WEBHOOK_SECRET', 'WEBHOOK_SECRET_ARN') };
}

export interface BroadcastConfig {
  /** The broadcaster Lambda for large orgs; without it every page is served in-process. */
  readonly functionName?: string;
  /** Posts in flight at once per invocation. */
  readonly concurrency: number;
  /** Connection ids per org-index page (and per broadcaster hand-off). */
  readonly pageSize: number;
  /** Lambda's Invoke API endpoint override (the local stage's); AWS's own when absent. */
  readonly lambdaEndpoint?: string;
}

export function loadBroadcastConfig(env: Env = process.env): BroadcastConfig {
  const functionName = getOptionalStringFromEnv(env, 'BROADCASTER_FUNCTION_NAME');
  const lambdaEndpoint = getOptionalStringFromEnv(env, 'LAMBDA_ENDPOINT');
  return {
    ...(functionName ? { functionName } : {}),
    ...(lambdaEndpoint ? { lambdaEndpoint: checkUrl('LAMBDA_ENDPOINT', lambdaEndpoint) } : {}),
    concurrency: getIntFromEnv(env, 'BROADCAST_CONCURRENCY', { defaultValue: 32, min: 1, max: 1000 }),
    pageSize: getIntFromEnv(env, 'BROADCAST_PAGE_SIZE', { defaultValue: 250, min: 1, max: 1000 }),
  };
}
