/**
 * The local stage's PGlite data folder survives a restart and a killed process: committed writes
 * (through RPC and through the Postgres socket) are there after reopening, the `postmaster.pid` a
 * killed run leaves behind is removed at start, and a folder a live process holds is refused.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import type { LocalSupabase } from '../../infra/local/db';
import { startTestSupabase, TEST_JWT_SECRET } from '../helpers/local-supabase';

const FIXTURE_SQL = `
create table public.t_note (id int generated always as identity primary key, body text not null);
create function public.t_note(p_body text) returns void language sql security definer as $$ insert into public.t_note (body) values (p_body) $$;
grant execute on function public.t_note(text) to service_role;
`;

jest.setTimeout(20_000);

let folder: string;
let dataDir: string;
let holder: ChildProcess | undefined;

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'staff-sync-datadir-'));
  dataDir = join(folder, 'pgdata');
});

const killGroup = (child: ChildProcess): void => {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
};

afterAll(() => {
  if (holder) killGroup(holder);
  rmSync(folder, { recursive: true, force: true });
});

const notes = async (supabase: LocalSupabase): Promise<string[]> =>
  (await supabase.query<{ body: string }>('select body from public.t_note order by id')).rows.map((row) => row.body);

/** A second process that opens the folder, commits one write, says "ready" and waits to be killed. */
function startHolder(): Promise<ChildProcess> {
  const script = join(folder, 'holder.ts');
  writeFileSync(
    script,
    `import { startLocalSupabase } from ${JSON.stringify(resolve(__dirname, '../../infra/local/db'))};
     (async () => {
       const supabase = await startLocalSupabase({ dataDir: ${JSON.stringify(dataDir)}, dbPort: false, jwtSecret: ${JSON.stringify(TEST_JWT_SECRET)} });
       await supabase.query("insert into public.t_note (body) values ('from the killed run')");
       process.stdout.write('ready\\n');
       setInterval(() => undefined, 1000);
     })();`,
  );
  // Its own process group: tsx may run the script in a child process, and the whole group must die.
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: resolve(__dirname, '../..'),
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  return new Promise((resolvePromise, reject) => {
    child.stdout?.on('data', (data: Buffer) => data.toString().includes('ready') && resolvePromise(child));
    child.once('exit', (code) => reject(new Error(`holder exited with ${code}`)));
  });
}

it('keeps what RPC and the socket committed across close and reopen, and nothing of an open transaction', async () => {
  const first = await startTestSupabase({ dataDir, dbPort: 0 });
  await first.exec(FIXTURE_SQL);
  await first.reloadSchemaCache();
  const response = await fetch(`${first.url}/rest/v1/rpc/t_note`, {
    method: 'POST',
    headers: { apikey: first.secretKey, 'content-type': 'application/json' },
    body: '{"p_body": "through rpc"}',
  });
  expect(response.status).toBe(204);
  const client = new Client({ host: '127.0.0.1', port: first.dbPort, user: 'postgres', database: 'postgres' });
  await client.connect();
  await client.query(`insert into public.t_note (body) values ('through the socket')`);
  await client.query('begin');
  await client.query(`insert into public.t_note (body) values ('never committed')`);
  client.on('error', () => undefined); // closing under it ends its connection
  await first.close(); // with the socket client still inside its transaction
  await client.end().catch(() => undefined);
  expect(existsSync(`${dataDir}.lock`)).toBe(false);

  const second = await startTestSupabase({ dataDir });
  try {
    expect(await notes(second)).toEqual(['through rpc', 'through the socket']);
  } finally {
    await second.close();
  }
});

it('refuses a folder a live process holds, then starts after that process was killed and removes its stale postmaster.pid', async () => {
  const child = await startHolder();
  holder = child;
  try {
    await expect(startTestSupabase({ dataDir })).rejects.toThrow(/is in use by process \d+/);
  } finally {
    const exited = new Promise((resolvePromise) => child.once('exit', resolvePromise));
    killGroup(child);
    await exited;
  }
  expect(existsSync(join(dataDir, 'postmaster.pid'))).toBe(true);

  const logs: string[] = [];
  const restarted = await startTestSupabase({ dataDir, log: (line) => logs.push(line) });
  try {
    expect(logs.some((line) => line.includes('removed a stale postmaster.pid'))).toBe(true);
    expect(await notes(restarted)).toEqual(['through rpc', 'through the socket', 'from the killed run']);
  } finally {
    await restarted.close();
  }
});
