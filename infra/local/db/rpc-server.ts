/**
 * A PostgREST-compatible `POST|GET /rest/v1/rpc/{fn}` endpoint in front of PGlite or a real
 * Postgres, so supabase-js (and the staff store) run unchanged against the local stage.
 * Behaviour and its limits: docs/reference-supabase.md §1, §2, §5 and infra/local/db/README.md.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConnectionFailedError, ConnectionWaitTimeoutError, type DbExecutor } from './executor';
import { authenticate, type Caller } from './rpc-auth';
import { callRoutine } from './rpc-call';
import { clientError, connectionError, fromDbError, invalidResourcePath, isDbError, PgrstError, poolTimeoutError } from './rpc-errors';
import { checkMethod, parseRpcRequest } from './rpc-request';
import { SchemaCache } from './rpc-schema';
import type { LocalDbLog } from './log';

const JSON_TYPE = 'application/json; charset=utf-8';
const RPC_PATH = /^\/rest\/v1\/rpc\/([^/]+)\/?$/;
const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface RpcServerOptions {
  readonly executor: DbExecutor;
  /** Verifies legacy keys and user JWTs; derives the `sb_…` keys. */
  readonly jwtSecret: string;
  /** 0 = any free port. @default 0 */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  readonly log?: LocalDbLog;
}

export interface RpcServer {
  /** `http://host:port`, to use as SUPABASE_URL. */
  readonly url: string;
  readonly port: number;
  readonly schemaCache: SchemaCache;
  close(): Promise<void>;
}

const readBody = (req: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () =>
      size > MAX_BODY_BYTES
        ? reject(new PgrstError(413, { message: `Request body over ${MAX_BODY_BYTES} bytes` }, { payload: { message: 'Request Entity Too Large' } }))
        : resolve(Buffer.concat(chunks)),
    );
    req.on('error', reject);
  });

const reasonPhrase = (text: string): string => text.replace(/[^\t\x20-\x7e]/g, ' ').slice(0, 200);

function sendError(res: ServerResponse, error: PgrstError): void {
  const body = JSON.stringify(error.payload);
  const headers: Record<string, string> = { 'Content-Type': JSON_TYPE, ...error.headers };
  if (error.body.code) headers['Proxy-Status'] = `PostgREST; error=${error.body.code}`;
  res.writeHead(error.status, error.statusText === undefined ? undefined : reasonPhrase(error.statusText), headers);
  res.end(body);
}

function toPgrstError(error: unknown, caller: Caller | undefined, executor: DbExecutor, log?: LocalDbLog): PgrstError {
  if (error instanceof PgrstError) return error;
  if (error instanceof ConnectionWaitTimeoutError) return poolTimeoutError();
  if (error instanceof ConnectionFailedError) return connectionError(error.message);
  if (isDbError(error)) return fromDbError(error, caller?.authed ?? false);
  const message = error instanceof Error ? error.message : String(error);
  log?.(`embedded supabase: RPC server failed: ${message}`);
  // With a real Postgres a failure without SQLSTATE is the connection's (PostgREST: 503 PGRST001).
  if (executor.kind === 'postgres') return clientError(message);
  return new PgrstError(500, { code: 'PGRSTX00', message: 'Internal error of the local RPC server' });
}

const headerValue = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

const flatHeaders = (req: IncomingMessage): Record<string, string> =>
  Object.fromEntries(Object.entries(req.headers).map(([key, value]) => [key, Array.isArray(value) ? value.join(', ') : (value ?? '')]));

async function handle(req: IncomingMessage, res: ServerResponse, options: RpcServerOptions, cache: SchemaCache): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (!url.pathname.startsWith('/rest/v1/')) {
    res.writeHead(404, { 'Content-Type': JSON_TYPE }).end(JSON.stringify({ message: 'no Route matched with those values' }));
    return;
  }
  let caller: Caller | undefined;
  try {
    caller = authenticate(headerValue(req, 'apikey') ?? url.searchParams.get('apikey') ?? undefined, headerValue(req, 'authorization'), options.jwtSecret);
    const match = RPC_PATH.exec(url.pathname);
    if (!match?.[1]) throw invalidResourcePath();
    const fnName = decodeURIComponent(match[1]);
    if (req.method === 'OPTIONS') {
      res.writeHead(200, { Allow: 'OPTIONS,GET,HEAD,POST' }).end();
      return;
    }
    checkMethod(req.method ?? 'GET');
    const body = await readBody(req);
    const parsed = parseRpcRequest(req.method ?? 'GET', url, req.headers, body);
    const { routine, rawBody } = await cache.findProc(fnName, parsed.keys, parsed.media, parsed.isInvPost);
    const result = await callRoutine(options.executor, caller, {
      routine,
      args: rawBody ? { kind: 'raw', value: parsed.rawBody } : { kind: 'named', keys: parsed.keys, rows: parsed.rows },
      readOnly: !parsed.isInvPost || routine.volatility !== 'volatile',
      singular: parsed.singular,
      method: parsed.method,
      path: url.pathname.replace(/^\/rest\/v1/, ''),
      headers: flatHeaders(req),
    });
    const headers: Record<string, string> = { 'Content-Range': result.rows > 0 ? `0-${result.rows - 1}/*` : '*/*' };
    if (parsed.profile !== undefined) headers['Content-Profile'] = parsed.profile;
    if (routine.returnsVoid) {
      res.writeHead(204, headers).end();
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': JSON_TYPE });
    res.end(parsed.method === 'HEAD' ? undefined : result.body);
  } catch (error) {
    const mapped = toPgrstError(error, caller, options.executor, options.log);
    if (mapped.status >= 500) options.log?.(`embedded supabase: ${url.pathname} answered ${mapped.status} ${mapped.body.code ?? ''}`);
    sendError(res, mapped);
  }
}

/** A wildcard bind address is reached through loopback. */
const urlHost = (host: string): string =>
  host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;

export async function startRpcServer(options: RpcServerOptions): Promise<RpcServer> {
  const cache = new SchemaCache(options.executor);
  await cache.reload();
  const server = createServer((req, res) => {
    handle(req, res, options, cache).catch((error: unknown) => {
      options.log?.(`embedded supabase: RPC server could not answer: ${String(error)}`);
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${urlHost(host)}:${port}`,
    port,
    schemaCache: cache,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
