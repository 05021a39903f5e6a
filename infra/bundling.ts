/**
 * How every Lambda of staff-sync is built, in ONE place: the stack's `NodejsFunction`s use
 * `LAMBDA_BUNDLING`, and the cold-start benchmark (`bench/bundles.ts`) builds with
 * `esbuildOptionsFor()`, which turns the very same object into esbuild's own options, so the
 * benchmark measures exactly what is deployed.
 *
 * Decision — `@aws-sdk/*` is BUNDLED, not left to the runtime:
 * - what runs is what was tested: the pinned SDK from package-lock.json, the one the unit,
 *   integration and end-to-end suites exercise, not whatever SDK the managed runtime ships
 *   this month (AWS updates the runtime's copy without notice);
 * - it starts no slower: esbuild keeps only the commands a function imports (`module` entry
 *   points first, so the SDK's ES builds tree-shake) in one file, while the runtime's SDK is
 *   loaded from many CommonJS files. Measured with Node 20 on one full core, the median of 11
 *   `require()`s of the built bundle: connect 48 ms bundled vs 167 ms with the SDK
 *   loaded from node_modules; message 216 ms vs 218 ms;
 * - it costs bytes. Minified `index.js` with the SDK bundled vs external (SDK 3.1169; the
 *   schemas use zod/mini, whose functional API tree-shakes to the checks actually used):
 *     authorizer 349 / 55 KB, connect 362 / 39 KB, disconnect 362 / 39 KB,
 *     broadcast 446 / 43 KB, message 529 / 111 KB, http 526 / 109 KB (with zod's classic API:
 *     message 594 / 175 KB; with supabase-js instead of postgrest-js: 833 / 403 KB).
 *   The size goals (authorizer/connect/disconnect <= 120 KB, message <= 400 KB) cannot be met
 *   while the SDK is bundled. The SDK's shared core alone is ~300 KB: @smithy/core's schema
 *   serde 130 KB, the default credential chain with its nested STS/SSO clients ~100 KB, and
 *   @aws-sdk/core 34 KB. Of the rest of message/http, zod is ≈ 29 KB and postgrest-js ≈ 16 KB
 *   (supabase-js's auth, realtime and storage clients and `ws`, ≈ 250 KB, are no longer in it).
 *   `npm run bench -- coldstart` measures both choices side by side.
 *   The synth test prints the current sizes and writes them to test-artifacts/infra-synth.json.
 */
import { join, resolve } from 'node:path';
import type { BuildOptions } from 'esbuild';
import { LogLevel, OutputFormat, SourceMapMode, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';

/** The Lambda entry points of `lambdas/`, one deployed function each. */
export const LAMBDA_NAMES = ['authorizer', 'connect', 'disconnect', 'message', 'broadcast', 'http'] as const;
export type LambdaName = (typeof LAMBDA_NAMES)[number];

/** The project root: the esbuild working directory and the `NodejsFunction` project root. */
export const PROJECT_ROOT = resolve(__dirname, '..');

/** The lock file `NodejsFunction` reads (npm). */
export const DEPS_LOCK_FILE = join(PROJECT_ROOT, 'package-lock.json');

/** The TypeScript source of a Lambda entry point. */
export function entryOf(name: LambdaName): string {
  return join(PROJECT_ROOT, 'lambdas', `${name}.ts`);
}

/** The esbuild target; it must match the runtime in `infra/constructs/functions.ts` (nodejs24.x). */
export const NODE_TARGET = 'node24';

/**
 * The bundling options of every function.
 * - minified, one CommonJS file per function with only the modules it imports;
 * - source maps on, as a separate `index.js.map` (no sources inlined: the map only has to
 *   turn a stack trace into file:line, and it stays out of the code Node parses at start);
 * - `module` before `main`, so packages that ship ES builds (the AWS SDK, Powertools) are
 *   tree-shaken instead of pulled in whole through their CommonJS entry;
 * - no externals: the AWS SDK is bundled (see the decision above).
 */
export const LAMBDA_BUNDLING: BundlingOptions = {
  minify: true,
  sourceMap: true,
  sourceMapMode: SourceMapMode.DEFAULT,
  sourcesContent: false,
  target: NODE_TARGET,
  format: OutputFormat.CJS,
  mainFields: ['module', 'main'],
  bundleAwsSDK: true,
  externalModules: [],
  logLevel: LogLevel.WARNING,
};

/**
 * `NODE_OPTIONS` of every function: Node reads the bundle's source map so that stack traces
 * in the logs name the TypeScript file and line. The cost is parsing the map once per cold
 * start. Measured like the loads above: +11 ms for connect (0.6 MB map) and +41 ms for
 * message (1.6 MB map). The maps carry positions only, no sources. To trade readable stack
 * traces for that time, set this to '' (the maps still ship, for offline decoding).
 */
export const LAMBDA_NODE_OPTIONS = '--enable-source-maps';

/**
 * esbuild's own options for the build `NodejsFunction` runs with `LAMBDA_BUNDLING` (it calls
 * the esbuild CLI with `--bundle --platform=node` and the flags below), for the benchmark.
 *
 * @example
 *   await esbuild.build(esbuildOptionsFor('message', '/tmp/bundles/message/index.js'));
 */
export function esbuildOptionsFor(name: LambdaName, outfile: string): BuildOptions {
  return {
    absWorkingDir: PROJECT_ROOT,
    entryPoints: [entryOf(name)],
    outfile,
    bundle: true,
    platform: 'node',
    target: LAMBDA_BUNDLING.target ?? NODE_TARGET,
    format: LAMBDA_BUNDLING.format === OutputFormat.ESM ? 'esm' : 'cjs',
    minify: LAMBDA_BUNDLING.minify ?? false,
    sourcemap: LAMBDA_BUNDLING.sourceMap ? 'linked' : false,
    sourcesContent: LAMBDA_BUNDLING.sourcesContent ?? true,
    mainFields: [...(LAMBDA_BUNDLING.mainFields ?? [])],
    external: [...(LAMBDA_BUNDLING.externalModules ?? [])],
    logLevel: 'warning',
  };
}
