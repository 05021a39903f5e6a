/**
 * Where the local stage's Lambda handlers come from: the TypeScript sources (fast to change),
 * or the bundles `infra/bundling.ts` builds for the stack (`--bundles`, LOCAL_LAMBDAS=bundles),
 * built with the very options the stack ships and loaded from the built files, so a bundling
 * defect (a dynamic require, an ESM/CJS mix-up, a missing asset) fails on the local stage.
 * Either way they load only after the stage has set the environment: their module scope is the
 * cold start.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { build } from 'esbuild';
import { entryOf, esbuildOptionsFor, type LambdaName } from '../bundling';

export type LambdaSource = 'sources' | 'bundles';
export const LAMBDA_SOURCES: readonly LambdaSource[] = ['sources', 'bundles'];

/** The handlers the stage calls; the broadcaster behind its Invoke endpoint, as the message and HTTP Lambdas reach it when deployed. */
export interface LocalHandlers {
  readonly broadcast: typeof import('../../lambdas/broadcast').handler;
  readonly authorizer: typeof import('../../lambdas/authorizer').handler;
  readonly connect: typeof import('../../lambdas/connect').handler;
  readonly disconnect: typeof import('../../lambdas/disconnect').handler;
  readonly message: typeof import('../../lambdas/message').handler;
  readonly http: typeof import('../../lambdas/http').handler;
}

const NAMES = ['authorizer', 'connect', 'disconnect', 'message', 'broadcast', 'http'] as const satisfies readonly (keyof LocalHandlers & LambdaName)[];

export async function loadLambdaHandlers(source: LambdaSource, bundleDir: string, log: (message: string) => void): Promise<LocalHandlers> {
  const started = Date.now();
  const files = await Promise.all(
    NAMES.map(async (name) => {
      if (source === 'sources') return [name, entryOf(name)] as const;
      const outfile = join(bundleDir, name, 'index.js');
      await build(esbuildOptionsFor(name, outfile));
      return [name, outfile] as const;
    }),
  );
  if (source === 'bundles') log(`lambdas: bundled as the stack ships them in ${Date.now() - started} ms, loaded from ${bundleDir}`);
  const handlers: Record<string, unknown> = {};
  for (const [name, file] of files) {
    // A bundle is CommonJS and is required as it is on Lambda; a source goes through tsx's loader.
    const { handler } = (source === 'bundles' ? load(file) : await import(file)) as { handler?: unknown };
    if (typeof handler !== 'function') throw new Error(`the ${name} Lambda (${file}) exports no handler function`);
    handlers[name] = handler;
  }
  return handlers as unknown as LocalHandlers;
}

const load = createRequire(__filename);
