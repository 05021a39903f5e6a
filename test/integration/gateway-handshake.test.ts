/**
 * The local gateway's handshake against docs/reference-apigw.md §2 and §3, with real `ws` clients.
 */
import { WebSocket } from 'ws';
import { allowAll, handshakeStatus, startGatewayHarness, WsTestClient, type GatewayHarness } from '../helpers/ws-client';
import type { WebSocketAuthorizerEvent } from '../../infra/local/gateway';

const ID = /^[A-Za-z0-9_-]{15}=$/;
const CLF = /^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/;

describe('gateway handshake', () => {
  let harness: GatewayHarness;

  beforeAll(async () => {
    harness = await startGatewayHarness();
  });
  afterEach(() => {
    harness.behaviour.authorizer = allowAll;
    harness.behaviour.connect = () => ({ statusCode: 200 });
  });
  afterAll(() => harness.close());

  it('refuses a missing or empty token with 401 without invoking the authorizer', async () => {
    const before = harness.events.authorizer.length;

    const missing = await handshakeStatus(`ws://127.0.0.1:${harness.port}/staff-sync`);
    const empty = await handshakeStatus(`ws://127.0.0.1:${harness.port}/staff-sync?token=`);

    expect([missing, empty]).toEqual([401, 401]);
    expect(harness.events.authorizer.length).toBe(before);
  });

  it('answers 401 when the authorizer throws Unauthorized', async () => {
    harness.behaviour.authorizer = () => {
      throw new Error('Unauthorized');
    };
    expect(await handshakeStatus(harness.url('expired'))).toBe(401);
  });

  it('answers 403 when the policy denies, or its Allow does not cover the methodArn', async () => {
    harness.behaviour.authorizer = (event) => {
      const result = allowAll(event) as { policyDocument: { Statement: Array<Record<string, unknown>> } };
      result.policyDocument.Statement[0]!.Effect = 'Deny';
      return result;
    };
    const denied = await handshakeStatus(harness.url());
    harness.behaviour.authorizer = (event) => ({
      ...(allowAll(event) as object),
      policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: 'arn:aws:execute-api:us-east-1:000000000000:other/local/$connect' }] },
    });
    const uncovered = await handshakeStatus(harness.url());

    expect([denied, uncovered]).toEqual([403, 403]);
  });

  it('accepts a wildcard Allow resource', async () => {
    harness.behaviour.authorizer = (event) => ({
      ...(allowAll(event) as object),
      policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:*', Effect: 'Allow', Resource: 'arn:aws:execute-api:*:*:*/local/*' }] },
    });
    expect(await handshakeStatus(harness.url())).toBe(101);
  });

  it('answers 500 when the authorizer fails otherwise or returns a malformed result', async () => {
    const statuses: number[] = [];
    const outcomes: Array<(event: WebSocketAuthorizerEvent) => unknown> = [
      () => {
        throw new Error('JWKS unreachable');
      },
      () => ({ statusCode: 401 }),
      (event) => ({ ...(allowAll(event) as object), context: { nested: { not: 'allowed' } } }),
      (event) => ({ ...(allowAll(event) as object), context: { big: 'x'.repeat(9000) } }),
    ];
    for (const outcome of outcomes) {
      harness.behaviour.authorizer = outcome;
      statuses.push(await handshakeStatus(harness.url()));
    }
    expect(statuses).toEqual([500, 500, 500, 500]);
  });

  it('refuses with the status $connect returns, and 500 when $connect throws', async () => {
    harness.behaviour.connect = () => ({ statusCode: 400, body: 'no' });
    const refused = await handshakeStatus(harness.url());
    harness.behaviour.connect = () => {
      throw new Error('DynamoDB down');
    };
    const thrown = await handshakeStatus(harness.url());

    expect([refused, thrown]).toEqual([400, 500]);
  });

  it('hands the authorizer a REQUEST event with the handshake headers, query and an assigned connectionId', async () => {
    const client = await WsTestClient.connect(harness.url('tok-1', '&lang=de&lang=fr'), { headers: { 'User-Agent': 'jest-agent' } });
    const event = harness.events.authorizer.at(-1)!;
    client.close();

    expect(event).toMatchObject({
      type: 'REQUEST',
      methodArn: expect.stringMatching(/^arn:aws:execute-api:us-east-1:000000000000:[a-z0-9]{10}\/local\/\$connect$/),
      queryStringParameters: { token: 'tok-1', lang: 'fr' },
      multiValueQueryStringParameters: { token: ['tok-1'], lang: ['de', 'fr'] },
      stageVariables: {},
    });
    expect(event.headers).toMatchObject({
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': expect.any(String),
      Host: `127.0.0.1:${harness.port}`,
      'User-Agent': 'jest-agent',
      'content-length': '0',
      'X-Amzn-Trace-Id': expect.stringMatching(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/),
      'X-Forwarded-For': '127.0.0.1',
    });
    expect(event.multiValueHeaders.Upgrade).toEqual(['websocket']);
    expect(event.requestContext).toMatchObject({
      routeKey: '$connect',
      eventType: 'CONNECT',
      messageDirection: 'IN',
      stage: 'local',
      connectionId: expect.stringMatching(ID),
      requestId: expect.stringMatching(ID),
      requestTime: expect.stringMatching(CLF),
      identity: { sourceIp: '127.0.0.1', userAgent: 'jest-agent' },
      domainName: `127.0.0.1:${harness.port}`,
      apiId: expect.stringMatching(/^[a-z0-9]{10}$/),
    });
    expect(event.requestContext.extendedRequestId).toBe(event.requestContext.requestId);
    expect(event.requestContext.requestTimeEpoch).toBe(event.requestContext.connectedAt + 1);
  });

  it('gives $connect the real headers, the query, the same connectionId and the stringified authorizer context', async () => {
    const client = await WsTestClient.connect(harness.url('tok-2'));
    const authorizerEvent = harness.events.authorizer.at(-1)!;
    const event = harness.events.connect.at(-1)!;
    client.close();

    expect(Object.keys(event).sort()).toEqual(['headers', 'isBase64Encoded', 'multiValueHeaders', 'multiValueQueryStringParameters', 'queryStringParameters', 'requestContext']);
    expect(event.isBase64Encoded).toBe(false);
    expect(event.queryStringParameters).toEqual({ token: 'tok-2' });
    expect(event.headers).not.toHaveProperty('Connection');
    expect(event.headers).not.toHaveProperty('Upgrade');
    expect(event.headers).toMatchObject({ 'Sec-WebSocket-Key': expect.any(String), 'X-Forwarded-Proto': 'http' });
    expect(event.requestContext).toMatchObject({
      routeKey: '$connect',
      eventType: 'CONNECT',
      connectionId: authorizerEvent.requestContext.connectionId,
      connectedAt: authorizerEvent.requestContext.connectedAt,
      authorizer: {
        principalId: 'user-1',
        userId: 'user-1',
        orgId: 'org-1',
        role: 'manager',
        tokenExp: '2000000000',
        admin: 'true',
        integrationLatency: expect.any(Number),
      },
    });
    expect(event.requestContext).not.toHaveProperty('messageId');
    expect(event.requestContext.requestId).not.toBe(authorizerEvent.requestContext.requestId);
  });

  it('echoes the subprotocol $connect returns, and leaves it out when $connect returns none', async () => {
    harness.behaviour.connect = () => ({ statusCode: 200, headers: { 'Sec-WebSocket-Protocol': 'staff-sync.v1' } });
    const client = await WsTestClient.connect(harness.url(), { protocols: ['staff-sync.v1', 'other'] });
    const chosen = client.socket.protocol;
    client.close();
    harness.behaviour.connect = () => ({ statusCode: 200 });
    const failure = await WsTestClient.connect(harness.url(), { protocols: ['staff-sync.v1'] }).then(
      () => 'opened',
      (error: Error) => error.message,
    );

    expect(chosen).toBe('staff-sync.v1');
    expect(failure).toMatch(/no subprotocol/i);
  });

  it('runs $disconnect when $connect accepted but the client left before the upgrade', async () => {
    let release: () => void = () => undefined;
    harness.behaviour.connect = () => new Promise((resolve) => (release = () => resolve({ statusCode: 200 })));
    const socket = new WebSocket(harness.url());
    socket.on('error', () => undefined);
    await harness.waitFor('connect', (e) => e.requestContext.connectionId === harness.events.authorizer.at(-1)!.requestContext.connectionId);
    const connectionId = harness.events.connect.at(-1)!.requestContext.connectionId;
    socket.terminate();
    await new Promise((resolve) => socket.once('close', resolve));
    release();

    const event = await harness.waitFor('disconnect', (e) => e.requestContext.connectionId === connectionId);
    expect(event.requestContext.disconnectStatusCode).toBe(1006);
    expect(harness.gateway.connectionIds()).not.toContain(connectionId);
  });
});
