/**
 * `npx cdk synth -c stage=dev` exactly as a user runs it: offline (in a network namespace
 * without interfaces where the machine allows one), no Docker, the app through tsx, and the
 * cdk-nag pack failing the synth on any unacknowledged finding. The built bundles are then
 * checked: no local-stage code, no token minting, only what each function imports. Bundle
 * sizes and the synth time are written to test-artifacts/infra-synth.json.
 */
import { spawnSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LAMBDA_NAMES, type LambdaName } from '../../infra/bundling';

const ROOT = resolve(__dirname, '../..');
const LOCAL_ONLY = ['infra/local', 'mintLocalToken', 'local-stage-jwt-secret-at-least-32-chars', 'local-stage-webhook-secret', '/local/token'];

interface Bundle {
  readonly dir: string;
  readonly code: string;
  readonly map: string;
  /** The modules esbuild put in the bundle, from the source map. */
  readonly sources: readonly string[];
}

let outdir: string;
let result: ReturnType<typeof spawnSync>;
let offline: 'network namespace' | 'proxy to a closed port';
let synthMs: number;
const bundles = new Map<LambdaName, Bundle>();

/** `unshare -rn` gives a network namespace with no interfaces, where the kernel allows it. */
function canIsolateNetwork(): boolean {
  return spawnSync('unshare', ['-rn', 'true'], { stdio: 'ignore' }).status === 0;
}

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'staff-sync-synth-'));
  const { NODE_OPTIONS: _ignored, ...parentEnv } = process.env;
  const env = {
    ...parentEnv,
    CDK_DISABLE_CLI_TELEMETRY: 'true',
    CDK_DISABLE_VERSION_CHECK: '1',
    npm_config_update_notifier: 'false',
    // Anything that still tried the network would hit a closed port.
    HTTPS_PROXY: 'http://127.0.0.1:9',
    HTTP_PROXY: 'http://127.0.0.1:9',
    NO_PROXY: '',
  };
  const synth = ['npx', 'cdk', 'synth', '-c', 'stage=dev', '--no-notices', '-o', outdir];
  const isolate = canIsolateNetwork();
  offline = isolate ? 'network namespace' : 'proxy to a closed port';
  const [command, ...args] = isolate ? ['unshare', '-rn', ...synth] : synth;
  const started = Date.now();
  result = spawnSync(command!, args, { cwd: ROOT, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 240_000 });
  synthMs = Date.now() - started;
  if (result.status !== 0) return;

  const template = JSON.parse(readFileSync(join(outdir, 'StaffSync-dev.template.json'), 'utf8')) as {
    Resources: Record<string, { Type: string; Metadata?: Record<string, string> }>;
  };
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const name = /\/Functions\/(\w+)\/Function\//.exec(resource.Metadata!['aws:cdk:path']!)![1]!.toLowerCase() as LambdaName;
    const dir = join(outdir, resource.Metadata!['aws:asset:path']!);
    const map = readFileSync(join(dir, 'index.js.map'), 'utf8');
    bundles.set(name, { dir, code: readFileSync(join(dir, 'index.js'), 'utf8'), map, sources: (JSON.parse(map) as { sources: string[] }).sources });
  }
  writeReport();
}, 300_000);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

function writeReport(): void {
  const sizes = Object.fromEntries(
    [...bundles].map(([name, bundle]) => [
      name,
      { indexJsBytes: statSync(join(bundle.dir, 'index.js')).size, sourceMapBytes: statSync(join(bundle.dir, 'index.js.map')).size, modules: bundle.sources.length },
    ]),
  );
  const dir = join(ROOT, 'test-artifacts');
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'infra-synth.json'), `${JSON.stringify({ synthMs, offline, bundles: sizes }, null, 2)}\n`);
  const line = Object.entries(sizes).map(([name, size]) => `${name} ${(size.indexJsBytes / 1024).toFixed(0)} KB`).join(', ');
  console.log(`cdk synth -c stage=dev: ${(synthMs / 1000).toFixed(1)} s (${offline}); bundles: ${line}`);
}

function bundle(name: LambdaName): Bundle {
  const found = bundles.get(name);
  if (!found) throw new Error(`no bundle for ${name}: the synth failed`);
  return found;
}

