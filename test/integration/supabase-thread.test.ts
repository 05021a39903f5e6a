/**
 * The embedded Supabase on a thread of its own (what the local stage runs): its RPC endpoint
 * answers, the owner's SQL crosses the thread both ways with the database's error fields, its
 * snapshot loads in another Supabase, its log lines reach this process, it is gone after close,
 * a process waiting on it stays alive until the answer comes, and a failed start rejects with
 * the thread's error.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startLocalSupabaseThread, type LocalSupabaseService } from '../../infra/local/db';
import { pgliteFixture, startTestSupabase, TEST_JWT_SECRET } from '../helpers/local-supabase';

jest.setTimeout(30_000);

const FIXTURE_SQL = `
create table public.t_thread (id int generated always as identity primary key, body text not null);
create function public.t_thread_add(p_body text) returns int language sql security definer as $$ insert into public.t_thread (body) values (p_body) returning id $$;
grant execute on function public.t_thread_add(text) to service_role;
`;

let supabase: LocalSupabaseService;

beforeAll(async () => {
  supabase = await startLocalSupabaseThread({
    dataDir: 'memory://',
    port: 0,
    dbPort: false,
    jwtSecret: TEST_JWT_SECRET,
    loadDataDir: await pgliteFixture(),
  });
});

afterAll(async () => {
  await supabase?.close();
});

it('serves RPC from the thread and runs the owner SQL that exec and query pass across', async () => {
  expect(supabase.databaseKind).toBe('pglite');
  await supabase.exec(FIXTURE_SQL);
  await supabase.reloadSchemaCache();
  const response = await fetch(`${supabase.url}/rest/v1/rpc/t_thread_add`, {
    method: 'POST',
    headers: { apikey: supabase.secretKey, 'content-type': 'application/json' },
    body: '{"p_body": "through rpc"}',
  });
  expect(response.status).toBe(200);
  expect(await response.json()).toBe(1);
  const { rows } = await supabase.query<{ id: number; body: string; at: Date }>('select id, body, now() as at from public.t_thread where body = $1', ['through rpc']);
  expect(rows).toMatchObject([{ id: 1, body: 'through rpc' }]);
  // A timestamp arrives as a Date (made in Node's realm, not the test sandbox's: no instanceof here).
  expect(Object.prototype.toString.call(rows[0]!.at)).toBe('[object Date]');
});

it('rejects a failed statement with the database error: its message and its SQLSTATE code', async () => {
  const failed = await supabase.query('select 1 / 0').catch((error: Error) => error);
  expect(failed).toMatchObject({ message: 'division by zero', code: '22012' });
  // Where it failed on the thread, after where it was rebuilt here.
  expect((failed as Error).stack).toMatch(/on the embedded Supabase's thread ---\n\s*error: division by zero\n\s*at .*pglite/);
  await expect(supabase.exec('select * from public.t_missing')).rejects.toMatchObject({ code: '42P01' });
  // A parameter that cannot cross the thread is refused here, before the thread sees it.
  await expect(supabase.query('select $1 as n', [() => 1])).rejects.toThrow(/could not be cloned/);
  // The thread serves on after a failure.
  expect((await supabase.query<{ n: number }>('select 2 as n')).rows).toEqual([{ n: 2 }]);
});

it('hands over a snapshot of its data folder that another Supabase starts from', async () => {
  const dump = await supabase.dumpDataDir!();
  const copy = await startTestSupabase({ loadDataDir: dump });
  try {
    expect((await copy.query<{ body: string }>('select body from public.t_thread')).rows).toEqual([{ body: 'through rpc' }]);
  } finally {
    await copy.close();
  }
});

/** Runs a script of a process of its own that imports startLocalSupabaseThread; its output lines and exit code (null: killed after `limitMs`). */
async function runScript(body: string, limitMs = 20_000): Promise<{ lines: string[]; code: number | null }> {
  const folder = mkdtempSync(join(tmpdir(), 'staff-sync-thread-'));
  try {
    const script = join(folder, 'script.ts');
    writeFileSync(
      script,
      `import { startLocalSupabaseThread } from ${JSON.stringify(resolve(__dirname, '../../infra/local/db'))};
       const jwtSecret = ${JSON.stringify(TEST_JWT_SECRET)};
       (async () => { ${body} })();`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: resolve(__dirname, '../..'), stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (data: Buffer) => (output += data.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    const code = await new Promise<number | null>((resolvePromise) => child.once('exit', resolvePromise));
    clearTimeout(killer);
    return { lines: output.split('\n').filter(Boolean), code };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

it('logs in the starting process, keeps it alive while it owes an answer, and answers nothing once closed', async () => {
  // Nothing else holds this process open: without the pending query keeping the thread referenced, it exits before the answer.
  const { lines, code } = await runScript(`
    const supabase = await startLocalSupabaseThread({
      dataDir: 'memory://', dbPort: false, jwtSecret,
      log: (line) => /applied migrations/.test(line) && process.stdout.write('logged in this process\\n'),
    });
    const { rows } = await supabase.query('select pg_sleep(0.3), 42 as answer');
    process.stdout.write(JSON.stringify(rows[0].answer) + '\\n');
    await supabase.close();
    await supabase.query('select 1').catch((error) => process.stdout.write(error.message + '\\n'));
  `);
  expect(lines).toEqual(['logged in this process', '42', expect.stringMatching(/embedded Supabase's thread exited/)]);
  expect(code).toBe(0);
});

it('lets a process that never closes it exit once it owes nothing, a refused parameter included', async () => {
  const { lines, code } = await runScript(`
    const supabase = await startLocalSupabaseThread({ dataDir: 'memory://', dbPort: false, jwtSecret });
    await supabase.query('select $1 as n', [() => 1]).catch((error) => process.stdout.write('refused: ' + error.name + '\\n'));
    const { rows } = await supabase.query('select 7 as n');
    process.stdout.write(JSON.stringify(rows[0].n) + '\\n');
  `);
  expect(lines).toEqual(['refused: DataCloneError', '7']);
  expect(code).toBe(0);
});

it('rejects a start that fails on the thread with the error thrown there', async () => {
  // A data folder under a regular file cannot be created.
  const start = startLocalSupabaseThread({ dataDir: join(__filename, 'pgdata'), dbPort: false, jwtSecret: TEST_JWT_SECRET });
  await expect(start).rejects.toMatchObject({ code: 'EEXIST', message: expect.stringContaining('supabase-thread.test.ts') });
});
