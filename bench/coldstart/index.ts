/**
 * coldstart — every Lambda bundled exactly as the stack bundles it (`infra/bundling.ts`): its
 * minified size, and its module init in a fresh Node process (median of ≥ 10), beside a bundle
 * with the same options that only imports and builds the AWS SDK clients that Lambda uses.
 */
import { BundleBuilder, LAMBDA_BUNDLING, LAMBDA_NAMES, type LambdaBundle, type SdkOnlyBundle } from '../bundles';
import { fmt, kb } from '../lib/format';
import { median } from '../lib/stats';
import type { Bench, BenchResult } from '../lib/types';
import { measureInit, writeProbe } from './probe';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../infra/bundling';

const NODE_MODULES = join(PROJECT_ROOT, 'node_modules');

/** Size goals of issue 6 (minified `index.js`). */
const SIZE_GOAL_KB: Readonly<Record<string, number>> = { authorizer: 120, connect: 120, disconnect: 120, message: 400 };
const INIT_GOAL_RATIO = 1.3;

const SHORT_NAMES: Readonly<Record<string, string>> = {
  '@aws-sdk/client-dynamodb': 'ddb',
  '@aws-sdk/lib-dynamodb': 'ddb-doc',
  '@aws-sdk/client-apigatewaymanagementapi': 'apigw',
  '@aws-sdk/client-lambda': 'lambda',
  '@aws-sdk/client-secrets-manager': 'secrets',
};

export const coldstart: Bench = {
  name: 'coldstart',
  summary: 'bundle size and module init of every Lambda, beside an SDK-only bundle',
  flags: {
    runs: { default: 12, help: 'fresh processes per bundle (median shown; at least 10)' },
  },
  async run({ flags, progress, events }): Promise<BenchResult> {
    const runs = Math.max(10, flags.runs as number);
    const builder = new BundleBuilder();
    const rows: Array<Array<string | number>> = [];
    const metrics: Record<string, number> = {};
    const notes: string[] = [];
    const initByName: Record<string, number> = {};
    const composition: string[] = [];
    try {
      const probe = writeProbe(builder.dir);
      const built: Array<{ lambda: LambdaBundle; sdkOnly: SdkOnlyBundle; external: { file: string; bytes: number } }> = [];
      for (const name of LAMBDA_NAMES) {
        progress(`bundling ${name}`);
        const lambda = await builder.lambda(name);
        built.push({ lambda, sdkOnly: await builder.sdkOnly(name, lambda.sdkPackages), external: await builder.lambdaSdkExternal(name) });
      }
      for (const { lambda, sdkOnly, external } of built) {
        const own: number[] = [];
        const base: number[] = [];
        const ext: number[] = [];
        const rss: number[] = [];
        for (let i = 0; i < runs; i++) {
          progress(`${lambda.name}: fresh process ${i + 1}/${runs}`);
          // Interleaved, so a burst of load on the machine touches both series alike.
          const sample = await measureInit(probe, lambda.file);
          own.push(sample.initMs);
          rss.push(sample.rssMb);
          base.push((await measureInit(probe, sdkOnly.file)).initMs);
          ext.push((await measureInit(probe, external.file, NODE_MODULES)).initMs);
        }
        const initMs = median(own);
        const sdkInitMs = median(base);
        const ratio = initMs / sdkInitMs;
        const goalKb = SIZE_GOAL_KB[lambda.name];
        initByName[lambda.name] = initMs;
        Object.assign(metrics, {
          [`${lambda.name}Bytes`]: lambda.bytes,
          [`${lambda.name}SdkBytes`]: lambda.sdkBytes,
          [`${lambda.name}InitMs`]: initMs,
          [`${lambda.name}SdkOnlyBytes`]: sdkOnly.bytes,
          [`${lambda.name}SdkOnlyInitMs`]: sdkInitMs,
          [`${lambda.name}InitRatio`]: ratio,
          [`${lambda.name}SdkExternalBytes`]: external.bytes,
          [`${lambda.name}SdkExternalInitMs`]: median(ext),
        });
        const largest = lambda.packages.slice(0, 4).map(([pkg, bytes]) => `${pkg} ${kb(bytes)}`).join(', ');
        composition.push(`${lambda.name}: ${largest}`);
        rows.push([
          lambda.name,
          kb(lambda.bytes),
          goalKb ? `${goalKb} KB ${lambda.bytes <= goalKb * 1024 ? 'met' : 'missed'}` : '—',
          `${Math.round((100 * lambda.sdkBytes) / lambda.bytes)} %`,
          fmt(initMs, 'ms'),
          fmt(median(rss), 'MB'),
          lambda.sdkPackages.map((pkg) => SHORT_NAMES[pkg] ?? pkg).join('+') || 'none',
          kb(sdkOnly.bytes),
          fmt(sdkInitMs, 'ms'),
          `${fmt(ratio)}× ${ratio <= INIT_GOAL_RATIO ? 'met' : 'missed'}`,
          kb(external.bytes),
          fmt(median(ext), 'ms'),
        ]);
      }
    } finally {
      builder.dispose();
    }
    events.coldstart = initByName;
    notes.push(
      `Largest parts of each bundle (minified bytes in the output): ${composition.join('; ')}.`,
      'Beside it, the other SDK choice for comparison ("SDK external"): the same options with @aws-sdk/* left to the runtime; its init loads the SDK from node_modules\' CommonJS builds, as the runtime loads its own copy.',
      `Built with esbuildOptionsFor() of infra/bundling.ts — minify ${LAMBDA_BUNDLING.minify}, target ${LAMBDA_BUNDLING.target}, ${LAMBDA_BUNDLING.format}, AWS SDK ${LAMBDA_BUNDLING.bundleAwsSDK ? 'BUNDLED (the stack\'s choice)' : 'left to the runtime'}; sizes are index.js only (the separate .map is not loaded as code).`,
      `Init = require() of the bundle in a fresh Node ${process.version} process with the deployed NODE_OPTIONS and settings, median of ${runs}; Lambda runs Node 24 on arm64 with a CPU share set by memory, and adds its runtime bootstrap to the Init Duration it reports.`,
      'What limits it: the AWS SDK is most of every bundle that uses it (the "SDK %" column), and parsing + evaluating bundled code is most of init; fewer or lighter dependencies at module scope, or loading rarely-used clients lazily, would cut it.',
    );
    return {
      metrics,
      tables: [
        {
          title: `coldstart — bundles as the stack builds them, module init in a fresh process (median of ${runs})`,
          columns: ['lambda', 'bytes', 'size goal', 'SDK %', 'init', 'RSS', 'SDK clients', 'SDK-only bytes', 'SDK-only init', 'ratio (≤ 1.3×)', 'SDK external', 'its init'],
          rows,
        },
      ],
      notes,
    };
  },
};
