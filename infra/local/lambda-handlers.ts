/**
 * Where the local stage's Lambda handlers come from: the TypeScript sources (fast to change),
 * or the bundles `infra/bundling.ts` builds for the stack (`--bundles`, LOCAL_LAMBDAS=bundles).
 *
 * - sources: each handler factory is called with the dependencies its entry point builds at a
 *   cold start, from the environment the stage gives its Lambdas (not `process.env`), so
 *   several stages can run in one process;
 * - bundles: built with the very options the stack ships and required from the built files, so
 *   a bundling defect (a dynamic require, an ESM/CJS mix-up, a missing asset) fails on the local
 *   stage. A bundle is the deployed artefact and reads its configuration from `process.env` at
 *   its cold start, as on Lambda: the stage's Lambda environment is written there first, and
 *   each stage requires its own fresh copy.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { build } from 'esbuild';
import { createAuthorizerHandler } from '../../lambdas/handlers/authorizer';
import { createBroadcastHandler } from '../../lambdas/handlers/broadcast';
import { createConnectHandler } from '../../lambdas/handlers/connect';
import { createDisconnectHandler } from '../../lambdas/handlers/disconnect';
import { createHttpHandler } from '../../lambdas/handlers/http';
import { createMessageHandler } from '../../lambdas/handlers/message';
import { authorizerDependencies } from '../../lambdas/lib/dependencies/authorizer';
import { broadcastDependencies } from '../../lambdas/lib/dependencies/broadcast';
import { connectDependencies } from '../../lambdas/lib/dependencies/connect';
import { disconnectDependencies } from '../../lambdas/lib/dependencies/disconnect';
import { httpDependencies } from '../../lambdas/lib/dependencies/http';
import { messageDependencies } from '../../lambdas/lib/dependencies/message';
import type { Env } from '../../shared/config';
import { logger, logLevelFromEnv } from '../../shared/logger';
import { esbuildOptionsFor, LAMBDA_NAMES } from '../bundling';

export type LambdaSource = 'sources' | 'bundles';
export const LAMBDA_SOURCES: readonly LambdaSource[] = ['sources', 'bundles'];

/** The handlers the stage calls; the broadcaster behind its Invoke endpoint, as the message and HTTP Lambdas reach it when deployed. */
export interface LocalHandlers {
  readonly authorizer: ReturnType<typeof createAuthorizerHandler>;
  readonly connect: ReturnType<typeof createConnectHandler>;
  readonly disconnect: ReturnType<typeof createDisconnectHandler>;
  readonly message: ReturnType<typeof createMessageHandler>;
  readonly broadcast: ReturnType<typeof createBroadcastHandler>;
  readonly http: ReturnType<typeof createHttpHandler>;
}

export async function loadLambdaHandlers(source: LambdaSource, environment: Env, bundleDir: string, log: (message: string) => void): Promise<LocalHandlers> {
  return source === 'sources' ? fromSources(environment) : fromBundles(environment, bundleDir, log);
}

function fromSources(environment: Env): LocalHandlers {
  // In one process the sources share one logger; the stage's setting, when it has one, applies to it.
  const level = logLevelFromEnv(environment);
  if (level) logger.setLogLevel(level);
  return {
    authorizer: createAuthorizerHandler(authorizerDependencies(environment)),
    connect: createConnectHandler(connectDependencies(environment)),
    disconnect: createDisconnectHandler(disconnectDependencies(environment)),
    message: createMessageHandler(messageDependencies(environment)),
    broadcast: createBroadcastHandler(broadcastDependencies(environment)),
    http: createHttpHandler(httpDependencies(environment)),
  };
}

async function fromBundles(environment: Env, bundleDir: string, log: (message: string) => void): Promise<LocalHandlers> {
  const started = Date.now();
  const files = await Promise.all(
    LAMBDA_NAMES.map(async (name) => {
      const outfile = join(bundleDir, name, 'index.js');
      await build(esbuildOptionsFor(name, outfile));
      return [name, outfile] as const;
    }),
  );
  log(`lambdas: bundled as the stack ships them in ${Date.now() - started} ms, loaded from ${bundleDir}`);
  Object.assign(process.env, environment);
  const handlers: Partial<Record<keyof LocalHandlers, unknown>> = {};
  for (const [name, file] of files) {
    delete load.cache[file];
    const { handler } = load(file) as { handler?: unknown };
    if (typeof handler !== 'function') throw new Error(`the ${name} Lambda (${file}) exports no handler function`);
    handlers[name] = handler;
  }
  return handlers as unknown as LocalHandlers;
}

const load = createRequire(__filename);
