/**
 * Counts and times every outgoing HTTP call of this process without touching the code that
 * makes it, through Node's diagnostics channels: `http.client.*` (the AWS SDK's node:http
 * handler: DynamoDB, `@connections`, Lambda) and `undici:*` (fetch: postgrest-js's RPC calls).
 * Each call is classified by where it goes. Times are epoch ms, comparable across processes.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';

export type CallKind = 'rpc' | 'dynamodb' | 'post' | 'other';

export interface TracedCall {
  readonly kind: CallKind;
  /** `Query`, `PutItem`…, the RPC function, or `POST`/`GET`/`DELETE` of `@connections`. */
  readonly op: string;
  readonly start: number;
  end?: number;
  /** HTTP status of the answer, when one was read. */
  status?: number;
  /** Request body bytes (content-length), when known. */
  readonly bytes: number;
}

export interface Targets {
  /** `http://127.0.0.1:<port>` of dynalite. */
  readonly dynamodb: string;
  /** SUPABASE_URL (the RPC server). */
  readonly supabase: string;
  /** The `@connections` endpoint. */
  readonly management: string;
}

export interface Tracer {
  readonly calls: readonly TracedCall[];
  /** Calls that started in [from, to). */
  between(from: number, to: number): TracedCall[];
  stop(): void;
}

export const epochMs = (): number => performance.timeOrigin + performance.now();

const portOf = (url: string): string => new URL(url).port;

interface UndiciRequest {
  readonly origin: string;
  readonly path: string;
  readonly method: string;
  readonly headers?: string | string[];
}

export function startTracer(targets: Targets): Tracer {
  const calls: TracedCall[] = [];
  const ports = { dynamodb: portOf(targets.dynamodb), supabase: portOf(targets.supabase), management: portOf(targets.management) };
  const open = new WeakMap<object, TracedCall>();

  const classify = (port: string, path: string, method: string, target: string | undefined): Pick<TracedCall, 'kind' | 'op'> => {
    if (port === ports.dynamodb) return { kind: 'dynamodb', op: (target ?? '').split('.').pop() || 'unknown' };
    if (port === ports.supabase && path.includes('/rest/v1/rpc/')) return { kind: 'rpc', op: path.split('/rest/v1/rpc/')[1]?.split('?')[0] ?? 'unknown' };
    if (port === ports.management && path.includes('/@connections/')) return { kind: 'post', op: method };
    return { kind: 'other', op: `${method} ${path.split('?')[0]}` };
  };

  const onHttpStart = (message: unknown): void => {
    const { request } = message as { request: ClientRequest };
    const port = hostPort(request);
    const call: TracedCall = {
      ...classify(port, request.path, request.method, request.getHeader('x-amz-target') as string | undefined),
      start: epochMs(),
      bytes: Number(request.getHeader('content-length') ?? 0),
    };
    calls.push(call);
    open.set(request, call);
  };
  const onHttpFinish = (message: unknown): void => {
    const { request, response } = message as { request: ClientRequest; response?: { statusCode?: number } };
    const call = open.get(request);
    if (!call) return;
    call.end = epochMs();
    if (response?.statusCode) call.status = response.statusCode;
  };
  const onUndiciCreate = (message: unknown): void => {
    const { request } = message as { request: UndiciRequest };
    const call: TracedCall = { ...classify(portOf(request.origin), request.path, request.method, undefined), start: epochMs(), bytes: 0 };
    calls.push(call);
    open.set(request, call);
  };
  const onUndiciHeaders = (message: unknown): void => {
    const { request, response } = message as { request: object; response?: { statusCode?: number } };
    const call = open.get(request);
    if (call && response?.statusCode) call.status = response.statusCode;
  };
  const onUndiciDone = (message: unknown): void => {
    const call = open.get((message as { request: object }).request);
    if (call) call.end = epochMs();
  };

  const subscriptions: Array<[string, (message: unknown) => void]> = [
    ['http.client.request.start', onHttpStart],
    ['http.client.response.finish', onHttpFinish],
    ['undici:request:create', onUndiciCreate],
    ['undici:request:headers', onUndiciHeaders],
    ['undici:request:trailers', onUndiciDone],
  ];
  for (const [name, listener] of subscriptions) subscribe(name, listener);
  return {
    calls,
    between: (from, to) => calls.slice(firstAtOrAfter(calls, from), firstAtOrAfter(calls, to)),
    stop: () => {
      for (const [name, listener] of subscriptions) unsubscribe(name, listener);
    },
  };
}

/** Index of the first call that started at or after `time` (calls are recorded in start order). */
function firstAtOrAfter(calls: readonly TracedCall[], time: number): number {
  let lo = 0;
  let hi = calls.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((calls[mid] as TracedCall).start < time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The port a ClientRequest goes to, from its Host header (`127.0.0.1:1234`). */
function hostPort(request: ClientRequest): string {
  const host = String(request.getHeader('host') ?? '');
  return host.includes(':') ? (host.split(':').pop() as string) : '';
}
