/**
 * One local stage per Jest run, unless STAGE_WS_URL points the suite at a deployed stage.
 * The stage runs as its own process (as `npm start` does), on free ports and a fresh data
 * folder; its output goes to a log file the suite later scans for leaked tokens.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnStageProcess } from '../helpers/stage-process';

export default async function globalSetup(): Promise<void> {
  if (process.env.STAGE_WS_URL) return;
  const dir = mkdtempSync(join(tmpdir(), 'staff-sync-e2e-'));
  const logFile = join(dir, 'stage.log');
  const stage = await spawnStageProcess({
    dataDir: join(dir, 'data'),
    logFile,
    env: {
      LOCAL_WEBHOOK_POLL_MS: '50',
      // Small pages, so fan-out to an org of a few sockets is handed to the broadcaster Lambda.
      BROADCAST_PAGE_SIZE: '2',
      LOCAL_IDLE_TIMEOUT_MS: process.env.LOCAL_IDLE_TIMEOUT_MS ?? '600000',
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
    },
  });
  const wanted = process.env.LOCAL_LAMBDAS || 'sources';
  if (stage.lambdas !== wanted) {
    await stage.stop();
    throw new Error(`LOCAL_LAMBDAS=${wanted} asked for, but the local stage runs its Lambdas from ${stage.lambdas}`);
  }
  process.stderr.write(`\n[e2e] local stage ready, its Lambdas from ${stage.lambdas === 'bundles' ? 'the deployed bundles' : 'the TypeScript sources'}\n`);
  Object.assign(process.env, {
    STAGE_WS_URL: stage.websocketUrl,
    STAGE_HTTP_URL: stage.httpUrl,
    STAGE_JWT_SECRET: stage.jwtSecret,
    LOCAL_STAGE: '1',
    LOCAL_STAGE_LOG: logFile,
    LOCAL_STAGE_DB_PORT: String(stage.dbPort ?? ''),
    LOCAL_STAGE_DYNAMODB_ENDPOINT: stage.dynamodbEndpoint,
    LOCAL_STAGE_CONNECTIONS_TABLE: stage.connectionsTable,
  });
  (globalThis as { __LOCAL_STAGE__?: unknown }).__LOCAL_STAGE__ = stage;
}