/** Optional native add-ons of `ws`, tried in a try/catch with a JavaScript fallback. */
const OPTIONAL_ADDONS = ['bufferutil', 'utf-8-validate'];

/**
 * Modules the bundle loads at run time other than Node's own. The SDK's message telling
 * users to `require("@aws-sdk/signature-v4-crt")` themselves is text, not a call.
 */
function requiredModules(code: string): string[] {
  const specifiers = [...code.matchAll(/(?<![[\w.])require\("([^"]+)"\)/g)].map((match) => match[1]!);
  return [...new Set(specifiers)]
    .filter((specifier) => !specifier.startsWith('node:') && !builtinModules.includes(specifier) && !OPTIONAL_ADDONS.includes(specifier))
    .sort();
}

const hasModule = (name: LambdaName, module: string) => bundle(name).sources.some((source) => source.includes(`node_modules/${module}/`));

describe('npx cdk synth -c stage=dev', () => {
  it('synthesizes offline, without Docker, with every cdk-nag finding acknowledged', () => {
    expect({ status: result.status, stderr: String(result.stderr).slice(-4000) }).toMatchObject({ status: 0 });
    expect(String(result.stderr)).not.toMatch(/docker/i);
  });

  it('prints the template', () => {
    expect(String(result.stdout)).toMatch(/Type: AWS::ApiGatewayV2::Api/);
    expect(String(result.stdout)).toMatch(/WebSocketUrl:/);
  });
});

describe('the deployed bundles', () => {
  it('are one minified index.js with its source map per function', () => {
    expect([...bundles.keys()].sort()).toEqual([...LAMBDA_NAMES].sort());
    for (const name of LAMBDA_NAMES) {
      const { dir, code } = bundle(name);
      expect(readdirSync(dir).sort()).toEqual(['index.js', 'index.js.map']);
      expect(code).toMatch(/\/\/# sourceMappingURL=index\.js\.map\s*$/);
      // Minified: a few very long lines (the rest are license comments and template strings).
      expect(code.length / code.split('\n').length).toBeGreaterThan(2000);
    }
  });

  it('contain no local-stage code, no token minting and no local default secret', () => {
    for (const name of LAMBDA_NAMES) {
      const { code, map, sources } = bundle(name);
      expect(sources.filter((source) => source.includes('infra/'))).toEqual([]);
      for (const marker of LOCAL_ONLY) {
        expect({ name, marker, inCode: code.includes(marker), inMap: map.includes(marker) }).toEqual({ name, marker, inCode: false, inMap: false });
      }
    }
  });

  it('carry the pinned AWS SDK instead of the runtime one, and require nothing but Node built-ins', () => {
    for (const name of LAMBDA_NAMES) {
      expect({ name, required: requiredModules(bundle(name).code) }).toEqual({ name, required: [] });
      expect(hasModule(name, '@smithy/core')).toBe(true);
    }
    expect(hasModule('connect', '@aws-sdk/client-dynamodb')).toBe(true);
  });

  it('hold only what each function imports', () => {
    for (const name of ['authorizer', 'connect', 'disconnect', 'broadcast'] as const) {
      expect({ name, supabase: hasModule(name, '@supabase/postgrest-js'), zod: hasModule(name, 'zod') }).toEqual({ name, supabase: false, zod: false });
    }
    for (const name of ['connect', 'disconnect', 'broadcast', 'message', 'http'] as const) expect({ name, jose: hasModule(name, 'jose') }).toEqual({ name, jose: false });
    expect(hasModule('authorizer', '@aws-sdk/client-dynamodb')).toBe(false);
    expect(hasModule('authorizer', 'jose')).toBe(true);
    // The staff store needs postgrest-js only: none of supabase-js's auth, realtime, storage or `ws`.
    for (const name of ['message', 'http'] as const) {
      expect({ name, postgrest: hasModule(name, '@supabase/postgrest-js'), supabaseJs: hasModule(name, '@supabase/supabase-js'), ws: hasModule(name, 'ws') }).toEqual({ name, postgrest: true, supabaseJs: false, ws: false });
    }
  });
});
