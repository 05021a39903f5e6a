/**
 * Requests waiting for their reply, matched by `requestId`. Every attempt has a timeout. A write
 * is sent again with the SAME requestId (the server answers the original ACK if it committed)
 * when it times out, gets `UPSTREAM_UNAVAILABLE`, or was in flight when the socket dropped;
 * reads are failed with `DISCONNECTED` on a drop and left to their caller to repeat.
 */
import type { ClientFrame } from '../../shared/protocol/client-frames';
import type { WriteFrame } from './protocol';
import type { AckFrame, BatchAckFrame, ErrorFrame, PongFrame, PresenceFrame, SubscribedFrame, SyncResponseFrame } from '../../shared/protocol/server-frames';
import { StaffSyncClientError, isRetriableWriteCode } from './errors';
import { errorFromFrame } from './frames';

/** The frames that answer a request (broadcasts answer none, nor does a member's leaving). */
export type ReplyFrame = AckFrame | BatchAckFrame | SyncResponseFrame | Exclude<PresenceFrame, { event: 'leave' }> | SubscribedFrame | PongFrame | ErrorFrame;

interface Entry {
  readonly frame: ClientFrame & { requestId: string };
  readonly write: boolean;
  /** A streamed read: the frames that say `continued`, each as it comes (the last one settles). */
  readonly part?: (frame: SyncResponseFrame) => void;
  /** Attempts that ended without an answer or with `UPSTREAM_UNAVAILABLE`. */
  failures: number;
  timer?: ReturnType<typeof setTimeout>;
  resolve(frame: ReplyFrame): void;
  reject(error: StaffSyncClientError): void;
}

export interface RequestOptions {
  readonly timeoutMs: number;
  readonly maxWriteAttempts: number;
  /** Delay before retry number `failures` (1, 2, …) of a write that got `UPSTREAM_UNAVAILABLE`. */
  readonly retryDelay: (failures: number) => number;
}

export class Requests {
  private readonly pending = new Map<string, Entry>();

  constructor(
    private readonly send: (text: string) => boolean,
    private readonly options: RequestOptions,
    /** The set of unanswered writes changed (persistence saves them). */
    private readonly writesChanged: () => void = () => undefined,
  ) {}

  /** Writes not yet answered, oldest first. */
  pendingWrites(): WriteFrame[] {
    return [...this.pending.values()].filter((entry) => entry.write).map((entry) => entry.frame as WriteFrame);
  }

  /** Resolves with the ACK, or rejects with the typed error once no retry is left. */
  write(frame: WriteFrame): Promise<AckFrame | BatchAckFrame> {
    return this.start(frame, true) as Promise<AckFrame | BatchAckFrame>;
  }

  /** Resolves with the reply (SYNC_RESPONSE or PONG); an ERROR reply rejects. */
  read(frame: ClientFrame & { requestId: string }, part?: (frame: SyncResponseFrame) => void): Promise<ReplyFrame> {
    return this.start(frame, false, part);
  }

  /** Settles the request a reply belongs to; false when none is waiting for it. */
  settle(frame: ReplyFrame): boolean {
    const entry = frame.requestId === undefined ? undefined : this.pending.get(frame.requestId);
    if (!entry) return false;
    clearTimeout(entry.timer);
    entry.timer = undefined;
    if (entry.part && frame.type === 'SYNC_RESPONSE' && frame.continued) {
      // Each frame of a stream restarts the wait: a long stream is not a late one.
      entry.timer = setTimeout(() => this.timedOut(entry), this.options.timeoutMs);
      entry.part(frame);
      return true;
    }
    if (frame.type !== 'ERROR') {
      this.finish(entry).resolve(frame);
      return true;
    }
    const error = errorFromFrame(frame);
    if (!entry.write || !isRetriableWriteCode(error.code)) {
      this.finish(entry).reject(error);
    } else if (error.code === 'TOKEN_EXPIRED') {
      // Nothing was written; the connection is replaced and `resend()` sends it again.
    } else if (++entry.failures >= this.options.maxWriteAttempts) {
      this.finish(entry).reject(error);
    } else {
      entry.timer = setTimeout(() => this.transmit(entry), this.options.retryDelay(entry.failures));
    }
    return true;
  }

  /** A socket opened: writes still waiting are sent again, with their original requestId. */
  resend(): void {
    for (const entry of this.pending.values()) {
      if (!entry.write) continue;
      clearTimeout(entry.timer);
      this.transmit(entry);
    }
  }

  /** The socket dropped: reads fail (their callers repeat them), writes wait for the next socket. */
  disconnected(): void {
    for (const entry of [...this.pending.values()]) {
      clearTimeout(entry.timer);
      entry.timer = undefined;
      if (!entry.write) this.finish(entry).reject(new StaffSyncClientError('DISCONNECTED', 'the connection dropped before the reply', { requestId: entry.frame.requestId }));
    }
  }

  /** Fails everything still pending (the client was closed). */
  rejectAll(error: (requestId: string) => StaffSyncClientError): void {
    for (const entry of [...this.pending.values()]) {
      clearTimeout(entry.timer);
      this.finish(entry).reject(error(entry.frame.requestId));
    }
  }

  private start(frame: ClientFrame & { requestId: string }, write: boolean, part?: (frame: SyncResponseFrame) => void): Promise<ReplyFrame> {
    return new Promise((resolve, reject) => {
      const entry: Entry = { frame, write, failures: 0, resolve, reject, ...(part ? { part } : {}) };
      this.pending.set(frame.requestId, entry);
      if (write) this.writesChanged();
      this.transmit(entry);
    });
  }

  /** Sends now when a socket is open (with a timeout), else leaves it to `resend()`. */
  private transmit(entry: Entry): void {
    entry.timer = undefined;
    if (!this.pending.has(entry.frame.requestId)) return;
    if (!this.send(JSON.stringify(entry.frame))) {
      if (!entry.write) this.finish(entry).reject(new StaffSyncClientError('DISCONNECTED', 'no open connection', { requestId: entry.frame.requestId }));
      return;
    }
    entry.timer = setTimeout(() => this.timedOut(entry), this.options.timeoutMs);
  }

  private timedOut(entry: Entry): void {
    entry.timer = undefined;
    const { requestId, type } = entry.frame;
    if (entry.write && ++entry.failures < this.options.maxWriteAttempts) {
      this.transmit(entry);
      return;
    }
    const attempts = entry.write ? ` after ${entry.failures} attempts` : '';
    this.finish(entry).reject(new StaffSyncClientError('TIMEOUT', `no reply to ${type} within ${this.options.timeoutMs} ms${attempts}`, { requestId }));
  }

  private finish(entry: Entry): Entry {
    this.pending.delete(entry.frame.requestId);
    if (entry.write) this.writesChanged();
    return entry;
  }
}
