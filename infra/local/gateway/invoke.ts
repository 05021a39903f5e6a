/**
 * Invokes a handler as the Lambda integration would: a fresh `Context`, the integration timeout,
 * and an in-flight set so `close()` can wait for invocations to finish.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { LambdaHandler } from './types';

export class IntegrationTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`integration timed out after ${timeoutMs} ms`);
    this.name = 'IntegrationTimeoutError';
  }
}

const lambdaContext = (functionName: string, timeoutMs: number): Context => {
  const deadline = Date.now() + timeoutMs;
  const unsupported = (): never => {
    throw new Error('callback-style Context methods are not supported by the local gateway');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
};

export class Invoker {
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(private readonly timeoutMs: number) {}

  /** Runs `fn(event, context)`; rejects with its error or `IntegrationTimeoutError`. */
  run(name: string, fn: LambdaHandler, event: object): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new IntegrationTimeoutError(this.timeoutMs)), this.timeoutMs);
      timer.unref();
    });
    const call = (async () => fn(event as never, lambdaContext(`staff-sync-local-${name}`, this.timeoutMs)))();
    const result = Promise.race([call, timeout]).finally(() => clearTimeout(timer));
    const tracked = call.catch(() => undefined);
    this.inflight.add(tracked);
    void tracked.finally(() => this.inflight.delete(tracked));
    return result;
  }

  /** Waits for every invocation started so far, at most `maxWaitMs`. */
  async drain(maxWaitMs: number): Promise<void> {
    if (this.inflight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inflight]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, maxWaitMs);
      }),
    ]);
    clearTimeout(timer);
  }
}
