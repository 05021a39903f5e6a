/**
 * One logical connection over a series of sockets: asks the token source for a token before
 * every attempt (forcing a refresh after repeated handshake failures or an expired token),
 * reconnects with backoff after every drop, and reports what happens. Speaks only the browser
 * `WebSocket` interface, which Node's `ws` also implements.
 */
import { backoffDelay, type BackoffOptions } from './backoff';
import { StaffSyncClientError } from './errors';

/** The part of the standard `WebSocket` the SDK uses (the browser's global, or `ws` in Node). */
export interface WebSocketLike {
  readonly readyState: number;
  // Event types differ between implementations; only `data`, `code` and `message` are read.
  onopen: ((event: any) => void) | null; // eslint-disable-line @typescript-eslint/no-explicit-any
  onmessage: ((event: any) => void) | null; // eslint-disable-line @typescript-eslint/no-explicit-any
  onclose: ((event: any) => void) | null; // eslint-disable-line @typescript-eslint/no-explicit-any
  onerror: ((event: any) => void) | null; // eslint-disable-line @typescript-eslint/no-explicit-any
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** Returns a token; `forceRefresh` asks for a new one rather than a cached one. */
export type TokenProvider = (context: { readonly forceRefresh: boolean }) => Promise<string> | string;
export type TokenSource = string | TokenProvider;

export type ConnectionStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface ReconnectOptions extends BackoffOptions {
  /** Handshake failures in a row after which the token callback is asked to force a refresh. @default 2 */
  readonly forceRefreshAfter?: number;
}

export interface ConnectionHandlers {
  opened(): void;
  message(data: unknown): void;
  /** An open socket closed; a new one is on its way. */
  lost(): void;
  status(status: ConnectionStatus): void;
  error(error: StaffSyncClientError): void;
}

const OPEN = 1;

export function withToken(url: string, token: string): string {
  const target = new URL(url);
  target.searchParams.set('token', token);
  return target.toString();
}

export class Connection {
  private socket: WebSocketLike | undefined;
  private current: ConnectionStatus = 'connecting';
  private failures = 0;
  private handshakeFailures = 0;
  private forceRefresh = false;
  private everOpened = false;
  private stopped = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly url: string,
    private readonly token: TokenSource,
    private readonly WebSocketClass: WebSocketConstructor,
    private readonly options: ReconnectOptions,
    private readonly handlers: ConnectionHandlers,
  ) {}

  get status(): ConnectionStatus {
    return this.current;
  }

  get isOpen(): boolean {
    return this.current === 'open' && this.socket?.readyState === OPEN;
  }

  start(): void {
    void this.attempt();
  }

  /** Sends one text frame; false when no socket is open. */
  send(text: string): boolean {
    if (!this.isOpen) return false;
    this.socket!.send(text);
    return true;
  }

  /** The connection proved itself (it synced): the next drop retries from the shortest delay. */
  markHealthy(): void {
    this.failures = 0;
  }

  /** Drops the current socket and opens a new one (after `TOKEN_EXPIRED` or a silent socket). */
  restart({ forceRefresh }: { forceRefresh: boolean }): void {
    this.forceRefresh ||= forceRefresh;
    const socket = this.socket;
    if (!socket) return;
    this.socket = undefined;
    closeQuietly(socket, 4000, 'reconnecting');
    this.handlers.lost();
    this.scheduleRetry();
  }

  close(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const socket = this.socket;
    this.socket = undefined;
    if (socket) closeQuietly(socket, 1000, 'client closed');
    this.setStatus('closed');
  }

  private async attempt(): Promise<void> {
    this.retryTimer = undefined;
    if (this.stopped) return;
    this.setStatus(this.everOpened ? 'reconnecting' : 'connecting');
    const forceRefresh = this.forceRefresh || this.handshakeFailures >= (this.options.forceRefreshAfter ?? 2);
    let socket: WebSocketLike;
    try {
      const token = typeof this.token === 'string' ? this.token : await this.token({ forceRefresh });
      if (this.stopped) return;
      this.forceRefresh = false;
      socket = new this.WebSocketClass(withToken(this.url, token));
    } catch (cause) {
      this.handlers.error(new StaffSyncClientError('HANDSHAKE_FAILED', 'could not get a token or open a socket', { cause }));
      this.scheduleRetry();
      return;
    }
    this.watch(socket);
  }

  private watch(socket: WebSocketLike): void {
    this.socket = socket;
    let opened = false;
    let lastError = '';
    socket.onopen = () => {
      if (this.socket !== socket) return;
      opened = true;
      this.everOpened = true;
      this.handshakeFailures = 0;
      this.setStatus('open');
      this.handlers.opened();
    };
    socket.onmessage = (event: { data: unknown }) => {
      if (this.socket === socket) this.handlers.message(event.data);
    };
    // A close event always follows an error; keep its text for the report.
    socket.onerror = (event: { message?: unknown }) => {
      if (typeof event?.message === 'string') lastError = event.message;
    };
    socket.onclose = (event: { code?: number }) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      if (opened) {
        this.handlers.lost();
      } else {
        this.handshakeFailures++;
        const why = lastError ? `: ${lastError}` : '';
        this.handlers.error(new StaffSyncClientError('HANDSHAKE_FAILED', `the socket closed before opening (code ${event?.code ?? 'unknown'})${why}`));
      }
      this.scheduleRetry();
    };
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    this.setStatus(this.everOpened ? 'reconnecting' : 'connecting');
    const delay = backoffDelay(this.failures++, this.options);
    this.retryTimer = setTimeout(() => void this.attempt(), delay);
  }

  private setStatus(status: ConnectionStatus): void {
    if (status === this.current) return;
    this.current = status;
    this.handlers.status(status);
  }
}

function closeQuietly(socket: WebSocketLike, code: number, reason: string): void {
  socket.onopen = socket.onmessage = socket.onclose = null;
  socket.onerror = () => undefined;
  try {
    socket.close(code, reason);
  } catch {
    // Closing a socket that never opened may throw in some implementations; it is gone either way.
  }
}
