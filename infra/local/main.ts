/**
 * `npm start`: serves the local stage until Ctrl-C. With `--ready-json` it prints one JSON
 * line with its URLs when ready (the end-to-end suite starts it that way); with `--bundles` it
 * runs the Lambdas as the stack bundles them (also LOCAL_LAMBDAS=bundles); with
 * `--stop-with-stdin` it shuts down when its stdin ends, so a stage started by a process that
 * dies (a test run killed from outside) does not outlive it: the kernel closes the pipe.
 */
import { mintLocalToken } from './tokens';
import { localSettings } from './settings';
import { startLocalStage } from './stage';

async function main(): Promise<void> {
  const readyJson = process.argv.includes('--ready-json');
  const log = (message: string) => process.stderr.write(`[local] ${message}\n`);
  const fromEnv = localSettings();
  const settings = process.argv.includes('--bundles') ? { ...fromEnv, lambdas: 'bundles' as const } : fromEnv;
  if (!readyJson) log('starting: embedded Postgres, RPC server, dynalite, gateway …');
  const stage = await startLocalStage({ ...settings, log });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: shutting down`);
    const force = setTimeout(() => process.exit(1), 5000);
    force.unref();
    void stage.close().then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  if (process.argv.includes('--stop-with-stdin')) {
    process.stdin.on('end', () => stop('stdin ended')).on('error', () => stop('stdin failed'));
    process.stdin.resume();
  }

  if (readyJson) {
    process.stdout.write(`${JSON.stringify({ ready: true, httpUrl: stage.httpUrl, websocketUrl: stage.websocketUrl, supabaseUrl: stage.supabaseUrl, dbPort: stage.dbPort ?? null, dynamodbEndpoint: stage.dynamodbEndpoint, connectionsTable: stage.connectionsTable, lambdas: stage.lambdas, pid: process.pid })}\n`);
    return;
  }
  const token = await mintLocalToken({ orgId: 'demo', role: 'manager', sub: 'demo-manager', secret: settings.jwtSecret });
  process.stdout.write(
    [
      '',
      'staff-sync local stage is ready',
      `  WebSocket   ${stage.websocketUrl}?token=<token>`,
      `  health      ${stage.httpUrl}/health`,
      `  info        ${stage.httpUrl}/`,
      `  demo        ${stage.httpUrl}/demo`,
      stage.dbPort ? `  Postgres    postgres://postgres:postgres@localhost:${stage.dbPort}/postgres` : '  Postgres    DATABASE_URL',
      `  data        ${settings.dataDir}`,
      `  lambdas     ${stage.lambdas === 'bundles' ? 'the deployed bundles (infra/bundling.ts)' : 'TypeScript sources (--bundles runs the deployed bundles)'}`,
      '',
      'A manager token for org "demo" (valid 24 h):',
      token,
      '',
      `Try: npx wscat -c "${stage.websocketUrl}?token=${token.slice(0, 12)}…"  (another token: npm run token -- --org ORG --role ROLE)`,
      'Ctrl-C stops it; data survives restarts.',
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`[local] failed to start: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
