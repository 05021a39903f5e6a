/**
 * The broadcaster against dynalite and the local gateway's `@connections`, with real sockets
 * and sinks (connections without a socket, answering after an injected latency or never).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBroadcaster, type BroadcasterOptions } from '../../shared/broadcaster';
import { createConnectionStore, type ConnectionStore } from '../../shared/connection-store';
import { createManagementClient } from '../../shared/aws-clients';
import { startTestDynamo, type TestDynamo } from '../helpers/dynalite';
import { startGatewayHarness, WsTestClient, type GatewayHarness } from '../helpers/ws-client';
import { PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';

describe('broadcaster', () => {
  let dynamo: TestDynamo;
  let harness: GatewayHarness;
  let store: ConnectionStore;
  let logs: Array<Record<string, unknown>>;
  let orgCounter = 0;

  beforeAll(async () => {
    [dynamo, harness] = await Promise.all([startTestDynamo(), startGatewayHarness()]);
    store = createConnectionStore({ client: dynamo.documents, tableName: dynamo.tableName });
  });
  beforeEach(() => {
    logs = [];
  });
  afterAll(async () => {
    await harness.close();
    await dynamo.close();
  });

  const newOrg = (): string => `org-${++orgCounter}`;
  const broadcaster = (options: Partial<BroadcasterOptions> = {}) =>
    createBroadcaster({
      connections: store,
      management: harness.management,
      logger: { warn: (message, fields) => logs.push({ message, ...fields }) },
      ...options,
    });
  const remember = (connectionId: string, orgId: string): Promise<void> =>
    store.put({ connectionId, orgId, userId: 'u', role: 'manager', connectedAt: Date.now(), expiresAt: Math.floor(Date.now() / 1000) + 3600 });
  const connect = async (orgId: string): Promise<{ client: WsTestClient; connectionId: string }> => {
    const client = await WsTestClient.connect(harness.url());
    const connectionId = harness.events.connect.at(-1)!.requestContext.connectionId;
    await remember(connectionId, orgId);
    return { client, connectionId };
  };
  /** The next frame `client` sees must be a sentinel posted now: nothing else arrived before it. */
  const expectNothingBefore = async (client: WsTestClient, connectionId: string): Promise<void> => {
    await harness.management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'sentinel' }));
    expect(await client.next()).toBe('sentinel');
  };

  it('delivers to every connection of the org but the sender, and nothing to another org', async () => {
    const org = newOrg();
    const [sender, first, second] = await Promise.all([connect(org), connect(org), connect(org)]);
    const stranger = await connect(newOrg());

    const result = await broadcaster().broadcast(org, '{"type":"STAFF_CREATE"}', { except: sender.connectionId });

    expect(result).toEqual({ sent: 2, gone: 0, failed: 0 });
    expect(await first.client.next()).toBe('{"type":"STAFF_CREATE"}');
    expect(await second.client.next()).toBe('{"type":"STAFF_CREATE"}');
    await expectNothingBefore(sender.client, sender.connectionId);
    await expectNothingBefore(stranger.client, stranger.connectionId);
    for (const c of [sender, first, second, stranger]) c.client.close();
  });

  it('prunes the record of a connection that answers 410, and keeps the live ones', async () => {
    const org = newOrg();
    const live = await connect(org);
    harness.gateway.setDropDisconnect(true);
    const ghost = await connect(org);
    ghost.client.close();
    await ghost.client.closed;
    while (harness.gateway.connectionIds().includes(ghost.connectionId)) await new Promise((resolve) => setTimeout(resolve, 5));
    harness.gateway.setDropDisconnect(false);

    const result = await broadcaster().broadcast(org, 'change');

    expect(result).toEqual({ sent: 1, gone: 1, failed: 0 });
    expect(await store.get(ghost.connectionId)).toBeUndefined();
    expect(await store.get(live.connectionId)).toBeDefined();
    live.client.close();
  });

  it('prunes on a bare 410 status, without the GoneException name', async () => {
    const bare = createServer((req, res) => {
      req.resume();
      res.writeHead(410, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
    const management = createManagementClient({ endpoint: `http://127.0.0.1:${(bare.address() as AddressInfo).port}`, region: 'us-east-1' });
    const org = newOrg();
    await remember('bare-gone', org);
    try {
      const result = await broadcaster({ management }).broadcast(org, 'change');

      expect(result).toEqual({ sent: 0, gone: 1, failed: 0 });
      expect(await store.get('bare-gone')).toBeUndefined();
    } finally {
      management.destroy();
      bare.closeAllConnections();
      await new Promise((resolve) => bare.close(resolve));
    }
  });

  it('does not let a hanging connection hold the others: they are all served before its timeout', async () => {
    const org = newOrg();
    const order: string[] = [];
    const removals = [harness.gateway.registerSink(`${org}-a-hanging`, { latencyMs: Infinity })];
    await remember(`${org}-a-hanging`, org);
    for (let i = 0; i < 20; i++) {
      const id = `${org}-b-${String(i).padStart(2, '0')}`;
      removals.push(harness.gateway.registerSink(id, { latencyMs: 5, onData: () => order.push('delivered') }));
      await remember(id, org);
    }
    const timingOut = broadcaster({
      concurrency: 4,
      postTimeoutMs: 1500,
      pageSize: 7,
      logger: {
        warn: (message, fields) => {
          order.push(message);
          logs.push({ message, ...fields });
        },
      },
    });

    const result = await timingOut.broadcast(org, 'change');
    removals.forEach((remove) => remove());

    expect(result).toEqual({ sent: 20, gone: 0, failed: 1 });
    expect(order).toEqual([...Array(20).fill('delivered'), 'post timed out']);
    expect(logs).toEqual([expect.objectContaining({ connectionId: `${org}-a-hanging`, orgId: org })]);
  });

  it('starts the next page while a slow post of the previous page is still in flight', async () => {
    const org = newOrg();
    const order: string[] = [];
    const ids = ['a-slow', 'b-fast', 'c-fast', 'd-fast', 'e-fast'].map((name) => `${org}-${name}`);
    const removals = ids.map((id) =>
      harness.gateway.registerSink(id, { latencyMs: id.endsWith('slow') ? 400 : 5, onData: () => order.push(id) }),
    );
    await Promise.all(ids.map((id) => remember(id, org)));

    const result = await broadcaster({ concurrency: 4, pageSize: 2 }).broadcast(org, 'change');
    removals.forEach((remove) => remove());

    expect(result).toEqual({ sent: 5, gone: 0, failed: 0 });
    expect(order.at(-1)).toBe(`${org}-a-slow`);
  });

  it('logs and counts a 5xx answer without the payload, and still serves the others', async () => {
    const org = newOrg();
    const removals = [
      harness.gateway.registerSink(`${org}-broken`, { latencyMs: 0, status: 500 }),
      harness.gateway.registerSink(`${org}-fine`, { latencyMs: 0 }),
    ];
    await Promise.all([remember(`${org}-broken`, org), remember(`${org}-fine`, org)]);

    const result = await broadcaster().broadcast(org, '{"secret":"do-not-log"}');
    removals.forEach((remove) => remove());

    expect(result).toEqual({ sent: 1, gone: 0, failed: 1 });
    expect(logs).toEqual([expect.objectContaining({ message: 'post failed', connectionId: `${org}-broken`, orgId: org, statusCode: 500 })]);
    expect(JSON.stringify(logs)).not.toContain('do-not-log');
    expect(await store.get(`${org}-broken`)).toBeDefined();
  });

  it('posts to a given page of ids (the broadcaster Lambda), and sends one reply', async () => {
    const org = newOrg();
    const [one, two] = await Promise.all([connect(org), connect(org)]);
    await remember('page-gone', org);

    const result = await broadcaster().broadcastToIds([one.connectionId, two.connectionId, 'page-gone'], 'page', { orgId: org });
    const reply = await broadcaster().send(one.connectionId, 'reply');
    const goneReply = await broadcaster().send('never-connected', 'reply');

    expect(result).toEqual({ sent: 2, gone: 1, failed: 0 });
    expect(await store.get('page-gone')).toBeUndefined();
    expect([reply, goneReply]).toEqual(['sent', 'gone']);
    expect([await one.client.next(), await one.client.next(), await two.client.next()]).toEqual(['page', 'reply', 'page']);
    one.client.close();
    two.client.close();
  });

  it('posts several frames (a batch) to each connection in order, and stops at a gone one', async () => {
    const org = newOrg();
    const [one, two] = await Promise.all([connect(org), connect(org)]);
    await remember('batch-gone', org);

    const result = await broadcaster({ concurrency: 1 }).broadcast(org, ['f1', 'f2', 'f3']);

    // 3 posts to each live connection; the gone one answers 410 once and gets no more posts.
    expect(result).toEqual({ sent: 6, gone: 1, failed: 0 });
    for (const { client } of [one, two]) expect([await client.next(), await client.next(), await client.next()]).toEqual(['f1', 'f2', 'f3']);
    await expectNothingBefore(one.client, one.connectionId);
    one.client.close();
    two.client.close();
  });

  it('rejects with UPSTREAM_UNAVAILABLE when the org index cannot be read', async () => {
    const failing: ConnectionStore = {
      ...store,
      listOrgPages: async function* () {
        throw Object.assign(new Error('throttled'), { code: 'UPSTREAM_UNAVAILABLE' });
      },
    };
    await expect(broadcaster({ connections: failing }).broadcast('org-x', 'change')).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
  });
});
