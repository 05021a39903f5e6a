/**
 * The `@connections` management API (docs/reference-apigw.md §4) for the real
 * `@aws-sdk/client-apigatewaymanagementapi` client: POST 200 / GET 200 / DELETE 204, 410
 * `GoneException`, 413 `PayloadTooLargeException`, 429 `LimitExceededException`, errors named
 * by the `x-amzn-ErrorType` header the SDK reads. Any SigV4 signature is accepted.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayLogger, WebSocketIdentity } from './types';

/** A connection as the management API sees it: a live socket or a registered sink. */
export interface PostTarget {
  readonly connectedAt: number;
  readonly lastActiveAt: number;
  readonly identity: WebSocketIdentity;
  isOpen(): boolean;
  /** Delivers one post; resolves with the HTTP status to answer. */
  post(data: Buffer): Promise<number>;
  disconnect(): void;
}

const PATH = /^(?:\/[^/?]+)*\/@connections\/([^/?]+)\/?(?:\?.*)?$/;

const ERROR_TYPES: Readonly<Record<number, string>> = {
  403: 'ForbiddenException',
  410: 'GoneException',
  413: 'PayloadTooLargeException',
  429: 'LimitExceededException',
  500: 'InternalServerErrorException',
};

export interface ManagementApi {
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** Ends every request still waiting on a target (e.g. a sink that never answers). */
  abortPending(): void;
}

export const createManagementApi = (
  lookup: (connectionId: string) => PostTarget | undefined,
  maxPostBytes: number,
  log: GatewayLogger,
): ManagementApi => {
  const pending = new Set<ServerResponse>();

  const reply = (res: ServerResponse, status: number, body?: unknown): void => {
    if (res.headersSent || res.destroyed) return;
    const errorType = ERROR_TYPES[status];
    if (errorType) res.setHeader('x-amzn-ErrorType', errorType);
    res.setHeader('x-amzn-RequestId', randomUUID());
    if (status === 204 || (status === 200 && body === undefined)) {
      res.writeHead(status, { 'content-length': '0' }).end();
      return;
    }
    const text = JSON.stringify(body ?? { message: null });
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
  };

  const readBody = (req: IncomingMessage): Promise<Buffer | 'too-large'> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= maxPostBytes) chunks.push(chunk);
      });
      req.on('end', () => resolve(size > maxPostBytes ? 'too-large' : Buffer.concat(chunks, size)));
      req.on('error', reject);
    });

  const post = async (req: IncomingMessage, res: ServerResponse, id: string): Promise<void> => {
    const body = await readBody(req);
    if (body === 'too-large') {
      reply(res, 413, { message: `Message too long: the limit is ${maxPostBytes} bytes` });
      return;
    }
    const target = lookup(id);
    if (!target || !target.isOpen()) {
      reply(res, 410);
      return;
    }
    pending.add(res);
    try {
      const status = await target.post(body);
      reply(res, status, status >= 300 ? { message: null } : undefined);
    } finally {
      pending.delete(res);
    }
  };

  const serve = async (req: IncomingMessage, res: ServerResponse, id: string): Promise<void> => {
    if (!String(req.headers.authorization ?? '').startsWith('AWS4-')) {
      req.resume();
      reply(res, 403, { message: 'Missing Authentication Token' });
      return;
    }
    if (req.method === 'POST') return post(req, res, id);
    req.resume();
    const target = lookup(id);
    if (req.method !== 'GET' && req.method !== 'DELETE') {
      reply(res, 403, { message: 'Missing Authentication Token' });
    } else if (!target || !target.isOpen()) {
      reply(res, 410);
    } else if (req.method === 'GET') {
      reply(res, 200, {
        connectedAt: new Date(target.connectedAt).toISOString(),
        identity: { sourceIp: target.identity.sourceIp, userAgent: target.identity.userAgent ?? '' },
        lastActiveAt: new Date(target.lastActiveAt).toISOString(),
      });
    } else {
      reply(res, 204);
      target.disconnect();
    }
  };

  return {
    handle(req, res) {
      const match = PATH.exec(req.url ?? '');
      if (!match) return false;
      let id: string;
      try {
        id = decodeURIComponent(match[1] as string);
      } catch {
        id = '';
      }
      serve(req, res, id).catch((error: unknown) => {
        log.error('gateway: @connections request failed', { error: error instanceof Error ? error.message : error });
        reply(res, 500, { message: 'Internal server error' });
      });
      return true;
    },
    abortPending() {
      for (const res of pending) res.destroy();
      pending.clear();
    },
  };
};
