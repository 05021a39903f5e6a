/**
 * One local stage per Jest run, unless STAGE_WS_URL points the suite at a deployed stage.
 * The stage runs as its own process (as `npm start` does), on free ports and a fresh data
 * folder; its output goes to a log file the suite later scans for leaked tokens.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const READY_TIMEOUT_MS = 60_000;

export default async function globalSetup(): Promise<void> {
  if (process.env.STAGE_WS_URL) return;
  const dir = mkdtempSync(join(tmpdir(), 'staff-sync-e2e-'));
  const logFile = join(dir, 'stage.log');
  const out = openSync(logFile, 'a');
  // tsx as a loader of this very process (not its CLI, which forks a second one): the pid we
  // hold is the stage's, so teardown can always stop it.
  const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/main.ts', '--ready-json'], {
    cwd: join(__dirname, '..', '..'),
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      PORT: '0',
      DB_PORT: '0',
      LOCAL_DATA_DIR: join(dir, 'data'),
      LOCAL_WEBHOOK_POLL_MS: '50',
      // Small pages, so fan-out to an org of a few sockets is handed to the broadcaster Lambda.
      BROADCAST_PAGE_SIZE: '2',
      LOCAL_IDLE_TIMEOUT_MS: process.env.LOCAL_IDLE_TIMEOUT_MS ?? '600000',
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
    },
    stdio: ['ignore', out, out],
    detached: false,
  });
  const ready = await waitForReady(logFile, child.pid!);
  if (ready.pid !== child.pid) throw new Error(`local stage reports pid ${ready.pid}, but the process started is ${child.pid}`);
  const wanted = process.env.LOCAL_LAMBDAS || 'sources';
  if (ready.lambdas !== wanted) throw new Error(`LOCAL_LAMBDAS=${wanted} asked for, but the local stage runs its Lambdas from ${ready.lambdas}`);
  process.stderr.write(`\n[e2e] local stage ready, its Lambdas from ${ready.lambdas === 'bundles' ? 'the deployed bundles' : 'the TypeScript sources'}\n`);
  writeFileSync(join(dir, 'stage.json'), JSON.stringify(ready));
  Object.assign(process.env, {
    STAGE_WS_URL: ready.websocketUrl,
    STAGE_HTTP_URL: ready.httpUrl,
    STAGE_JWT_SECRET: 'local-stage-jwt-secret-at-least-32-chars',
    LOCAL_STAGE: '1',
    LOCAL_STAGE_PID: String(child.pid),
    LOCAL_STAGE_LOG: logFile,
    LOCAL_STAGE_DB_PORT: String(ready.dbPort ?? ''),
    LOCAL_STAGE_SUPABASE_URL: ready.supabaseUrl,
    LOCAL_STAGE_DYNAMODB_ENDPOINT: ready.dynamodbEndpoint,
    LOCAL_STAGE_CONNECTIONS_TABLE: ready.connectionsTable,
  });
  (globalThis as { __LOCAL_STAGE__?: unknown }).__LOCAL_STAGE__ = child;
}

interface Ready {
  websocketUrl: string;
  httpUrl: string;
  supabaseUrl: string;
  dbPort: number | null;
  dynamodbEndpoint: string;
  connectionsTable: string;
  lambdas: 'sources' | 'bundles';
  pid: number;
}

async function waitForReady(logFile: string, pid: number): Promise<Ready> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const text = readFileSync(logFile, 'utf8');
    const line = text.split('\n').find((candidate) => candidate.startsWith('{"ready":true'));
    if (line) return JSON.parse(line) as Ready;
    if (text.includes('failed to start')) throw new Error(`local stage failed to start:\n${text.slice(-4000)}`);
    try {
      process.kill(pid, 0);
    } catch {
      throw new Error(`local stage exited before it was ready:\n${text.slice(-4000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`local stage not ready within ${READY_TIMEOUT_MS} ms:\n${readFileSync(logFile, 'utf8').slice(-4000)}`);
}
