/**
 * Browser builds of the client with esbuild, in memory: the SDK as one ES module, and the demo
 * page as one self-contained HTML file (script and style inlined). `npx tsx client/build.ts`
 * writes both to `dist/client/` (git-ignored) and prints their sizes.
 */
import { buildSync, type BuildOptions } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const ROOT = __dirname;
const BROWSER: BuildOptions = { bundle: true, platform: 'browser', target: ['es2020'], write: false, legalComments: 'none', logLevel: 'silent' };

function bundle(options: BuildOptions): string {
  const result = buildSync({ ...BROWSER, ...options });
  const file = result.outputFiles?.[0];
  if (!file) throw new Error(`esbuild produced no output for ${String(options.entryPoints)}`);
  return file.text;
}

/** The SDK (`client/src/index.ts`) as a minified ES module for browsers. */
export function buildSdkBundle({ minify = true }: { minify?: boolean } = {}): string {
  return bundle({ entryPoints: [join(ROOT, 'src', 'index.ts')], format: 'esm', minify });
}

/** The demo page: `demo/index.html` with `demo/demo.css` and the bundled `demo/main.ts` inlined. */
export function buildDemoPage({ minify = true }: { minify?: boolean } = {}): string {
  const script = bundle({ entryPoints: [join(ROOT, 'demo', 'main.ts')], format: 'iife', minify });
  const style = readFileSync(join(ROOT, 'demo', 'demo.css'), 'utf8');
  const html = readFileSync(join(ROOT, 'demo', 'index.html'), 'utf8');
  // Replacer functions: a `$` in the code must not be read as a replacement pattern.
  return html
    .replace('/*STYLE*/', () => style)
    .replace('/*SCRIPT*/', () => script.replace(/<\/(script)/gi, '<\\/$1'));
}

export interface SizeReport {
  readonly minifiedBytes: number;
  readonly gzippedBytes: number;
}

export const sizeOf = (code: string): SizeReport => ({ minifiedBytes: Buffer.byteLength(code), gzippedBytes: gzipSync(code).length });

if (require.main === module) {
  const out = join(ROOT, '..', 'dist', 'client');
  mkdirSync(out, { recursive: true });
  const sdk = buildSdkBundle();
  writeFileSync(join(out, 'staff-sync.min.js'), sdk);
  writeFileSync(join(out, 'demo.html'), buildDemoPage());
  const { minifiedBytes, gzippedBytes } = sizeOf(sdk);
  process.stdout.write(`dist/client/staff-sync.min.js  ${(minifiedBytes / 1024).toFixed(1)} KB minified, ${(gzippedBytes / 1024).toFixed(1)} KB gzipped\ndist/client/demo.html\n`);
}
