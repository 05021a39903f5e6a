/**
 * Keeps the local state complete (docs/protocol.md §7.3, §7.4): a snapshot the first time, a delta
 * since `lastSeq` after every reconnect, when a gap stays open for `gapTimeoutMs`, or when a
 * PONG's `seq` is ahead; `cursor` pages followed; after a snapshot, a delta from its `seq`.
 * One sync runs at a time; asking again while one runs joins it.
 */
import type { Change } from './protocol';
import type { SyncRequestFrame } from '../../shared/protocol/client-frames';
import type { SyncResponseFrame } from '../../shared/protocol/server-frames';
import { StaffSyncClientError, isStaffSyncClientError } from './errors';
import type { LocalState } from './state';

export type SyncPayload = NonNullable<SyncRequestFrame['payload']>;

export interface SynchronizerDeps {
  readonly state: LocalState;
  readonly gapTimeoutMs: number;
  /** Attempts of one sync that time out or meet `UPSTREAM_UNAVAILABLE` before it gives up. */
  readonly maxAttempts: number;
  request(payload: SyncPayload): Promise<SyncResponseFrame>;
  /** Resolves when a socket is open; rejects once the client is closed. */
  whenOpen(): Promise<void>;
  retryDelay(attempt: number): number;
  /** Changes became part of the state, in seq order. */
  taken(changes: readonly Change[]): void;
  /** The state changed in another way (snapshot, synced flag). */
  changed(): void;
  failed(error: StaffSyncClientError): void;
}

const RETRIABLE = new Set(['TIMEOUT', 'UPSTREAM_UNAVAILABLE', 'INTERNAL']);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class Synchronizer {
  /** True once a sync has completed and no gap is open. */
  synced = false;
  private running: Promise<void> | undefined;
  private gapTimer: ReturnType<typeof setTimeout> | undefined;
  private baseline = false;
  private stopped = false;
  /** A PONG ahead of us arrived while a sync ran: check again shortly after it. */
  private again = false;

  constructor(private readonly deps: SynchronizerDeps) {}

  /** The state was restored from storage: catch up with a delta from its seq, not a snapshot. */
  resume(): void {
    this.baseline = true;
  }

  /** Changes from broadcasts and ACKs. */
  ingest(changes: readonly Change[]): void {
    const taken = this.deps.state.receive(changes);
    if (taken.length > 0) this.deps.taken(taken);
    this.watchGap();
  }

  /** A PONG's seq: ahead of ours means something was missed. */
  heard(seq: number): void {
    if (seq <= this.deps.state.lastSeq) return;
    if (this.running) this.again = true;
    else void this.start();
  }

  /** The socket dropped: not known to be current until the sync after the reconnect. */
  offline(): void {
    this.setSynced(false);
  }

  /** Starts a sync unless one is running; failures are reported through `failed`. */
  start(): Promise<void> {
    this.setSynced(false);
    this.running ??= this.loop().finally(() => {
      this.running = undefined;
      this.watchGap();
    });
    this.running.catch(() => undefined);
    return this.running;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.gapTimer);
  }

  private watchGap(): void {
    const { state } = this.deps;
    this.setSynced(this.baseline && !state.hasGap && !this.running);
    const behind = state.hasGap || (this.again && !this.running);
    if (!behind || this.gapTimer || this.stopped) return;
    this.gapTimer = setTimeout(() => {
      this.gapTimer = undefined;
      const again = this.again;
      this.again = false;
      if (this.deps.state.hasGap || again) void this.start();
    }, this.deps.gapTimeoutMs);
  }

  private setSynced(synced: boolean): void {
    if (synced === this.synced) return;
    this.synced = synced;
    this.deps.changed();
  }

  private async loop(): Promise<void> {
    for (let failures = 0; ; ) {
      await this.deps.whenOpen();
      try {
        await this.once();
        return;
      } catch (error) {
        this.deps.state.abortSnapshot();
        const code = isStaffSyncClientError(error) ? error.code : undefined;
        if (code === 'DISCONNECTED' || code === 'TOKEN_EXPIRED') continue;
        if (code && RETRIABLE.has(code) && ++failures < this.deps.maxAttempts) {
          await sleep(this.deps.retryDelay(failures));
          continue;
        }
        const reported = isStaffSyncClientError(error) ? error : new StaffSyncClientError('INTERNAL', 'sync failed', { cause: error });
        if (!this.stopped) this.deps.failed(reported);
        throw reported;
      }
    }
  }

  private async once(): Promise<void> {
    const { state } = this.deps;
    let payload: SyncPayload = this.baseline ? { sinceSeq: state.lastSeq } : {};
    for (;;) {
      const page = await this.deps.request(payload);
      if (page.mode === 'snapshot') {
        if (!state.inSnapshot) state.beginSnapshot();
        state.addSnapshotPage(page.staff ?? []);
        if (page.hasMore && page.cursor) {
          payload = { cursor: page.cursor };
          continue;
        }
        const taken = state.finishSnapshot(page.seq);
        this.baseline = true;
        this.deps.changed();
        if (taken.length > 0) this.deps.taken(taken);
        payload = { sinceSeq: page.seq };
        continue;
      }
      this.baseline = true;
      this.ingest(page.changes ?? []);
      if (!page.hasMore || !page.cursor) return;
      payload = { cursor: page.cursor };
    }
  }
}
