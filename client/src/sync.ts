/**
 * Keeps the local state complete (docs/protocol.md §7.3, §7.4, §7.9): a snapshot the first time
 * (and after the subscription changes), a delta from the state's position after every reconnect,
 * when a gap stays open for `gapTimeoutMs`, or when a PONG tells a position ahead; `cursor` pages
 * followed; after a snapshot, a delta from its position. Following departments, both are asked
 * by departments. One sync runs at a time; asking again while one runs joins it.
 */
import type { Change } from './protocol';
import type { SyncRequestFrame } from '../../shared/protocol/client-frames';
import type { SyncResponseFrame } from '../../shared/protocol/server-frames';
import { StaffSyncClientError, isStaffSyncClientError } from './errors';
import type { LocalState, Position } from './state';

export type SyncPayload = NonNullable<SyncRequestFrame['payload']>;

export interface SynchronizerDeps {
  readonly state: LocalState;
  readonly gapTimeoutMs: number;
  /** Attempts of one sync that time out or meet `UPSTREAM_UNAVAILABLE` before it gives up. */
  readonly maxAttempts: number;
  /** One SYNC_REQUEST; the frames of a streamed reply before its last go to `part`, in order. */
  request(payload: SyncPayload, part: (page: SyncResponseFrame) => void): Promise<SyncResponseFrame>;
  /** Resolves when a socket is open; rejects once the client is closed. */
  whenOpen(): Promise<void>;
  retryDelay(attempt: number): number;
  /** Changes became part of the state, in seq order. */
  taken(changes: readonly Change[]): void;
  /** The state changed in another way (snapshot, synced flag). */
  changed(): void;
  failed(error: StaffSyncClientError): void;
  /**
   * A whole-org sync was refused (`FORBIDDEN`: a token limited to departments): learn the
   * token's departments and follow them. Resolves true when the state now follows them.
   */
  narrow(): Promise<boolean>;
}

/** Thrown inside a sync whose subscription changed under it: it starts over for the new one. */
const RESTART = Symbol('restart');

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
  /** Bumped when the state follows other departments: a sync of the old ones is dropped. */
  private generation = 0;

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

  /** A PONG's (or SUBSCRIBED's) position: ahead of ours means something was missed. */
  heard(position: Position): void {
    if (!this.deps.state.isBehind(position)) return;
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

  /** The state now follows other departments: a snapshot of them, dropping any sync of the old ones. */
  restart(): Promise<void> {
    this.generation++;
    this.baseline = false;
    this.deps.state.abortSnapshot();
    return this.start();
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
        if (error === RESTART) continue;
        const code = isStaffSyncClientError(error) ? error.code : undefined;
        if (code === 'DISCONNECTED' || code === 'TOKEN_EXPIRED') continue;
        if (code === 'FORBIDDEN' && this.deps.state.departments === null && (await this.deps.narrow().catch(() => false))) continue;
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

  /** A delta from where the state stands. */
  private since(): SyncPayload {
    const { state } = this.deps;
    const { departments } = state;
    return departments ? { departments, sinceDeptSeqs: state.deptSeqs } : { sinceSeq: state.lastSeq };
  }

  private async once(): Promise<void> {
    const { state } = this.deps;
    const { generation } = this;
    const { departments } = state;
    // A cursor is valid only with the departments it was made for; an org sync streams its pages.
    const ask = (payload: SyncPayload): SyncPayload => (departments ? { departments, ...payload } : { ...payload, stream: true });
    let payload: SyncPayload = this.baseline ? this.since() : departments ? { departments } : {};
    for (;;) {
      let next: SyncPayload | undefined;
      const take = (page: SyncResponseFrame): void => {
        if (generation === this.generation) next = this.take(page);
      };
      const last = await this.deps.request(ask(payload), take);
      if (generation !== this.generation) throw RESTART;
      take(last);
      if (next === undefined) return;
      payload = next;
    }
  }

  /** Applies one page; returns what to ask for next (a cursor, the delta after a snapshot), or undefined once caught up. */
  private take(page: SyncResponseFrame): SyncPayload | undefined {
    const { state } = this.deps;
    if (page.mode === 'snapshot') {
      if (!state.inSnapshot) state.beginSnapshot();
      state.addSnapshotPage(page.staff ?? []);
      if (page.hasMore && page.cursor) return { cursor: page.cursor };
      const taken = state.finishSnapshot(page);
      this.baseline = true;
      this.deps.changed();
      if (taken.length > 0) this.deps.taken(taken);
      return this.since();
    }
    this.baseline = true;
    this.ingest(page.changes ?? []);
    return page.hasMore && page.cursor ? { cursor: page.cursor } : undefined;
  }
}
