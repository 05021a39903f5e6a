/**
 * Runs a piece of the project in a fresh Node process, as a Lambda would: the TypeScript entry
 * is bundled by esbuild into one file (built once per run), started with plain `node`, handed
 * its input as JSON on stdin, and answers one JSON line on stdout. Its own memory (peak RSS) is
 * then the memory of that piece alone, not of the emulators the bench runs beside it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const ROOT = resolve(__dirname, '..', '..');
const built = new Map<string, Promise<string>>();
let outDir: string | undefined;

/** Bundles `entry` (relative to the project root) once; returns the bundle's path. */
export function bundleWorker(entry: string): Promise<string> {
  let pending = built.get(entry);
  if (!pending) {
    outDir ??= mkdtempSync(join(tmpdir(), 'staff-sync-bench-'));
    process.once('exit', () => rmSync(outDir as string, { recursive: true, force: true }));
    const outfile = join(outDir, `${entry.replace(/[^A-Za-z0-9]+/g, '-')}.js`);
    pending = build({
      absWorkingDir: ROOT,
      entryPoints: [join(ROOT, entry)],
      outfile,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      mainFields: ['module', 'main'],
      logLevel: 'error',
    }).then(() => outfile);
    built.set(entry, pending);
  }
  return pending;
}

/**
 * Runs the bundled `entry` once per input, all at once; each worker's `ready()` waits until
 * every worker has reached it (so parallel "invocations" start their timed part together).
 * Resolves with the JSON each printed last.
 */
export interface WorkerOptions {
  readonly timeoutMs?: number;
  /** Called when every worker is ready, just before they are told to go. */
  readonly onGo?: () => void;
  /** Progress lines a worker reports with `report()`. */
  readonly onProgress?: (message: string) => void;
}

export async function runWorkers<T>(entry: string, inputs: readonly unknown[], options: WorkerOptions = {}): Promise<T[]> {
  const file = await bundleWorker(entry);
  const children: ChildProcess[] = [];
  let ready = 0;
  const onReady = (): void => {
    ready += 1;
    if (ready !== inputs.length) return;
    options.onGo?.();
    for (const child of children) if (child.connected) child.send('go');
  };
  try {
    const onMessage = (message: unknown): void => {
      if (message === 'ready') onReady();
      else if (typeof message === 'object' && message && 'progress' in message) options.onProgress?.(String(message.progress));
    };
    return await Promise.all(inputs.map((input) => runOne<T>(file, entry, input, options.timeoutMs ?? 120_000, children, onMessage)));
  } catch (error) {
    for (const child of children) if (child.exitCode === null) child.kill();
    throw error;
  }
}

/** Runs the bundled `entry` with `input`; resolves with the JSON it printed last. */
export async function runWorker<T>(entry: string, input: unknown, options: WorkerOptions = {}): Promise<T> {
  const [result] = await runWorkers<T>(entry, [input], options);
  return result as T;
}

function runOne<T>(file: string, entry: string, input: unknown, timeoutMs: number, children: ChildProcess[], onMessage: (message: unknown) => void): Promise<T> {
  return new Promise<T>((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...(process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean), file], {
      stdio: ['pipe', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'SILENT', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    children.push(child);
    child.on('message', onMessage);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    // Through stdin: an argument over 128 KB (10 000 connection ids) would fail with E2BIG.
    child.stdin?.end(JSON.stringify(input));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').pop() ?? '';
      if (code === 0 && last.startsWith('{')) {
        try {
          resolvePromise(JSON.parse(last) as T);
        } catch (error) {
          reject(new Error(`${entry} answered unreadable JSON (${last.length} characters): ${(error as Error).message}`));
        }
        return;
      }
      const detail = stderr.trim().split('\n').filter((line) => !/NodeDeprecationWarning|node --trace/.test(line)).slice(-3).join(' | ');
      reject(new Error(`${entry} exited with ${signal ?? code}${detail ? `: ${detail}` : ''}`));
    });
  });
}

/** In a worker: waits until every worker of the group is ready (no-op when run alone). */
export function ready(): Promise<void> {
  if (!process.send) return Promise.resolve();
  return new Promise((resolve) => {
    process.once('message', () => resolve());
    process.send?.('ready');
  });
}

/** In a worker: a progress line for the bench's progress display. */
export function report(message: string): void {
  process.send?.({ progress: message });
}

/** In a worker: reads the input handed over by `runWorker`. */
export async function workerInput<T>(): Promise<T> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as T;
}

/** In a worker: answers and exits. */
export function answer(result: unknown): void {
  // Exit only once the pipe has taken the whole line (a large answer is written in chunks).
  process.stdout.write(`${JSON.stringify(result)}\n`, () => {
    process.disconnect?.();
    process.exit(0);
  });
}
