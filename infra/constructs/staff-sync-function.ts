/**
 * One staff-sync Lambda: a `NodejsFunction` built from `lambdas/{name}.ts` with the project's
 * one bundling recipe (`infra/bundling.ts`), on arm64 and a current Node.js runtime, with its
 * own log group and its own role that may write to that log group and nothing else until
 * the stack grants more.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { DEPS_LOCK_FILE, LAMBDA_BUNDLING, LAMBDA_NODE_OPTIONS, PROJECT_ROOT, entryOf, type LambdaName } from '../bundling';

/**
 * nodejs24.x (Active LTS until April 2028) on Graviton: arm64 costs about 20 % less per
 * GB-second than x86_64 and starts at least as fast for JavaScript. `infra/bundling.ts`
 * targets the same Node version.
 */
export const LAMBDA_RUNTIME = Runtime.NODEJS_24_X;
export const LAMBDA_ARCHITECTURE = Architecture.ARM_64;

export interface StaffSyncFunctionProps {
  /** The entry point, `lambdas/{name}.ts`. */
  readonly name: LambdaName;
  /** What the function does, shown in the console. */
  readonly description: string;
  /** Memory in MB (CPU share grows with it). */
  readonly memorySize: number;
  /** Hard limit of one invocation. */
  readonly timeout: Duration;
  /** The settings the function reads (`shared/config.ts`); never a secret value. */
  readonly environment: Readonly<Record<string, string>>;
  /**
   * How long the function's logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

export class StaffSyncFunction extends Construct {
  readonly function: NodejsFunction;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: StaffSyncFunctionProps) {
    super(scope, id);
    if (props.memorySize < 128 || props.memorySize > 10240) {
      throw new Error(`memorySize of ${props.name} must be 128-10240 MB, got ${props.memorySize}`);
    }
    // A month of logs covers incident review and the weekly look at trends. Keeping logs
    // longer only grows storage, and the stack's log groups are deleted with it.
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // A role of its own instead of AWSLambdaBasicExecutionRole (logs:* on every log group):
    // this function may write to its own log group only.
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `staff-sync ${props.name} Lambda`,
    });
    this.logGroup.grantWrite(role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: entryOf(props.name),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: DEPS_LOCK_FILE,
      bundling: LAMBDA_BUNDLING,
      runtime: LAMBDA_RUNTIME,
      architecture: LAMBDA_ARCHITECTURE,
      description: props.description,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role,
      logGroup: this.logGroup,
      // Stack traces in the logs point at the TypeScript sources through the bundle's map.
      environment: { ...props.environment, NODE_OPTIONS: LAMBDA_NODE_OPTIONS },
      // No reserved concurrency: reserving takes capacity away from the account's shared
      // pool (new accounts may have only 10 in all, and a deploy that reserves past the
      // floor fails). The gateway stages' throttles bound the load instead.
    });
  }
}
