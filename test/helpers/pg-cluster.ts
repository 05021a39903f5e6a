/**
 * A throwaway PostgreSQL 15 cluster for the suites that need real concurrency: a data folder in the
 * OS temp folder, a free port on 127.0.0.1, trust authentication, fsync off. `initdb` refuses to run
 * as root, so as root the binaries run as the `postgres` user (`runuser -u postgres --`).
 *
 * @example
 * const cluster = await startPgCluster();
 * if (!cluster) return console.log(PG_SKIP_MESSAGE);
 * const pool = new Pool({ connectionString: cluster.connectionString });
 * await cluster.stop();
 */
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const PG_SKIP_MESSAGE = 'SKIPPED: PostgreSQL 15 binaries not found (apt-get install postgresql-15)';

export interface PgCluster {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  readonly connectionString: string;
  readonly port: number;
  /** Stops the server (immediate mode) and removes its data folder. Safe to call twice. */
  stop(): Promise<void>;
}

const CANDIDATE_DIRS = ['/usr/lib/postgresql/15/bin'];

/** The folder holding initdb, pg_ctl and postgres: PostgreSQL 15's own, else the one on PATH. */
export function findPgBinDir(): string | undefined {
  for (const dir of CANDIDATE_DIRS) {
    if (['initdb', 'pg_ctl', 'postgres'].every((bin) => existsSync(join(dir, bin)))) return dir;
  }
  for (const dir of (process.env.PATH ?? '').split(':').filter(Boolean)) {
    if (['initdb', 'pg_ctl'].every((bin) => existsSync(join(dir, bin)))) return dir;
  }
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

const isRoot = (): boolean => process.getuid?.() === 0;

/** As root, the command line that runs `bin` as the postgres user. */
function asPostgres(bin: string, args: string[]): [string, string[]] {
  return isRoot() ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
}

async function runAsPostgres(bin: string, args: string[]): Promise<void> {
  const [command, commandArgs] = asPostgres(bin, args);
  await run(command, commandArgs);
}

function postgresIds(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

/**
 * Starts a cluster, or returns null when no PostgreSQL binaries exist (the caller logs
 * `PG_SKIP_MESSAGE`). With `CI=true` missing binaries are an error: CI must run these suites.
 */
export async function startPgCluster(): Promise<PgCluster | null> {
  const binDir = findPgBinDir();
  if (!binDir) {
    if (process.env.CI === 'true') throw new Error(`CI=true but ${PG_SKIP_MESSAGE}`);
    return null;
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'staff-sync-pg-'));
  if (isRoot()) {
    const { uid, gid } = postgresIds();
    chownSync(dataDir, uid, gid);
  }
  const pgCtl = join(binDir, 'pg_ctl');
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', stopAtExit);
    try {
      await runAsPostgres(pgCtl, ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
    } catch {
      // not running (start failed) or already gone
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  // A Jest worker that exits without afterAll must not leave a server behind.
  const stopAtExit = (): void => {
    if (stopped) return;
    try {
      const [cmd, args] = asPostgres(pgCtl, ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      execFileSync(cmd, args, { stdio: 'ignore' });
    } catch {
      // best effort
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  process.once('exit', stopAtExit);

  try {
    await runAsPostgres(join(binDir, 'initdb'), ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    const port = await freePort();
    const options = [
      `-p ${port}`,
      `-k ${dataDir}`,
      "-c listen_addresses='127.0.0.1'",
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c max_connections=100',
    ].join(' ');
    await runAsPostgres(pgCtl, ['-D', dataDir, '-l', join(dataDir, 'server.log'), '-o', options, '-w', '-t', '30', 'start']);
    return { connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`, port, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
