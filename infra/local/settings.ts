/**
 * The local stage's own settings (never read by a deployed bundle). Defaults make
 * `npm start` work with nothing configured; each can point a piece at a real service.
 */
import { resolve } from 'node:path';
import type { Env } from '../../shared/config';
import { LAMBDA_SOURCES, type LambdaSource } from './lambda-handlers';
import { LOCAL_JWT_SECRET_DEFAULT } from './tokens';

export const LOCAL_WEBHOOK_SECRET = 'local-stage-webhook-secret';

export interface LocalStageSettings {
  readonly port: number;
  readonly dbPort: number;
  readonly host: string;
  readonly dataDir: string;
  readonly jwtSecret: string;
  readonly webhookSecret: string;
  /** Use an existing Supabase (or PostgREST) instead of the embedded one. */
  readonly supabase?: { readonly url: string; readonly serviceKey: string };
  /** Use a real Postgres instead of PGlite. */
  readonly databaseUrl?: string;
  /** Use an existing DynamoDB (e.g. DynamoDB Local) instead of dynalite. */
  readonly dynamodbEndpoint?: string;
  readonly webhookPollMs: number;
  /** Run the Lambdas from their sources, or from the bundles the stack deploys. */
  readonly lambdas: LambdaSource;
  /**
   * The environment the Lambdas start from (their tuning: BROADCAST_PAGE_SIZE, JWKS_URL,
   * POWERTOOLS_LOG_LEVEL, …); the stage sets the endpoints, table, keys and secrets over it.
   */
  readonly lambdaEnvironment: Env;
}

function portFrom(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${name} must be a port number (0 picks a free one), got "${value}"`);
  return port;
}

function positiveInt(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new Error(`${name} must be a positive whole number of milliseconds, got "${value}"`);
  return number;
}

function lambdaSource(value: string | undefined): LambdaSource {
  if (value === undefined || value === '') return 'sources';
  if (!(LAMBDA_SOURCES as readonly string[]).includes(value)) throw new Error(`LOCAL_LAMBDAS must be one of ${LAMBDA_SOURCES.join(', ')}, got "${value}"`);
  return value as LambdaSource;
}

export function localSettings(env: Env = process.env): LocalStageSettings {
  const supabaseUrl = env.SUPABASE_URL;
  const serviceKey = env.SUPABASE_SERVICE_KEY;
  if (supabaseUrl && !serviceKey) throw new Error('SUPABASE_URL is set but SUPABASE_SERVICE_KEY is missing');
  return {
    port: portFrom(env.PORT, 8080, 'PORT'),
    dbPort: portFrom(env.DB_PORT, 54322, 'DB_PORT'),
    host: env.HOST ?? '127.0.0.1',
    dataDir: resolve(env.LOCAL_DATA_DIR ?? '.local'),
    jwtSecret: env.SUPABASE_JWT_SECRET ?? LOCAL_JWT_SECRET_DEFAULT,
    webhookSecret: env.WEBHOOK_SECRET ?? LOCAL_WEBHOOK_SECRET,
    ...(supabaseUrl && serviceKey ? { supabase: { url: supabaseUrl, serviceKey } } : {}),
    ...(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : {}),
    ...(env.DYNAMODB_ENDPOINT ? { dynamodbEndpoint: env.DYNAMODB_ENDPOINT } : {}),
    webhookPollMs: positiveInt(env.LOCAL_WEBHOOK_POLL_MS, 200, 'LOCAL_WEBHOOK_POLL_MS'),
    lambdas: lambdaSource(env.LOCAL_LAMBDAS),
    lambdaEnvironment: { ...env },
  };
}
