/**
 * A WebSocket client of the staff-sync protocol for the benches: requests matched to replies
 * by `requestId`, and every broadcast's arrival time by `seq` (epoch ms, comparable with the
 * stage process's traces).
 */
import { WebSocket } from 'ws';
import { epochMs } from '../lib/trace';

export interface Reply {
  readonly frame: Record<string, unknown> & { type: string };
  readonly at: number;
  readonly bytes: number;
}

export type BroadcastListener = (seq: number, at: number, bytes: number) => void;

let counter = 0;
export const nextRequestId = (prefix: string): string => `${prefix}-${process.pid}-${++counter}`;

export class BenchClient {
  private readonly pending = new Map<string, (reply: Reply) => void>();
  onBroadcast: BroadcastListener = () => undefined;

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      const at = epochMs();
      const frame = JSON.parse(data.toString('utf8')) as Reply['frame'];
      const requestId = frame.requestId as string | undefined;
      if (requestId && this.pending.has(requestId)) {
        const resolve = this.pending.get(requestId) as (reply: Reply) => void;
        this.pending.delete(requestId);
        resolve({ frame, at, bytes: data.byteLength });
      } else if (frame.type.startsWith('STAFF_')) {
        this.onBroadcast(Number((frame.change as { seq: number }).seq), at, data.byteLength);
      }
    });
  }

  static connect(url: string): Promise<BenchClient> {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    socket.on('error', () => undefined);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new BenchClient(socket)));
      socket.once('unexpected-response', (_req, res) => reject(new Error(`handshake refused: ${res.statusCode}`)));
      socket.once('error', reject);
    });
  }

  /** Sends one frame; resolves with its reply and the send time. */
  request(frame: { type: string; requestId: string; payload?: unknown }, timeoutMs = 15_000): Promise<Reply & { sentAt: number; sentBytes: number }> {
    const text = JSON.stringify(frame);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(frame.requestId);
        reject(new Error(`no reply to ${frame.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      const sentAt = epochMs();
      this.pending.set(frame.requestId, (reply) => {
        clearTimeout(timer);
        resolve({ ...reply, sentAt, sentBytes: Buffer.byteLength(text) });
      });
      this.socket.send(text);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.readyState === WebSocket.CLOSED) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.close(1000);
    });
  }
}
