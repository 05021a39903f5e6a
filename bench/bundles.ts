/**
 * The Lambda bundles exactly as the stack builds them: `esbuildOptionsFor()` of
 * `infra/bundling.ts` (the same object the `NodejsFunction`s get), plus, for each function, a
 * bundle with the same options that imports and builds only the AWS SDK clients it uses.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { LAMBDA_BUNDLING, LAMBDA_NAMES, PROJECT_ROOT, esbuildOptionsFor, type LambdaName } from '../infra/bundling';

export interface LambdaBundle {
  readonly name: LambdaName;
  readonly file: string;
  readonly bytes: number;
  /** The AWS SDK packages the bundle contains (`@aws-sdk/client-dynamodb`, …). */
  readonly sdkPackages: readonly string[];
  /** Bytes of the bundle's output that come from `@aws-sdk/*` and `@smithy/*`. */
  readonly sdkBytes: number;
  /** Output bytes by source package (`@supabase/*` grouped, project code as `(project)`), largest first. */
  readonly packages: ReadonlyArray<readonly [string, number]>;
}

export interface SdkOnlyBundle {
  readonly file: string;
  readonly bytes: number;
}

/** How each SDK package's client is built in the SDK-only bundle. */
const CLIENT_CONSTRUCTION: Readonly<Record<string, string>> = {
  '@aws-sdk/client-dynamodb': "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nconst dynamodb = new DynamoDBClient({});",
  '@aws-sdk/lib-dynamodb': "import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';\nconst documents = DynamoDBDocumentClient.from(dynamodb);",
  '@aws-sdk/client-apigatewaymanagementapi': "import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';\nconst management = new ApiGatewayManagementApiClient({ endpoint: 'https://example.execute-api.us-east-1.amazonaws.com/prod' });",
  '@aws-sdk/client-lambda': "import { LambdaClient } from '@aws-sdk/client-lambda';\nconst lambda = new LambdaClient({});",
  '@aws-sdk/client-secrets-manager': "import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';\nconst secrets = new SecretsManagerClient({});",
};
const CLIENT_VARIABLE: Readonly<Record<string, string>> = {
  '@aws-sdk/client-dynamodb': 'dynamodb',
  '@aws-sdk/lib-dynamodb': 'documents',
  '@aws-sdk/client-apigatewaymanagementapi': 'management',
  '@aws-sdk/client-lambda': 'lambda',
  '@aws-sdk/client-secrets-manager': 'secrets',
};

/** The package a bundled file comes from, scopes of many small packages grouped. */
const groupOf = (path: string): string => {
  const at = path.lastIndexOf('node_modules/');
  const name = at < 0 ? undefined : /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path.slice(at))?.[1];
  if (!name) return '(project)';
  if (/^@(aws-sdk|smithy|aws-crypto)\//.test(name)) return 'AWS SDK';
  if (name.startsWith('@supabase/')) return '@supabase/*';
  if (name.startsWith('@aws-lambda-powertools/')) return 'Powertools';
  return name;
};

const packageOf = (path: string): string | undefined => /node_modules\/(@aws-sdk\/(?:client-[a-z0-9-]+|lib-dynamodb))\//.exec(path)?.[1];

export class BundleBuilder {
  readonly dir = mkdtempSync(join(tmpdir(), 'staff-sync-bundles-'));

  async lambda(name: LambdaName): Promise<LambdaBundle> {
    const file = join(this.dir, name, 'index.js');
    const result = await build({ ...esbuildOptionsFor(name, file), metafile: true });
    const output = Object.values(result.metafile.outputs).find((entry) => entry.entryPoint !== undefined) as Metafile['outputs'][string];
    const sdkPackages = new Set<string>();
    const groups = new Map<string, number>();
    for (const [path, input] of Object.entries(output.inputs)) {
      const pkg = packageOf(path);
      if (pkg) sdkPackages.add(pkg);
      const group = groupOf(path);
      groups.set(group, (groups.get(group) ?? 0) + input.bytesInOutput);
    }
    const packages = [...groups.entries()].sort((a, b) => b[1] - a[1]);
    return { name, file, bytes: statSync(file).size, sdkPackages: [...sdkPackages].sort(), sdkBytes: groups.get('AWS SDK') ?? 0, packages };
  }

  /**
   * The other choice, for comparison: the same options with `@aws-sdk/*` left to the runtime
   * (`bundleAwsSDK: false`). Its init resolves the SDK from node_modules' CommonJS builds, as
   * the runtime's own copy is loaded.
   */
  async lambdaSdkExternal(name: LambdaName): Promise<{ file: string; bytes: number }> {
    const file = join(this.dir, `${name}-sdk-external`, 'index.js');
    const options = esbuildOptionsFor(name, file);
    await build({ ...options, external: [...(options.external ?? []), '@aws-sdk/*'] });
    return { file, bytes: statSync(file).size };
  }

  /** The same esbuild options, an entry that imports and builds only `packages`' clients. */
  async sdkOnly(name: LambdaName, packages: readonly string[]): Promise<SdkOnlyBundle> {
    const file = join(this.dir, `${name}-sdk-only`, 'index.js');
    const known = packages.filter((pkg) => CLIENT_CONSTRUCTION[pkg]);
    const ordered = [...known].sort((a, b) => (a === '@aws-sdk/client-dynamodb' ? -1 : b === '@aws-sdk/client-dynamodb' ? 1 : 0));
    if (ordered.includes('@aws-sdk/lib-dynamodb') && !ordered.includes('@aws-sdk/client-dynamodb')) ordered.unshift('@aws-sdk/client-dynamodb');
    const contents = [
      ...ordered.map((pkg) => CLIENT_CONSTRUCTION[pkg]),
      `export const clients = [${ordered.map((pkg) => CLIENT_VARIABLE[pkg]).join(', ')}];`,
      'export const handler = async () => clients.length;',
    ].join('\n');
    const { entryPoints: _entry, ...options } = esbuildOptionsFor(name, file);
    await build({ ...options, stdin: { contents, resolveDir: PROJECT_ROOT, loader: 'ts', sourcefile: `${name}-sdk-only.ts` } });
    return { file, bytes: statSync(file).size };
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export { LAMBDA_BUNDLING, LAMBDA_NAMES };
