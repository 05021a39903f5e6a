/**
 * Real `ws` clients for integration tests, and a harness that runs the local gateway on an
 * ephemeral port with recording handlers whose behaviour the test picks per call.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, type ClientOptions } from 'ws';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { createWebSocketGateway } from '../../infra/local/gateway';
import type {
  GatewayOptions,
  WebSocketAuthorizerEvent,
  WebSocketConnectEvent,
  WebSocketDisconnectEvent,
  WebSocketGateway,
  WebSocketMessageEvent,
} from '../../infra/local/gateway';
import { createManagementClient } from '../../shared/aws-clients';

export interface Closed {
  readonly code: number;
  readonly reason: string;
}

/** A WebSocket client whose frames are queued and awaited one by one. */
export class WsTestClient {
  private readonly frames: Array<{ data: string | Buffer; binary: boolean }> = [];
  private readonly waiters: Array<() => void> = [];
  readonly closed: Promise<Closed>;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer, binary: boolean) => {
      this.frames.push({ data: binary ? data : data.toString('utf8'), binary });
      this.waiters.splice(0).forEach((wake) => wake());
    });
    this.closed = new Promise((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** Opens a socket; rejects with `Unexpected server response: <status>` when the handshake is refused. */
  static connect(url: string, options: ClientOptions & { protocols?: string | string[] } = {}): Promise<WsTestClient> {
    const { protocols, ...rest } = options;
    const socket = new WebSocket(url, protocols, rest);
    socket.on('error', () => undefined);
    const client = new WsTestClient(socket);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(client));
      socket.once('unexpected-response', (_req, res) => {
        reject(new Error(`Unexpected server response: ${res.statusCode}`));
        res.resume();
        socket.terminate();
      });
      socket.once('error', reject);
    });
  }

  /** The next frame not yet taken. */
  async next(timeoutMs = 2000): Promise<string | Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no frame within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return (this.frames.shift() as { data: string | Buffer }).data;
  }

  async nextJson(timeoutMs = 2000): Promise<Record<string, unknown>> {
    return JSON.parse(String(await this.next(timeoutMs))) as Record<string, unknown>;
  }

  get received(): number {
    return this.frames.length;
  }

  send(data: string | Buffer, options: { binary?: boolean; fin?: boolean } = {}): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(data, options, (error) => (error ? reject(error) : resolve())));
  }

  close(code?: number, reason?: string): void {
    this.socket.close(code, reason);
  }
}

/** The handshake's HTTP status: 101 when it opened (then closed again), else the refusal status. */
export async function handshakeStatus(url: string, options: ClientOptions = {}): Promise<number> {
  try {
    const client = await WsTestClient.connect(url, options);
    client.close();
    return 101;
  } catch (error) {
    const match = /Unexpected server response: (\d+)/.exec(String(error));
    if (!match) throw error;
    return Number(match[1]);
  }
}

type Recorded = {
  authorizer: WebSocketAuthorizerEvent;
  connect: WebSocketConnectEvent;
  disconnect: WebSocketDisconnectEvent;
  message: WebSocketMessageEvent;
};

type Behaviour = { [K in keyof Recorded]: (event: Recorded[K]) => unknown };

export interface GatewayHarness {
  readonly server: Server;
  readonly gateway: WebSocketGateway;
  readonly management: ApiGatewayManagementApiClient;
  readonly port: number;
  /** `ws://127.0.0.1:<port>/staff-sync?token=<token>` */
  url(token?: string, extraQuery?: string): string;
  /** Every event each handler received, in order. */
  readonly events: { [K in keyof Recorded]: Recorded[K][] };
  /** What each handler does; tests replace entries. */
  readonly behaviour: Behaviour;
  /** Resolves with the first recorded event of `route` that matches, waiting for it if needed. */
  waitFor<K extends keyof Recorded>(route: K, match?: (event: Recorded[K]) => boolean, timeoutMs?: number): Promise<Recorded[K]>;
  close(): Promise<void>;
}

/** An Allow policy for the event's methodArn with a context of every primitive type. */
export const allowAll = (event: WebSocketAuthorizerEvent): unknown => ({
  principalId: 'user-1',
  policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }] },
  context: { userId: 'user-1', orgId: 'org-1', role: 'manager', tokenExp: 2_000_000_000, admin: true },
});

export async function startGatewayHarness(options: Partial<Omit<GatewayOptions, 'server' | 'handlers'>> = {}): Promise<GatewayHarness> {
  const events: GatewayHarness['events'] = { authorizer: [], connect: [], disconnect: [], message: [] };
  const behaviour: Behaviour = {
    authorizer: allowAll,
    connect: () => ({ statusCode: 200 }),
    disconnect: () => ({ statusCode: 200 }),
    message: () => ({ statusCode: 200 }),
  };
  const listeners = new Set<() => void>();
  const record = <K extends keyof Recorded>(route: K) =>
    (event: never): unknown => {
      (events[route] as Recorded[K][]).push(event);
      listeners.forEach((notify) => notify());
      return behaviour[route](event);
    };

  const server = createServer();
  const gateway = createWebSocketGateway({
    server,
    path: '/staff-sync',
    stage: 'local',
    identitySource: 'token',
    ...options,
    handlers: { authorizer: record('authorizer'), connect: record('connect'), disconnect: record('disconnect'), message: record('message') },
  });
  server.on('request', (req, res) => {
    if (!gateway.handleManagementRequest(req, res)) res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const management = createManagementClient({ endpoint: gateway.managementEndpoint(), region: 'us-east-1' });

  return {
    server,
    gateway,
    management,
    port,
    url: (token = 'good', extraQuery = '') => `ws://127.0.0.1:${port}/staff-sync?token=${encodeURIComponent(token)}${extraQuery}`,
    events,
    behaviour,
    waitFor(route, match = () => true, timeoutMs = 3000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const found = (events[route] as Recorded[typeof route][]).find(match);
          if (found === undefined) return false;
          listeners.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no ${route} event within ${timeoutMs} ms`));
        }, timeoutMs);
        if (!check()) listeners.add(check);
      });
    },
    async close() {
      management.destroy();
      await gateway.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
