/**
 * The full local stage (`infra/local/stage.ts`) in this process: ports chosen by the OS, a
 * fresh data folder removed afterwards. Its handlers log at the deployed INFO level; their
 * lines are captured (counted for the cost model, kept off the bench's output). Only one stage
 * per process: the handlers read their settings once, at their first import (a cold start).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStage, type LocalStage } from '../../infra/local/stage';
import { localSettings } from '../../infra/local/settings';
import { captureStdout, type LogCapture } from './capture';

export interface BenchStage {
  readonly stage: LocalStage;
  readonly logs: LogCapture;
  /** The stage's service key (for the floor's own RPC calls). */
  readonly serviceKey: string;
  readonly managementEndpoint: string;
  close(): Promise<void>;
}

let started = false;

export async function startBenchStage(): Promise<BenchStage> {
  if (started) throw new Error('the local stage can start once per process (its handlers are loaded once)');
  started = true;
  const dataDir = mkdtempSync(join(tmpdir(), 'staff-sync-bench-stage-'));
  const logs = captureStdout();
  try {
    const settings = localSettings({ ...process.env, PORT: '0', DB_PORT: '0', LOCAL_DATA_DIR: dataDir, HOST: '127.0.0.1' });
    const stage = await startLocalStage(settings, () => undefined);
    return {
      stage,
      logs,
      serviceKey: process.env.SUPABASE_SERVICE_KEY ?? '',
      managementEndpoint: process.env.WS_MANAGEMENT_ENDPOINT ?? `http://127.0.0.1:${stage.port}`,
      close: async () => {
        await stage.close();
        logs.restore();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    logs.restore();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}
