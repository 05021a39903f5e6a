/**
 * The full local stage (`infra/local/stage.ts`) in this process: ports chosen by the OS, a
 * fresh data folder removed afterwards. Its handlers log at the deployed INFO level; their
 * lines are captured (counted for the cost model, kept off the bench's output).
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

export async function startBenchStage(): Promise<BenchStage> {
  const dataDir = mkdtempSync(join(tmpdir(), 'staff-sync-bench-stage-'));
  const logs = captureStdout();
  try {
    const settings = localSettings({ ...process.env, PORT: '0', DB_PORT: '0', LOCAL_DATA_DIR: dataDir, HOST: '127.0.0.1' });
    const stage = await startLocalStage({ ...settings, log: () => undefined });
    return {
      stage,
      logs,
      serviceKey: stage.lambdaEnvironment.SUPABASE_SERVICE_KEY!,
      managementEndpoint: stage.lambdaEnvironment.WS_MANAGEMENT_ENDPOINT!,
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
