/**
 * `@connections` of the local gateway through the real `@aws-sdk/client-apigatewaymanagementapi`
 * client (docs/reference-apigw.md §4).
 */
import {
  DeleteConnectionCommand,
  GetConnectionCommand,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { startGatewayHarness, WsTestClient, type GatewayHarness } from '../helpers/ws-client';

const failureOf = (promise: Promise<unknown>): Promise<{ name?: string; status?: number; message?: string }> =>
  promise.then(
    () => ({}),
    (error: { name?: string; message?: string; $metadata?: { httpStatusCode?: number } }) => ({
      name: error.name,
      status: error.$metadata?.httpStatusCode,
      message: error.message,
    }),
  );

describe('gateway @connections', () => {
  let harness: GatewayHarness;

  beforeAll(async () => {
    harness = await startGatewayHarness();
  });
  afterAll(() => harness.close());

  const connect = async (headers: Record<string, string> = {}): Promise<{ client: WsTestClient; connectionId: string }> => {
    const client = await WsTestClient.connect(harness.url(), { headers });
    return { client, connectionId: harness.events.connect.at(-1)!.requestContext.connectionId };
  };

  it('posts data to the socket as a text frame and answers 200', async () => {
    const { client, connectionId } = await connect();

    const output = await harness.management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: '{"type":"PONG"}' }));

    expect(output.$metadata.httpStatusCode).toBe(200);
    expect(await client.next()).toBe('{"type":"PONG"}');
    client.close();
  });

  it('describes a connection: ConnectedAt, LastActiveAt and the identity', async () => {
    const { client, connectionId } = await connect({ 'User-Agent': 'jest-agent' });
    const connectedAt = harness.events.connect.at(-1)!.requestContext.connectedAt;
    await client.send('activity');
    await harness.waitFor('message', (e) => e.requestContext.connectionId === connectionId);

    const output = await harness.management.send(new GetConnectionCommand({ ConnectionId: connectionId }));
    client.close();

    expect(output.ConnectedAt).toEqual(new Date(connectedAt));
    expect(output.LastActiveAt!.getTime()).toBeGreaterThanOrEqual(connectedAt);
    expect(output.Identity).toEqual({ SourceIp: '127.0.0.1', UserAgent: 'jest-agent' });
  });

  it('closes a deleted connection with 1001, runs $disconnect, and then answers 410 Gone', async () => {
    const { client, connectionId } = await connect();

    const output = await harness.management.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    const closed = await client.closed;
    const event = await harness.waitFor('disconnect', (e) => e.requestContext.connectionId === connectionId);
    const afterwards = await failureOf(harness.management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'late' })));

    expect(output.$metadata.httpStatusCode).toBe(204);
    expect(closed.code).toBe(1001);
    expect(event.requestContext.disconnectStatusCode).toBe(1001);
    expect(afterwards).toMatchObject({ name: 'GoneException', status: 410 });
  });

  it('answers 410 GoneException to POST, GET and DELETE of an unknown id', async () => {
    const unknown = 'AAAAAAAAAAAAAAA=';
    const failures = await Promise.all([
      failureOf(harness.management.send(new PostToConnectionCommand({ ConnectionId: unknown, Data: 'x' }))),
      failureOf(harness.management.send(new GetConnectionCommand({ ConnectionId: unknown }))),
      failureOf(harness.management.send(new DeleteConnectionCommand({ ConnectionId: unknown }))),
    ]);
    expect(failures).toEqual([0, 1, 2].map(() => expect.objectContaining({ name: 'GoneException', status: 410 })));
  });

  it('refuses a post over 128 KB with 413 PayloadTooLargeException, and accepts exactly 128 KB', async () => {
    const { client, connectionId } = await connect();

    const tooLarge = await failureOf(
      harness.management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.alloc(128 * 1024 + 1, 0x61) })),
    );
    await harness.management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.alloc(128 * 1024, 0x61) }));

    expect(tooLarge).toMatchObject({ name: 'PayloadTooLargeException', status: 413 });
    expect(String(await client.next())).toHaveLength(128 * 1024);
    client.close();
  });

  it('refuses an unsigned request with 403', async () => {
    const response = await fetch(`${harness.gateway.managementEndpoint()}/@connections/${encodeURIComponent('AAAAAAAAAAAAAAA=')}`);
    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toBe('ForbiddenException');
  });

  it('serves sinks: posts answered after the injected latency, with the chosen status', async () => {
    const received: string[] = [];
    const removeOk = harness.gateway.registerSink('sink-ok', { latencyMs: 20, onData: (data) => received.push(data.toString()) });
    const removeGone = harness.gateway.registerSink('sink-gone', { latencyMs: 0, status: 410 });

    await harness.management.send(new PostToConnectionCommand({ ConnectionId: 'sink-ok', Data: 'hello' }));
    const gone = await failureOf(harness.management.send(new PostToConnectionCommand({ ConnectionId: 'sink-gone', Data: 'x' })));
    const listed = harness.gateway.connectionIds();
    removeOk();
    removeGone();

    expect(received).toEqual(['hello']);
    expect(gone).toMatchObject({ name: 'GoneException', status: 410 });
    expect(listed).toEqual(expect.arrayContaining(['sink-ok', 'sink-gone']));
    expect(harness.gateway.connectionIds()).not.toContain('sink-ok');
  });

  it('leaves paths other than @connections to the server', async () => {
    const response = await fetch(`${harness.gateway.managementEndpoint()}/health`);
    expect(response.status).toBe(404);
  });
});
