/**
 * An HTTP server that misbehaves on purpose, placed in front of a real dependency (the RPC
 * endpoint, dynalite, the webhook route). By default it forwards every request unchanged; a
 * rule turns matching requests into a fault: an error status, a hang, a closed socket, or a
 * forwarded request whose answer is lost (the outcome-unknown case). Every fault is counted.
 */
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Fault =
  /** Answers this status without forwarding (a gateway 5xx, DynamoDB's 400 throttling, …). */
  | { readonly kind: 'status'; readonly status: number; readonly body?: string; readonly headers?: Record<string, string> }
  /** Never answers and never forwards; the caller's own timeout must end it. */
  | { readonly kind: 'hang' }
  /** Destroys the socket without forwarding (connection reset). */
  | { readonly kind: 'close' }
  /** Forwards, lets the upstream answer (a write commits), then destroys the socket: the outcome is unknown to the caller. */
  | { readonly kind: 'forward-then-close' };

export interface ProxyRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface FaultRule {
  readonly fault: Fault;
  /** Which requests it applies to. @default every request */
  readonly match?: (request: ProxyRequest) => boolean;
  /** How many requests it applies to before it retires. @default unlimited */
  readonly times?: number;
  /** Counted under this name as well (see `waitInjected`). */
  readonly label?: string;
}

export interface MisbehavingProxy {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Replaces the rules (first match wins); an empty list forwards everything again. */
  misbehave(...rules: FaultRule[]): void;
  /** Back to a faithful proxy. */
  heal(): void;
  /** Faults injected so far, by kind (and status). */
  readonly injected: Readonly<Record<string, number>>;
  /** Faults injected so far by the rules labelled `label`. */
  injectedAs(label: string): number;
  /** Requests forwarded to the upstream so far. */
  readonly forwarded: number;
  /** Resolves when `count` faults have been injected in all (or by the rules labelled `label`) since the proxy started. */
  waitInjected(count: number, label?: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'host', 'content-length']);

const faultName = (fault: Fault): string => (fault.kind === 'status' ? `status ${fault.status}` : fault.kind);

export async function startMisbehavingProxy(upstream: string): Promise<MisbehavingProxy> {
  const target = new URL(upstream);
  let rules: Array<{ rule: FaultRule; left: number }> = [];
  const injected: Record<string, number> = {};
  let total = 0;
  const byLabel = new Map<string, number>();
  let forwarded = 0;
  const waiters = new Set<() => void>();
  const sockets = new Set<Socket>();

  const count = (rule: FaultRule): void => {
    const name = faultName(rule.fault);
    injected[name] = (injected[name] ?? 0) + 1;
    total += 1;
    if (rule.label) byLabel.set(rule.label, (byLabel.get(rule.label) ?? 0) + 1);
    for (const wake of [...waiters]) wake();
  };

  const pick = (req: ProxyRequest): FaultRule | undefined => {
    for (const entry of rules) {
      if (entry.left <= 0 || (entry.rule.match && !entry.rule.match(req))) continue;
      entry.left -= 1;
      return entry.rule;
    }
    return undefined;
  };

  const forward = (req: ProxyRequest): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(req.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
      headers['content-length'] = String(Buffer.byteLength(req.body));
      const outgoing = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.path, headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(req.body);
    });

  const handle = async (incoming: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const req: ProxyRequest = { method: incoming.method ?? 'GET', path: incoming.url ?? '/', headers: incoming.headers, body: Buffer.concat(chunks).toString('utf8') };
    const rule = pick(req);
    const fault = rule?.fault;
    if (fault?.kind === 'hang') return count(rule!);
    if (fault?.kind === 'close') {
      count(rule!);
      incoming.socket.destroy();
      return;
    }
    if (fault?.kind === 'status') {
      count(rule!);
      res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers }).end(fault.body ?? '{"message":"injected fault"}');
      return;
    }
    forwarded += 1;
    const answer = await forward(req);
    if (fault?.kind === 'forward-then-close') {
      count(rule!);
      incoming.socket.destroy();
      return;
    }
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    res.writeHead(answer.status, { ...headers, 'content-length': String(answer.body.length) }).end(answer.body);
  };

  const server = createServer((incoming, res) => {
    handle(incoming, res).catch(() => incoming.socket.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    misbehave(...next) {
      rules = next.map((rule) => ({ rule, left: rule.times ?? Infinity }));
    },
    heal() {
      rules = [];
    },
    get injected() {
      return { ...injected };
    },
    injectedAs(label) {
      return byLabel.get(label) ?? 0;
    },
    get forwarded() {
      return forwarded;
    },
    waitInjected(wanted, label, timeoutMs = 15_000) {
      const current = (): number => (label === undefined ? total : (byLabel.get(label) ?? 0));
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (current() < wanted) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`only ${current()} of ${wanted} faults${label ? ` labelled ${label}` : ''} injected within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async close() {
      rules = [];
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
