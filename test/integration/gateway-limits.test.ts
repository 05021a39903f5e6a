/**
 * API Gateway's limits in the local gateway (docs/protocol.md §9, docs/reference-apigw.md §4):
 * 32 KB frames, 128 KB messages (1009), idle and lifetime timeouts (1001 then `$disconnect`),
 * both set low here.
 */
import { startGatewayHarness, WsTestClient, type GatewayHarness } from '../helpers/ws-client';

const KB = 1024;

describe('gateway limits', () => {
  let harness: GatewayHarness;

  beforeAll(async () => {
    harness = await startGatewayHarness({ limits: { idleTimeoutMs: 60_000, maxLifetimeMs: 60_000 } });
  });
  afterAll(() => harness.close());

  const connect = async (h = harness): Promise<{ client: WsTestClient; connectionId: string }> => {
    const client = await WsTestClient.connect(h.url());
    return { client, connectionId: h.events.connect.at(-1)!.requestContext.connectionId };
  };

  /** Sends `total` bytes as one message in frames of at most `frame` bytes. */
  const sendFragmented = async (client: WsTestClient, total: number, frame: number): Promise<void> => {
    for (let sent = 0; sent < total; sent += frame) {
      const size = Math.min(frame, total - sent);
      await client.send('x'.repeat(size), { fin: sent + size >= total }).catch(() => undefined);
    }
  };

  it('accepts a 128 KB message sent as 32 KB frames', async () => {
    const { client, connectionId } = await connect();
    await sendFragmented(client, 128 * KB, 32 * KB);
    const event = await harness.waitFor('message', (e) => e.requestContext.connectionId === connectionId);
    client.close();

    expect(event.body).toHaveLength(128 * KB);
  });

  it('closes with 1009 a message over 128 KB, even in frames of 32 KB, then runs $disconnect', async () => {
    const { client, connectionId } = await connect();
    await sendFragmented(client, 128 * KB + 1, 32 * KB);

    expect((await client.closed).code).toBe(1009);
    const event = await harness.waitFor('disconnect', (e) => e.requestContext.connectionId === connectionId);
    expect(event.requestContext.disconnectStatusCode).toBe(1009);
    expect(harness.events.message.some((e) => e.requestContext.connectionId === connectionId)).toBe(false);
  });

  it('closes with 1009 a single frame over 32 KB, though the message is under 128 KB', async () => {
    const { client, connectionId } = await connect();
    await client.send('x'.repeat(32 * KB + 1)).catch(() => undefined);

    expect((await client.closed).code).toBe(1009);
    const event = await harness.waitFor('disconnect', (e) => e.requestContext.connectionId === connectionId);
    expect(event.requestContext.disconnectStatusCode).toBe(1009);
    expect(harness.events.message.some((e) => e.requestContext.connectionId === connectionId)).toBe(false);
  });

  it('closes an idle connection with 1001, while a connection that keeps talking stays', async () => {
    const idle = await startGatewayHarness({ limits: { idleTimeoutMs: 600, maxLifetimeMs: 60_000 } });
    try {
      const quiet = await connect(idle);
      const chatty = await connect(idle);
      const talking = setInterval(() => void chatty.client.send('ping').catch(() => undefined), 50);

      const closed = await quiet.client.closed;
      const event = await idle.waitFor('disconnect', (e) => e.requestContext.connectionId === quiet.connectionId);
      clearInterval(talking);

      expect(closed).toEqual({ code: 1001, reason: 'Going away' });
      expect(event.requestContext).toMatchObject({ disconnectStatusCode: 1001, disconnectReason: 'Going away' });
      expect(chatty.client.socket.readyState).toBe(chatty.client.socket.OPEN);
      chatty.client.close();
    } finally {
      await idle.close();
    }
  });

  it('closes a connection at its maximum lifetime with 1001 even while it is active', async () => {
    const short = await startGatewayHarness({ limits: { idleTimeoutMs: 60_000, maxLifetimeMs: 400 } });
    try {
      const { client, connectionId } = await connect(short);
      const talking = setInterval(() => void client.send('ping').catch(() => undefined), 50);

      const closed = await client.closed;
      clearInterval(talking);
      const event = await short.waitFor('disconnect', (e) => e.requestContext.connectionId === connectionId);

      expect(closed.code).toBe(1001);
      expect(event.requestContext.disconnectStatusCode).toBe(1001);
    } finally {
      await short.close();
    }
  });

  it('reads the timeouts from LOCAL_IDLE_TIMEOUT_MS and LOCAL_MAX_CONNECTION_MS', async () => {
    process.env.LOCAL_IDLE_TIMEOUT_MS = '200';
    process.env.LOCAL_MAX_CONNECTION_MS = '60000';
    const fromEnv = await startGatewayHarness();
    delete process.env.LOCAL_IDLE_TIMEOUT_MS;
    delete process.env.LOCAL_MAX_CONNECTION_MS;
    try {
      const { client } = await connect(fromEnv);
      expect((await client.closed).code).toBe(1001);
    } finally {
      await fromEnv.close();
    }
  });

  it('refuses a bad timeout setting with a message naming it', async () => {
    process.env.LOCAL_IDLE_TIMEOUT_MS = 'soon';
    try {
      await expect(startGatewayHarness()).rejects.toThrow('LOCAL_IDLE_TIMEOUT_MS');
    } finally {
      delete process.env.LOCAL_IDLE_TIMEOUT_MS;
    }
  });
});
