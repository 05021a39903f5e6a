/**
 * A real `ws` client for the reliability suites that keeps the two streams a connection
 * receives apart: replies to its own frames (in order) and broadcasts of other connections'
 * changes (in order); presence events go to a third list. Absence is proven by a barrier (a broadcast that must come next), never by
 * waiting. Sends text in one frame, in ≤ 32 KB fragments of one message, or as binary.
 */
import WebSocket from 'ws';
import { expandChange, type BatchFrameHeader, type CompactChange } from '../../../shared/protocol/batch-codec';
import type { Change } from '../../../shared/protocol/staff';

export type Frame = Record<string, unknown>;

const BROADCAST_TYPES = new Set(['STAFF_CREATE', 'STAFF_UPDATE', 'STAFF_DELETE']);
export const isBroadcast = (frame: Frame): boolean =>
  !('requestId' in frame) && ((BROADCAST_TYPES.has(String(frame.type)) && 'change' in frame) || (frame.type === 'STAFF_BATCH' && 'changes' in frame));

/** The changes a STAFF_BATCH frame carries, in full form (docs/protocol.md §6.1). */
export const changesOfBatchFrame = (frame: Frame): Change[] =>
  (frame.changes as CompactChange[]).map((change) => expandChange(change, frame as unknown as BatchFrameHeader));
/**
 * A presence event (join, update, leave of another connection), which answers no frame of this
 * one. A snapshot always answers PRESENCE_REQUEST; an update of this connection's own user is the reply to its PRESENCE_EDITING without a
 * requestId: each lane user has one connection, and no connection is told its own events.
 */
export const isPresenceEvent = (frame: Frame, userId: string | undefined): boolean =>
  frame.type === 'PRESENCE' &&
  !('requestId' in frame) &&
  frame.event !== 'snapshot' &&
  !(frame.event === 'update' && userId !== undefined && (frame.member as Frame | undefined)?.userId === userId);

const FRAGMENT_BYTES = 32 * 1024;

export class LaneSocket {
  readonly replies: Frame[] = [];
  readonly broadcasts: Frame[] = [];
  /** Presence events, kept apart: when they come depends on other connections, not on this one's frames. */
  readonly presenceEvents: Frame[] = [];
  private replyCursor = 0;
  private broadcastCursor = 0;
  private waiters: Array<() => void> = [];
  closed: { code: number; reason: string } | undefined;

  private constructor(
    readonly socket: WebSocket,
    userId: string | undefined,
  ) {
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      const text = isBinary ? `binary:${data.toString('base64')}` : data.toString('utf8');
      let frame: Frame;
      try {
        frame = JSON.parse(text) as Frame;
      } catch {
        frame = { type: '__not_json__', raw: text.slice(0, 200) };
      }
      (isBroadcast(frame) ? this.broadcasts : isPresenceEvent(frame, userId) ? this.presenceEvents : this.replies).push(frame);
      this.wake();
    });
    socket.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
    socket.on('error', () => this.wake());
  }

  /** Opens a socket (for `userId`'s token); rejects with the HTTP status of a refused handshake. */
  static open(url: string, userId?: string): Promise<LaneSocket> {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new LaneSocket(socket, userId)));
      socket.once('unexpected-response', (_req, res) => {
        reject(new Error(`handshake refused with HTTP ${res.statusCode}`));
        res.resume();
        socket.terminate();
      });
      socket.once('error', reject);
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private async waitUntil(ready: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!ready()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return true;
  }

  /** Sends text (one frame, or ≤ 32 KB fragments of one message) or bytes (a binary frame, or a text frame of raw bytes). */
  send(wire: string | Uint8Array, fragment = false, textBytes = false): void {
    if (typeof wire !== 'string') {
      this.socket.send(wire, { binary: !textBytes });
      return;
    }
    const bytes = Buffer.from(wire, 'utf8');
    if (!fragment || bytes.length <= FRAGMENT_BYTES) {
      this.socket.send(wire);
      return;
    }
    for (let offset = 0; offset < bytes.length; offset += FRAGMENT_BYTES) {
      const last = offset + FRAGMENT_BYTES >= bytes.length;
      this.socket.send(bytes.subarray(offset, offset + FRAGMENT_BYTES), { binary: false, fin: last });
    }
  }

  /** The next reply not yet taken; undefined when none came in time or the socket closed. */
  async nextReply(timeoutMs = 10_000): Promise<Frame | undefined> {
    await this.waitUntil(() => this.replyCursor < this.replies.length || this.closed !== undefined, timeoutMs);
    return this.replyCursor < this.replies.length ? this.replies[this.replyCursor++] : undefined;
  }

  /** The next broadcast not yet taken; undefined when none came in time. */
  async nextBroadcast(timeoutMs = 10_000): Promise<Frame | undefined> {
    await this.waitUntil(() => this.broadcastCursor < this.broadcasts.length || this.closed !== undefined, timeoutMs);
    return this.broadcastCursor < this.broadcasts.length ? this.broadcasts[this.broadcastCursor++] : undefined;
  }

  /** Replies received and not yet taken (after the last frame: must be none). */
  pendingReplies(): number {
    return this.replies.length - this.replyCursor;
  }

  /** Broadcasts received and not yet taken (after a barrier: must be none). */
  pendingBroadcasts(): number {
    return this.broadcasts.length - this.broadcastCursor;
  }

  async waitClosed(timeoutMs = 10_000): Promise<{ code: number; reason: string } | undefined> {
    await this.waitUntil(() => this.closed !== undefined, timeoutMs);
    return this.closed;
  }

  close(): void {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) this.socket.close(1000);
  }
}
