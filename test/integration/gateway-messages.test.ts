/**
 * `$default` and `$disconnect` through the local gateway (docs/reference-apigw.md §1.1–§1.3, §3):
 * event shapes, concurrent dispatch, the Internal server error frame, binary frames.
 */
import { PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { startGatewayHarness, WsTestClient, type GatewayHarness } from '../helpers/ws-client';

const ID = /^[A-Za-z0-9_-]{15}=$/;

describe('gateway messages and disconnects', () => {
  let harness: GatewayHarness;

  beforeAll(async () => {
    harness = await startGatewayHarness();
  });
  afterEach(() => {
    harness.behaviour.message = () => ({ statusCode: 200 });
  });
  afterAll(() => harness.close());

  const connect = async (): Promise<{ client: WsTestClient; connectionId: string }> => {
    const client = await WsTestClient.connect(harness.url());
    return { client, connectionId: harness.events.connect.at(-1)!.requestContext.connectionId };
  };

  it('gives $default a MESSAGE event: body, messageId, no headers, the cached authorizer context', async () => {
    const { client, connectionId } = await connect();
    const connectEvent = harness.events.connect.at(-1)!;

    await client.send('{"type":"PING"}');
    const event = await harness.waitFor('message', (e) => e.requestContext.connectionId === connectionId);
    client.close();

    expect(Object.keys(event).sort()).toEqual(['body', 'isBase64Encoded', 'requestContext']);
    expect(event.body).toBe('{"type":"PING"}');
    expect(event.isBase64Encoded).toBe(false);
    expect(event.requestContext).toMatchObject({
      routeKey: '$default',
      eventType: 'MESSAGE',
      messageDirection: 'IN',
      messageId: expect.stringMatching(ID),
      requestId: expect.stringMatching(ID),
      connectedAt: connectEvent.requestContext.connectedAt,
      identity: { sourceIp: '127.0.0.1' },
      authorizer: { ...connectEvent.requestContext.authorizer, orgId: 'org-1', tokenExp: '2000000000', admin: 'true' },
    });
    expect(event.requestContext.requestId).not.toBe(connectEvent.requestContext.requestId);
    expect(harness.events.authorizer.filter((e) => e.requestContext.connectionId === connectionId)).toHaveLength(1);
  });

  it('base64-encodes a binary frame and flags it', async () => {
    const { client, connectionId } = await connect();
    await client.send(Buffer.from([0, 1, 2, 255]), { binary: true });
    const event = await harness.waitFor('message', (e) => e.requestContext.connectionId === connectionId);
    client.close();

    expect(event).toMatchObject({ isBase64Encoded: true, body: Buffer.from([0, 1, 2, 255]).toString('base64') });
  });

  it('dispatches each frame as it arrives: a slow first frame does not delay the second', async () => {
    let releaseSlow: () => void = () => undefined;
    const handled: string[] = [];
    harness.behaviour.message = async (event) => {
      if (event.body === 'slow') await new Promise<void>((resolve) => (releaseSlow = resolve));
      handled.push(event.body);
    };
    const { client, connectionId } = await connect();

    await client.send('slow');
    await client.send('fast');
    await harness.waitFor('message', (e) => e.requestContext.connectionId === connectionId && e.body === 'fast');
    await new Promise<void>((resolve) => setImmediate(resolve));
    const beforeRelease = [...handled];
    releaseSlow();
    await new Promise<void>((resolve) => setImmediate(resolve));
    client.close();

    expect(beforeRelease).toEqual(['fast']);
    expect(handled).toEqual(['fast', 'slow']);
  });

  it('does not send a route return value (one-way route)', async () => {
    harness.behaviour.message = () => ({ statusCode: 200, body: 'never sent' });
    const { client, connectionId } = await connect();
    await client.send('hello');
    await harness.waitFor('message', (e) => e.requestContext.connectionId === connectionId);
    // Barrier: a post sent after the handler returned must be the first frame the client sees.
    await harness.management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'sentinel' }));

    expect(await client.next()).toBe('sentinel');
    client.close();
  });

  it('answers a handler failure with an Internal server error frame and keeps the socket open', async () => {
    harness.behaviour.message = (event) => {
      if (event.body === 'boom') throw new Error('bug');
    };
    const { client, connectionId } = await connect();

    await client.send('boom');
    const frame = await client.nextJson();
    const event = harness.events.message.find((e) => e.requestContext.connectionId === connectionId)!;
    await client.send('fine');
    await harness.waitFor('message', (e) => e.requestContext.connectionId === connectionId && e.body === 'fine');

    expect(frame).toEqual({ message: 'Internal server error', connectionId, requestId: event.requestContext.requestId });
    expect(client.socket.readyState).toBe(client.socket.OPEN);
    client.close();
  });

  it('gives $disconnect the synthetic headers, the close code and reason, and the authorizer context', async () => {
    const { client, connectionId } = await connect();
    const connectEvent = harness.events.connect.at(-1)!;
    client.close(1000, 'bye');

    const event = await harness.waitFor('disconnect', (e) => e.requestContext.connectionId === connectionId);
    expect(Object.keys(event).sort()).toEqual(['headers', 'isBase64Encoded', 'multiValueHeaders', 'requestContext']);
    expect(event.headers).toEqual({ Host: `127.0.0.1:${harness.port}`, 'x-api-key': '', 'X-Forwarded-For': '', 'x-restapi': '' });
    expect(event.multiValueHeaders).toEqual({ Host: [`127.0.0.1:${harness.port}`], 'x-api-key': [''], 'X-Forwarded-For': [''], 'x-restapi': [''] });
    expect(event.requestContext).toMatchObject({
      routeKey: '$disconnect',
      eventType: 'DISCONNECT',
      disconnectStatusCode: 1000,
      disconnectReason: 'bye',
      connectedAt: connectEvent.requestContext.connectedAt,
      authorizer: connectEvent.requestContext.authorizer,
    });
    expect(event.requestContext).not.toHaveProperty('messageId');
  });

  it('reports 1005 for a close frame without a status and 1006 for a dropped socket', async () => {
    const first = await connect();
    first.client.close();
    const second = await connect();
    second.client.socket.terminate();

    const [noStatus, dropped] = await Promise.all([
      harness.waitFor('disconnect', (e) => e.requestContext.connectionId === first.connectionId),
      harness.waitFor('disconnect', (e) => e.requestContext.connectionId === second.connectionId),
    ]);
    expect(noStatus.requestContext).toMatchObject({ disconnectStatusCode: 1005, disconnectReason: 'Client-side close frame status not set' });
    expect(dropped.requestContext).toMatchObject({ disconnectStatusCode: 1006, disconnectReason: '' });
  });

  it('drops $disconnect while the switch is on', async () => {
    harness.gateway.setDropDisconnect(true);
    const dropped = await connect();
    dropped.client.close(1000);
    await dropped.client.closed;
    while (harness.gateway.connectionIds().includes(dropped.connectionId)) await new Promise((resolve) => setTimeout(resolve, 5));
    harness.gateway.setDropDisconnect(false);
    const kept = await connect();
    kept.client.close(1000);
    await harness.waitFor('disconnect', (e) => e.requestContext.connectionId === kept.connectionId);

    expect(harness.events.disconnect.map((e) => e.requestContext.connectionId)).not.toContain(dropped.connectionId);
    expect(harness.gateway.connectionIds()).not.toContain(dropped.connectionId);
  });
});
