/**
 * A raw protocol client for end-to-end tests: a real `ws` socket, every frame it receives
 * queued in order, and helpers to wait for a frame by predicate. Absence is proven with a
 * barrier (`expectNextFrame` after a sentinel write), never with a sleep.
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { rememberToken } from './hygiene';
import { stage, tokenFor, type TokenOptions } from './stage';

export type Frame = Record<string, unknown> & { type?: string; requestId?: string };

const DEFAULT_WAIT_MS = 10_000;

export class TestClient {
  readonly frames: Frame[] = [];
  private cursor = 0;
  private waiters: Array<() => void> = [];
  closed: { code: number; reason: string } | undefined;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data, isBinary) => {
      const text = isBinary ? Buffer.from(data as Buffer).toString('base64') : data.toString();
      let frame: Frame;
      try {
        frame = JSON.parse(text) as Frame;
      } catch {
        frame = { type: '__non_json__', raw: text };
      }
      this.frames.push(frame);
      this.wake();
    });
    socket.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
    socket.on('error', () => this.wake());
  }

  static async connect(options: TokenOptions | { token: string }): Promise<TestClient> {
    const token = rememberToken('token' in options ? options.token : await tokenFor(options));
    const socket = new WebSocket(`${stage.wsUrl}?token=${encodeURIComponent(token)}`);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('unexpected-response', (_req, res) => reject(new HandshakeError(res.statusCode ?? 0)));
      socket.once('error', reject);
    });
    return new TestClient(socket);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Sends a frame with a fresh requestId and waits for the reply carrying it. */
  async request(frame: { type: string; payload?: unknown; requestId?: string }, timeoutMs = DEFAULT_WAIT_MS): Promise<Frame> {
    const requestId = frame.requestId ?? randomUUID();
    this.send({ ...frame, requestId });
    return this.waitFor((candidate) => candidate.requestId === requestId && candidate.type !== undefined && !isBroadcast(candidate), timeoutMs);
  }

  /** Waits for a frame matching the predicate, searching everything received so far. */
  async waitFor(predicate: (frame: Frame) => boolean, timeoutMs = DEFAULT_WAIT_MS): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(predicate);
      if (found) return found;
      if (this.closed) throw new Error(`socket closed (${this.closed.code}) while waiting`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames.slice(-5))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The next frame not yet taken by `nextFrame` (in arrival order). */
  async nextFrame(timeoutMs = DEFAULT_WAIT_MS): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    while (this.cursor >= this.frames.length) {
      if (this.closed) throw new Error(`socket closed (${this.closed.code}) while waiting`);
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
    return this.frames[this.cursor++]!;
  }

  /** Marks everything received so far as seen, so `nextFrame` returns only what comes after. */
  skipReceived(): void {
    this.cursor = this.frames.length;
  }

  async waitClosed(timeoutMs = DEFAULT_WAIT_MS): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`socket still open after ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.closed;
  }

  close(): void {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) this.socket.close(1000);
  }
}

export class HandshakeError extends Error {
  constructor(readonly status: number) {
    super(`handshake refused with HTTP ${status}`);
  }
}

const isBroadcast = (frame: Frame): boolean =>
  (frame.type === 'STAFF_CREATE' || frame.type === 'STAFF_UPDATE' || frame.type === 'STAFF_DELETE') && 'change' in frame && !('requestId' in frame);

/** The status of a refused handshake (0 when it opened). */
export async function handshakeStatus(token: string | undefined): Promise<number> {
  if (token) rememberToken(token);
  const socket = new WebSocket(token === undefined ? stage.wsUrl : `${stage.wsUrl}?token=${encodeURIComponent(token)}`);
  return new Promise<number>((resolve) => {
    socket.once('open', () => {
      socket.close();
      resolve(101);
    });
    socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    socket.once('error', () => resolve(0));
  });
}
