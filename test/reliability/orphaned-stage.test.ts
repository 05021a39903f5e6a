/**
 * A stage process whose starter dies without stopping it (a test run killed from outside) must
 * not keep running on its own: test/helpers/stage-process.ts gives it a stdin pipe and
 * `--stop-with-stdin`, and the kernel ends that pipe however the starter dies.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

jest.setTimeout(90_000);

const ROOT = resolve(__dirname, '../..');

/** Gone, or a zombie nobody reaps (a container's first process may not). */
function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  const stat = `/proc/${pid}/stat`;
  return existsSync(stat) && /^\d+ \(.*\) Z/.test(readFileSync(stat, 'utf8'));
}

async function waitUntilGone(pid: number, limitMs: number): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if (isGone(pid)) return true;
    await new Promise((done) => setTimeout(done, 100));
  }
  return isGone(pid);
}

describe('a stage process outlives nobody', () => {
  const dir = mkdtempSync(join(tmpdir(), 'staff-sync-orphan-'));
  let stagePid: number | undefined;

  afterAll(() => {
    // If the stage did outlive its starter, do not leave it running after the test has said so.
    if (stagePid !== undefined && !isGone(stagePid)) process.kill(stagePid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('shuts down when the process that started it is killed with SIGKILL', async () => {
    const logFile = join(dir, 'stage.log');
    const script = join(dir, 'starter.ts');
    writeFileSync(
      script,
      `import { spawnStageProcess } from ${JSON.stringify(join(ROOT, 'test/helpers/stage-process'))};
       (async () => {
         const stage = await spawnStageProcess({ dataDir: ${JSON.stringify(join(dir, 'data'))}, logFile: ${JSON.stringify(logFile)} });
         process.stdout.write(JSON.stringify({ pid: stage.pid }) + '\\n');
         setInterval(() => undefined, 1000);
       })();`,
    );
    const starter = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_OPTIONS: '' } });
    const exited = new Promise<void>((done) => starter.once('exit', () => done()));
    stagePid = await new Promise<number>((done, fail) => {
      let output = '';
      starter.stdout.on('data', (data: Buffer) => {
        output += data.toString();
        const line = output.split('\n').find((candidate) => candidate.startsWith('{"pid"'));
        if (line) done((JSON.parse(line) as { pid: number }).pid);
      });
      void exited.then(() => fail(new Error(`the starter exited before the stage was ready:\n${output}`)));
    });
    expect(isGone(stagePid)).toBe(false);

    starter.kill('SIGKILL');
    await exited;

    expect(await waitUntilGone(stagePid, 15_000)).toBe(true);
    expect(readFileSync(logFile, 'utf8')).toContain('stdin ended: shutting down');
  });
});
