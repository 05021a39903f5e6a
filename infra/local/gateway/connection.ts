/**
 * One open WebSocket connection: dispatches each frame to `$default` as it arrives, enforces
 * the idle and lifetime timeouts, answers `@connections` posts, and reports `$disconnect`.
 */
import { WebSocket, type RawData } from 'ws';
import { disconnectEvent, messageEvent, type ConnectionBase } from './events';
import { IntegrationTimeoutError, type Invoker } from './invoke';
import type { ResolvedLimits } from './limits';
import type { PostTarget } from './management';
import type { GatewayHandlers, GatewayLogger } from './types';

/** Bytes queued to a slow client beyond which posts answer 429 ("client side buffer is full"). */
const CLIENT_BUFFER_LIMIT = 4 * 1024 * 1024;
/** How long a server-initiated close waits for the client's close frame before dropping the socket. */
const CLOSE_GRACE_MS = 1000;

const DEFAULT_REASONS: Readonly<Record<number, string>> = {
  1001: 'Going away',
  1005: 'Client-side close frame status not set',
  1009: 'Message too big',
};

export interface ConnectionRuntime {
  readonly handlers: GatewayHandlers;
  readonly invoker: Invoker;
  readonly limits: ResolvedLimits;
  readonly log: GatewayLogger;
  readonly dropDisconnect: () => boolean;
  readonly onClosed: (connection: LiveConnection) => void;
}

export class LiveConnection implements PostTarget {
  lastActiveAt: number;
  /** Settles once the socket has closed (before `$disconnect` runs). */
  readonly whenClosed: Promise<void>;
  private markClosed: () => void = () => undefined;
  private serverClose: { code: number; reason: string } | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private lifetimeTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly base: ConnectionBase,
    private readonly socket: WebSocket,
    private readonly runtime: ConnectionRuntime,
  ) {
    this.lastActiveAt = Date.now();
    this.whenClosed = new Promise((resolve) => {
      this.markClosed = resolve;
    });
  }

  get id(): string {
    return this.base.connectionId;
  }

  get connectedAt(): number {
    return this.base.connectedAt;
  }

  get identity(): ConnectionBase['identity'] {
    return this.base.identity;
  }

  start(): void {
    const { limits } = this.runtime;
    this.socket.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.serverClose ??= { code: 1009, reason: DEFAULT_REASONS[1009] ?? '' };
      this.runtime.log.info('gateway: socket error', { connectionId: this.id, code: error.code ?? error.name });
    });
    this.socket.on('message', (data: RawData, isBinary: boolean) => this.dispatch(data as Buffer, isBinary));
    this.socket.on('close', (code: number, reason: Buffer) => this.closed(code, reason.toString('utf8')));
    this.armIdle(limits.idleTimeoutMs);
    this.lifetimeTimer = setTimeout(() => this.close(1001, 'Going away'), limits.maxLifetimeMs).unref();
  }

  isOpen(): boolean {
    return this.serverClose === undefined && this.socket.readyState === WebSocket.OPEN;
  }

  post(data: Buffer): Promise<number> {
    if (!this.isOpen()) return Promise.resolve(410);
    if (this.socket.bufferedAmount > CLIENT_BUFFER_LIMIT) return Promise.resolve(429);
    this.lastActiveAt = Date.now();
    return new Promise((resolve) => {
      this.socket.send(data, { binary: false }, (error) => resolve(error ? 410 : 200));
    });
  }

  disconnect(): void {
    this.close(1001, 'Going away');
  }

  /** Server-initiated close; `$disconnect` then reports this code and reason. */
  close(code: number, reason: string): void {
    if (this.serverClose || this.socket.readyState >= WebSocket.CLOSING) return;
    this.serverClose = { code, reason };
    this.socket.close(code, reason);
    setTimeout(() => this.socket.terminate(), CLOSE_GRACE_MS).unref();
  }

  private armIdle(delayMs: number): void {
    this.idleTimer = setTimeout(() => {
      const idleFor = Date.now() - this.lastActiveAt;
      const limit = this.runtime.limits.idleTimeoutMs;
      if (idleFor >= limit) this.close(1001, 'Going away');
      else this.armIdle(limit - idleFor);
    }, delayMs).unref();
  }

  private dispatch(data: Buffer, isBinary: boolean): void {
    this.lastActiveAt = Date.now();
    const event = messageEvent(this.base, data, isBinary);
    const { requestId } = event.requestContext;
    const { handlers, invoker, log } = this.runtime;
    invoker.run('message', handlers.message, event).catch((error: unknown) => {
      const timedOut = error instanceof IntegrationTimeoutError;
      log.error('gateway: $default integration failed', {
        connectionId: this.id,
        requestId,
        error: error instanceof Error ? error.name : typeof error,
      });
      if (this.socket.readyState !== WebSocket.OPEN) return;
      const message = timedOut ? 'Endpoint request timed out' : 'Internal server error';
      this.socket.send(JSON.stringify({ message, connectionId: this.id, requestId }));
    });
  }

  private closed(clientCode: number, clientReason: string): void {
    clearTimeout(this.idleTimer);
    clearTimeout(this.lifetimeTimer);
    this.runtime.onClosed(this);
    this.markClosed();
    const code = this.serverClose?.code ?? clientCode;
    const reason = this.serverClose?.reason ?? (clientReason || DEFAULT_REASONS[code] || '');
    const { handlers, invoker, log } = this.runtime;
    log.info('gateway: disconnected', { connectionId: this.id, code });
    if (!handlers.disconnect || this.runtime.dropDisconnect()) return;
    invoker.run('disconnect', handlers.disconnect, disconnectEvent(this.base, code, reason)).catch(
      (error: unknown) =>
        log.error('gateway: $disconnect integration failed', {
          connectionId: this.id,
          error: error instanceof Error ? error.name : typeof error,
        }),
    );
  }
}
