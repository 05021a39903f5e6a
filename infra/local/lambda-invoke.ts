/**
 * Lambda's Invoke API (`POST /2015-03-31/functions/{name}/invocations`) for the local stage, so
 * the message and HTTP Lambdas hand fan-out pages to the broadcaster exactly as deployed: the real
 * `LambdaClient` sends `InvocationType: Event`, gets 202 at once, and the function runs after the
 * answer, in this process. `RequestResponse` runs it and answers its result (an error as
 * `X-Amz-Function-Error: Unhandled`, as Lambda does); an unknown name is 404
 * `ResourceNotFoundException`. Any SigV4 signature is accepted.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from './http-event';

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

export type LocalFunction = (event: never) => Promise<unknown>;

export interface LambdaInvokeEndpoint {
  /** Handles an Invoke request; false for any other request. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Resolves once every asynchronous invocation started so far has finished (tests, shutdown). */
  idle(): Promise<void>;
}

function answer(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers }).end(text);
}

export function createLambdaInvokeEndpoint(functions: Readonly<Record<string, LocalFunction>>, log: (message: string) => void): LambdaInvokeEndpoint {
  const running = new Set<Promise<void>>();
  return {
    async handle(req, res) {
      const match = req.method === 'POST' ? INVOKE_PATH.exec((req.url ?? '').split('?')[0]!) : null;
      if (!match) return false;
      const name = decodeURIComponent(match[1]!).split(':').at(-1)!;
      const fn = functions[name];
      if (!fn) {
        answer(res, 404, { Type: 'User', message: `Function not found: ${name}` }, { 'x-amzn-ErrorType': 'ResourceNotFoundException' });
        return true;
      }
      const body = (await readBody(req)).toString('utf8');
      let event: unknown;
      try {
        event = body === '' ? {} : JSON.parse(body);
      } catch {
        answer(res, 400, { Type: 'User', message: 'Could not parse request body into json' }, { 'x-amzn-ErrorType': 'InvalidRequestContentException' });
        return true;
      }
      const type = req.headers['x-amz-invocation-type'] ?? 'RequestResponse';
      if (type === 'Event') {
        answer(res, 202, undefined);
        // After the answer, like Lambda's own queue; a failure is the function's, logged, never retried here.
        const run = Promise.resolve()
          .then(() => fn(event as never))
          .then(
            () => undefined,
            (error: unknown) => log(`${name} (async) failed: ${error instanceof Error ? error.message : String(error)}`),
          )
          .finally(() => running.delete(run));
        running.add(run);
        return true;
      }
      try {
        answer(res, 200, (await fn(event as never)) ?? null);
      } catch (error) {
        answer(res, 200, { errorType: error instanceof Error ? error.name : 'Error', errorMessage: error instanceof Error ? error.message : String(error) }, { 'x-amz-function-error': 'Unhandled' });
      }
      return true;
    },
    async idle() {
      while (running.size > 0) await Promise.all([...running]);
    },
  };
}
