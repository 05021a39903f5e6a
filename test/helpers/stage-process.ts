/**
 * The local stage as its own process (`infra/local/main.ts --ready-json`, what `npm start`
 * runs), on free ports and a given data folder: the e2e suite's stage, and the reliability
 * suites' stages that are SIGKILLed and started again on the same data. Its output is appended
 * to a log file, from which the ready line is read.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_JWT_SECRET_DEFAULT } from '../../infra/local/tokens';

const ROOT = join(__dirname, '..', '..');
const READY_TIMEOUT_MS = 60_000;

export interface StageProcessOptions {
  /** LOCAL_DATA_DIR */
  readonly dataDir: string;
  /** Where the process writes its output (appended). */
  readonly logFile: string;
  /** More environment (DATABASE_URL, LOCAL_WEBHOOK_POLL_MS, BROADCAST_PAGE_SIZE, …). */
  readonly env?: Record<string, string>;
}

/** What `--ready-json` prints once the stage serves. */
export interface ReadyLine {
  readonly httpUrl: string;
  readonly websocketUrl: string;
  readonly supabaseUrl: string;
  readonly dbPort: number | null;
  readonly dynamodbEndpoint: string;
  readonly connectionsTable: string;
  readonly lambdas: 'sources' | 'bundles';
  readonly pid: number;
}

export interface StageProcess extends ReadyLine {
  readonly jwtSecret: string;
  readonly child: ChildProcess;
  /** Kills it with SIGKILL (no shutdown code runs) and waits for the exit. */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL after 5 s. */
  stop(): Promise<void>;
}

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));

export async function spawnStageProcess({ dataDir, logFile, env = {} }: StageProcessOptions): Promise<StageProcess> {
  const out = openSync(logFile, 'a');
  const offset = readFileSync(logFile, 'utf8').length;
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_OPTIONS: '',
    PORT: '0',
    DB_PORT: '0',
    LOCAL_DATA_DIR: dataDir,
    LOCAL_WEBHOOK_POLL_MS: '100',
    POWERTOOLS_LOG_LEVEL: 'WARN',
    JEST_WORKER_ID: '',
    ...env,
  };
  // Node itself with tsx's loader (not the tsx CLI, which runs the stage in a child process of its
  // own that a SIGKILL of the CLI would leave running): the pid held is the stage's. Its stdin is a
  // pipe nobody writes to: when this process dies, however it dies, the pipe ends and so does the stage.
  const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/main.ts', '--ready-json', '--stop-with-stdin'], {
    cwd: ROOT,
    env: childEnv,
    stdio: ['pipe', out, out],
  });
  closeSync(out);
  try {
    const ready = await waitForReady(logFile, offset, child);
    if (ready.pid !== child.pid) throw new Error(`the stage runs as process ${ready.pid}, not as the spawned ${child.pid}`);
    return {
      ...ready,
      jwtSecret: childEnv.SUPABASE_JWT_SECRET ?? LOCAL_JWT_SECRET_DEFAULT,
      child,
      async kill() {
        child.kill('SIGKILL');
        await exited(child);
      },
      async stop() {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.kill('SIGTERM');
        await exited(child);
        clearTimeout(timer);
      },
    };
  } catch (error) {
    child.kill('SIGKILL');
    await exited(child);
    throw error;
  }
}

async function waitForReady(logFile: string, offset: number, child: ChildProcess): Promise<ReadyLine> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const text = readFileSync(logFile, 'utf8').slice(offset);
    const line = text.split('\n').find((candidate) => candidate.startsWith('{"ready":true'));
    if (line) return JSON.parse(line) as ReadyLine;
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`local stage exited before it was ready:\n${text.slice(-4000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`local stage not ready within ${READY_TIMEOUT_MS} ms:\n${readFileSync(logFile, 'utf8').slice(offset).slice(-4000)}`);
}
