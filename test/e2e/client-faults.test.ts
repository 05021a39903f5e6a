/**
 * The client SDK against the stage through a relay that misbehaves on purpose: it drops, holds
 * back or cuts frames between the SDK and the stage, as a lossy network or a failed best-effort
 * broadcast would. The stage itself is real; nothing in the SDK is mocked.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { connect, type Change, type ConnectOptions, type StaffSyncClient, type StaffSyncClientError } from '../../client/src';
import { TestClient, type Frame } from './support/client';
import { logLinesWithTokens, rememberToken } from './support/hygiene';
import { newOrgId, stage, tokenFor } from './support/stage';

/** Deliver, drop, hold back until `release()`, or deliver other text instead. */
type Verdict = 'pass' | 'drop' | 'hold' | { readonly replace: string };

/** A WebSocket relay in front of the stage; `decide` rules on each server → client frame. */
class FaultyRelay {
  decide: (frame: Frame) => Verdict = () => 'pass';
  /** Every frame through the relay, in order: `>` client → server, `<` delivered, `x` dropped, `h` held. */
  readonly trace: string[] = [];
  private held: Array<() => void> = [];
  private readonly pairs = new Set<{ client: WebSocket; upstream: WebSocket }>();
  private readonly wss = new WebSocketServer({ noServer: true });

