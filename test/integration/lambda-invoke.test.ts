/**
 * The local stage's Lambda Invoke endpoint, reached by the real AWS SDK `LambdaClient` as the
 * message and HTTP Lambdas reach the broadcaster: `Event` answers 202 before the function runs,
 * `RequestResponse` answers its result or its error, an unknown function is `ResourceNotFoundException`.
 */
import { InvokeCommand, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLambdaClient } from '../../shared/aws-clients';
import { createLambdaInvokeEndpoint, type LambdaInvokeEndpoint } from '../../infra/local/lambda-invoke';

let server: Server;
let endpoint: LambdaInvokeEndpoint;
let release: () => void = () => undefined;
const events: unknown[] = [];
const logged: string[] = [];
const lambda = () => createLambdaClient({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
const payload = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

beforeAll(async () => {
  endpoint = createLambdaInvokeEndpoint(
    {
      // Held until the test releases it: proves the 202 came before the function finished.
      held: async (event: never) => {
        await new Promise<void>((resolve) => (release = resolve));
        events.push(event);
      },
      echo: async (event: { n: number }) => ({ doubled: event.n * 2 }),
      broken: async () => {
        throw new TypeError('no such page');
      },
    } as never,
    (line) => logged.push(line),
  );
  server = createServer((req, res) => {
    void endpoint.handle(req, res).then((handled) => handled || res.writeHead(404).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('local Lambda Invoke endpoint', () => {
  it('answers an Event invocation with 202 before the function has run, then runs it', async () => {
    const result = await lambda().send(new InvokeCommand({ FunctionName: 'held', InvocationType: 'Event', Payload: payload({ orgId: 'o1', data: 'x' }) }));

    expect(result.StatusCode).toBe(202);
    expect(events).toEqual([]);
    release();
    await endpoint.idle();
    expect(events).toEqual([{ orgId: 'o1', data: 'x' }]);
  });

  it('answers a RequestResponse invocation with the result, an error as Unhandled', async () => {
    const ok = await lambda().send(new InvokeCommand({ FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:echo', Payload: payload({ n: 21 }) }));
    expect(JSON.parse(new TextDecoder().decode(ok.Payload))).toEqual({ doubled: 42 });

    const failed = await lambda().send(new InvokeCommand({ FunctionName: 'broken', Payload: payload({}) }));
    expect(failed.FunctionError).toBe('Unhandled');
    expect(JSON.parse(new TextDecoder().decode(failed.Payload))).toEqual({ errorType: 'TypeError', errorMessage: 'no such page' });
  });

  it('logs the failure of an asynchronous invocation', async () => {
    await lambda().send(new InvokeCommand({ FunctionName: 'broken', InvocationType: 'Event', Payload: payload({}) }));
    await endpoint.idle();
    expect(logged).toContain('broken (async) failed: no such page');
  });

  it('refuses an unknown function as Lambda does', async () => {
    await expect(lambda().send(new InvokeCommand({ FunctionName: 'missing', InvocationType: 'Event', Payload: payload({}) }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });
});
