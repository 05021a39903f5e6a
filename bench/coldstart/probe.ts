/**
 * Module init time of a bundle in a fresh Node process: the time `require()` of the bundle
 * takes (what a Lambda cold start adds to the runtime's own bootstrap), with the function's
 * deployed `NODE_OPTIONS` and a deployed-like environment. No network is reached at init.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAMBDA_NODE_OPTIONS } from '../../infra/bundling';

const PROBE = `
const { performance } = require('node:perf_hooks');
const start = performance.now();
const loaded = require(process.argv[2]);
const initMs = performance.now() - start;
if (typeof loaded.handler !== 'function') throw new Error('the bundle exports no handler');
process.stdout.write(JSON.stringify({ initMs, rssMb: process.memoryUsage().rss / 1048576 }));
`;

/** Settings of a deployed function (values are placeholders; nothing is called at init). */
const DEPLOYED_ENV: Readonly<Record<string, string>> = {
  STAGE: 'bench',
  SERVICE_VERSION: '0.0.0-bench',
  POWERTOOLS_SERVICE_NAME: 'staff-sync',
  POWERTOOLS_LOG_LEVEL: 'INFO',
  SUPABASE_URL: 'https://abcdefghijklmnop.supabase.co',
  SUPABASE_SERVICE_KEY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:staff-sync/service-key-AbCdEf',
  SUPABASE_JWT_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:staff-sync/jwt-secret-AbCdEf',
  WEBHOOK_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:staff-sync/webhook-AbCdEf',
  JWKS_URL: 'https://abcdefghijklmnop.supabase.co/auth/v1/.well-known/jwks.json',
  JWT_ISSUER: 'https://abcdefghijklmnop.supabase.co/auth/v1',
  CONNECTIONS_TABLE: 'staff-sync-bench-connections',
  WS_MANAGEMENT_ENDPOINT: 'https://abc123defg.execute-api.us-east-1.amazonaws.com/bench',
  WEBSOCKET_URL: 'wss://abc123defg.execute-api.us-east-1.amazonaws.com/bench',
  BROADCASTER_FUNCTION_NAME: 'staff-sync-bench-broadcast',
  BROADCAST_CONCURRENCY: '32',
  BROADCAST_PAGE_SIZE: '250',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIABENCHPLACEHOLDER',
  AWS_SECRET_ACCESS_KEY: 'bench-placeholder',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  NODE_OPTIONS: LAMBDA_NODE_OPTIONS,
};

export interface InitSample {
  readonly initMs: number;
  readonly rssMb: number;
}

export function writeProbe(dir: string): string {
  const file = join(dir, 'init-probe.cjs');
  writeFileSync(file, PROBE);
  return file;
}

/** `nodePath`: where bare imports left out of the bundle resolve (the runtime's SDK). */
export function measureInit(probe: string, bundle: string, nodePath?: string): Promise<InitSample> {
  return new Promise((resolve, reject) => {
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...DEPLOYED_ENV, ...(nodePath ? { NODE_PATH: nodePath } : {}) };
    const child = spawn(process.execPath, [probe, bundle], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0 && stdout.startsWith('{')) resolve(JSON.parse(stdout) as InitSample);
      else reject(new Error(`init of ${bundle} failed (${code}): ${stderr.trim().split('\n').slice(-2).join(' | ')}`));
    });
  });
}