  private constructor(private readonly server: Server) {
    server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.relay(req, socket, head));
  }

  static async start(): Promise<FaultyRelay> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new FaultyRelay(server);
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}/staff-sync`;
  }

  /** Delivers the held frames, in the order they were held. */
  release(): void {
    for (const deliver of this.held.splice(0)) deliver();
  }

  /** Cuts every connection as a network failure would (no close frame to the client). */
  cut(): void {
    for (const { client, upstream } of this.pairs) {
      client.terminate();
      upstream.close();
    }
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const query = new URL(req.url ?? '/', 'http://relay').search;
    const upstream = new WebSocket(`${stage.wsUrl}${query}`);
    upstream.once('unexpected-response', (_request, response) => {
      socket.end(`HTTP/1.1 ${response.statusCode} Refused\r\nconnection: close\r\n\r\n`);
    });
    upstream.on('error', () => socket.destroy());
    upstream.once('open', () =>
      this.wss.handleUpgrade(req, socket, head, (client) => {
        const pair = { client, upstream };
        this.pairs.add(pair);
        client.on('error', () => undefined);
        client.on('message', (data) => {
          this.trace.push(`> ${typeOf(data.toString())}`);
          if (upstream.readyState === WebSocket.OPEN) upstream.send(data.toString());
        });
        upstream.on('message', (data) => this.forward(client, data.toString()));
        client.on('close', () => upstream.close());
        upstream.on('close', () => {
          this.pairs.delete(pair);
          client.terminate();
        });
      }),
    );
  }

  private forward(client: WebSocket, text: string): void {
    const frame = JSON.parse(text) as Frame;
    const verdict = this.decide(frame);
    const mark = typeof verdict === 'object' ? 'r' : { pass: '<', drop: 'x', hold: 'h' }[verdict];
    this.trace.push(`${mark} ${typeOf(text)}`);
    const deliver = (what = text) => client.readyState === WebSocket.OPEN && client.send(what);
    if (verdict === 'pass') deliver();
    else if (verdict === 'hold') this.held.push(deliver);
    else if (typeof verdict === 'object') deliver(verdict.replace);
  }
}

const typeOf = (text: string): string => {
  const frame = JSON.parse(text) as Frame;
  const seq = (frame.change as { seq?: number } | undefined)?.seq ?? (frame.seq as number | undefined);
  return seq === undefined ? String(frame.type) : `${String(frame.type)} ${seq}`;
};
const isBroadcastOf = (frame: Frame, name: string) => frame.requestId === undefined && (frame.change as { staff?: { name?: string } } | undefined)?.staff?.name === name;

describe('client SDK through a faulty network', () => {
  let relay: FaultyRelay;
  let sdk: StaffSyncClient | undefined;
  let writer: TestClient | undefined;

  beforeEach(async () => {
    relay = await FaultyRelay.start();
  });
  afterEach(async () => {
    sdk?.close();
    writer?.close();
    await relay.close();
  });
  afterAll(() => expect(logLinesWithTokens()).toEqual([]));

  async function setUp(options: ConnectOptions = {}): Promise<{ orgId: string; changes: Change[] }> {
    const orgId = newOrgId();
    const sub = randomUUID(); // one user across reconnects: idempotency keys are per user
    sdk = connect(relay.url, async () => rememberToken(await tokenFor({ orgId, sub })), { WebSocket, reconnect: { initialDelayMs: 100 }, ...options });
    const changes: Change[] = [];
    sdk.on('change', (change) => changes.push(change));
    await sdk.ready();
    writer = await TestClient.connect({ orgId });
    return { orgId, changes };
  }

  function until(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const client = sdk!;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => (off(), reject(new Error(`timed out waiting for ${what}; trace ${relay.trace.slice(-12).join(', ')}`))), timeoutMs);
      const check = () => predicate() && (off(), clearTimeout(timer), resolve());
      const offs = [client.on('state', check), client.on('change', check), client.on('status', check)];
      const off = () => offs.forEach((unsubscribe) => unsubscribe());
      check();
    });
  }

  const create = async (name: string) => {
    const ack = await writer!.request({ type: 'STAFF_CREATE', payload: { staff: { name } } });
    return (ack.change as Change).seq;
  };

  it('heals a dropped broadcast at the next PONG', async () => {
    const { changes } = await setUp({ heartbeatSeconds: 0.5, allowShortHeartbeat: true, gapTimeoutMs: 60_000 });
    relay.decide = (frame) => (isBroadcastOf(frame, 'Lost') ? 'drop' : 'pass');

    const seq = await create('Lost');
    await until(() => sdk!.state.lastSeq === seq, 'the missed change');

    expect(changes.map((change) => change.staff.name)).toEqual(['Lost']);
    // The broadcast was dropped; the delta that healed it was asked for after a PONG at its seq.
    const healedBy = relay.trace.lastIndexOf('> SYNC_REQUEST');
    expect(relay.trace).toContain(`x STAFF_CREATE ${seq}`);
    expect(relay.trace.slice(0, healedBy)).toContain(`< PONG ${seq}`);
    expect(relay.trace.slice(healedBy)).toContain(`< SYNC_RESPONSE ${seq}`);
  }, 20_000);

  it('applies broadcasts that arrive out of order in seq order, without asking for a delta', async () => {
    const { changes } = await setUp({ gapTimeoutMs: 60_000 });
    relay.decide = (frame) => {
      if (isBroadcastOf(frame, 'First')) return 'hold';
      if (isBroadcastOf(frame, 'Second')) setImmediate(() => relay.release());
      return 'pass';
    };

    const first = await create('First');
    const second = await create('Second');
    await until(() => sdk!.state.lastSeq === second, 'both changes');

    expect(relay.trace.filter((line) => /STAFF_CREATE/.test(line))).toEqual([`h STAFF_CREATE ${first}`, `< STAFF_CREATE ${second}`]);
    expect(changes.map((change) => [change.seq, change.staff.name])).toEqual([
      [first, 'First'],
      [second, 'Second'],
    ]);
    expect(relay.trace.filter((line) => line === '> SYNC_REQUEST')).toHaveLength(2); // the initial snapshot and its catch-up delta
  });

  it('applies a write whose ACK was lost in a drop exactly once', async () => {
    const { changes } = await setUp();
    const seq = await create('Ivy');
    await until(() => sdk!.state.lastSeq === seq, 'the created record');
    const [id] = [...sdk!.state.staff.keys()];
    relay.decide = (frame) => {
      if (frame.type !== 'ACK') return 'pass';
      relay.decide = () => 'pass';
      setImmediate(() => relay.cut());
      return 'drop';
    };

    const change = await sdk!.update(id!, { position: 'Gardener' });

    const replies = relay.trace.filter((line) => /ACK/.test(line));
    expect(replies).toEqual([`x ACK ${change!.seq}`, `< ACK ${change!.seq}`]);
    expect(relay.trace.filter((line) => line === '> STAFF_UPDATE')).toHaveLength(2);
    const delta = await writer!.request({ type: 'SYNC_REQUEST', payload: { sinceSeq: seq } });
    expect((delta.changes as Change[]).map((c) => [c.op, c.version])).toEqual([['update', 2]]);
    expect(changes.filter((c) => c.op === 'update')).toHaveLength(1);
    expect(sdk!.get(id!)).toMatchObject({ position: 'Gardener', version: 2 });
  }, 20_000);

  it("reports API Gateway's internal-error frame as an error event, and retries the write it stood for once", async () => {
    const { changes } = await setUp({ requestTimeoutMs: 1000 });
    const errors: StaffSyncClientError[] = [];
    sdk!.on('error', (error) => errors.push(error));
    relay.decide = (frame) => {
      if (frame.type !== 'ACK') return 'pass';
      relay.decide = () => 'pass';
      return { replace: JSON.stringify({ message: 'Internal server error', connectionId: 'L0SM9cOFvHcCIhw=', requestId: 'L0SNYGJHvHcFbzA=' }) };
    };

    const { seq } = await sdk!.create({ name: 'Jo' });

    expect(errors.map((error) => error.code)).toEqual(['BAD_FRAME']);
    expect(relay.trace.filter((line) => /STAFF_CREATE|ACK/.test(line))).toEqual(['> STAFF_CREATE', `r ACK ${seq}`, '> STAFF_CREATE', `< ACK ${seq}`]);
    expect(changes.map((change) => [change.seq, change.staff.name])).toEqual([[seq, 'Jo']]);
  }, 20_000);
});
