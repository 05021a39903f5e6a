/**
 * The staff-sync client: one socket kept alive and current, a local copy of the org's staff (or
 * of some departments' staff), and promise-returning writes that are retried safely (same
 * requestId) until they are known to have committed or been refused.
 */
import type { BatchResult, Change, PresenceMember, Staff, StaffChanges, StaffInput } from './protocol';
import { backoffDelay } from './backoff';
import { Connection, type ConnectionStatus, type TokenSource } from './connection';
import { Emitter } from './emitter';
import { StaffSyncClientError, isStaffSyncClientError } from './errors';
import { changesOfBatch, errorFromFrame, parseServerFrame } from './frames';
import { resolveOptions, type ConnectOptions, type ResolvedOptions } from './options';
import { Presence, type StaffSyncPresence } from './presence';
import { PERSISTED_FORMAT, Persister, isPersistedState, type ClientStorage, type PersistedState } from './persistence';
import { Requests } from './requests';
import { LocalState } from './state';
import { normalizeDepartments, sameDepartments } from './subscription';
import { Synchronizer } from './sync';
import { uuid } from './uuid';
import { Writes, type BatchRequest } from './writes';

export interface StaffSyncState {
  /** A live, read-only view of the org's staff by id (following departments: the staff in them). */
  readonly staff: ReadonlyMap<string, Staff>;
  /** Every change up to this seq is reflected in `staff` (following departments: the newest change taken). */
  readonly lastSeq: number;
  /** The departments followed, sorted; `null` for the whole org. */
  readonly departments: readonly string[] | null;
  /** Following departments: every change up to `deptSeqs[d]` of each department is reflected in `staff`. */
  readonly deptSeqs: Readonly<Record<string, number>>;
  /** Caught up with the server as far as the client knows (no open gap, no sync running). */
  readonly synced: boolean;
}

export interface StaffSyncEvents {
  /** One committed change, each seq once, in seq order (following departments: each department's changes in its order). */
  change: [change: Change];
  state: [state: StaffSyncState];
  status: [status: ConnectionStatus];
  /** Who is connected changed, or what one of them edits (after `presence.watch()`): every member, oldest first. */
  presence: [members: PresenceMember[]];
  /** Problems not tied to a call: a refused handshake, a frame that is not the protocol, an unsolicited ERROR. */
  error: [error: StaffSyncClientError];
}

const closedError = (requestId?: string) =>
  new StaffSyncClientError('CLOSED', 'the client was closed', requestId === undefined ? {} : { requestId });

export class StaffSyncClient {
  private readonly events = new Emitter<StaffSyncEvents>();
  private readonly local = new LocalState();
  private readonly options: ResolvedOptions;
  private readonly connection: Connection;
  private readonly requests: Requests;
  private readonly syncer: Synchronizer;
  private readonly writes: Writes;
  private readonly persister: Persister | undefined;
  private readonly presenceTracker: Presence;
  /** The departments asked for by `subscribe()` or the option (`null`: no SUBSCRIBE is sent at connect). */
  private wanted: string[] | null;
  /** False until the saved state is loaded: nothing may be saved over it before then. */
  private restoreDone = false;
  private openWaiters: Array<{ resolve(): void; reject(error: Error): void }> = [];
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private statePending = false;
  private closed = false;
  private readonly readyPromise: Promise<void>;
  private settleReady: { resolve(): void; reject(error: Error): void } | undefined;

  /** Use `connect()`. */
  constructor(url: string, token: TokenSource, options: ConnectOptions = {}) {
    this.options = resolveOptions(options);
    this.wanted = this.options.departments;
    this.local.follow(this.wanted);
    const retryDelay = (failures: number) => backoffDelay(failures, { initialDelayMs: 250, maxDelayMs: 5000 });
    this.readyPromise = new Promise((resolve, reject) => (this.settleReady = { resolve, reject }));
    this.readyPromise.catch(() => undefined);
    this.connection = new Connection(url, token, this.options.WebSocket, this.options.reconnect, {
      opened: () => this.opened(),
      lost: () => this.lost(),
      message: (data) => this.received(data),
      status: (status) => this.events.emit('status', status),
      error: (error) => this.events.emit('error', error),
    });
    const { storage } = this.options;
    this.persister = storage && new Persister(storage, this.options.persistDelayMs, () => this.persisted(), (error) => this.storageFailed('save', error));
    this.requests = new Requests(
      (text) => this.connection.send(text),
      { timeoutMs: this.options.requestTimeoutMs, maxWriteAttempts: this.options.maxWriteAttempts, retryDelay },
      () => this.persister?.now(),
    );
    this.syncer = new Synchronizer({
      state: this.local,
      gapTimeoutMs: this.options.gapTimeoutMs,
      maxAttempts: this.options.maxWriteAttempts,
      retryDelay,
      request: async (payload, part) => {
        const reply = await this.requests.read({ type: 'SYNC_REQUEST', requestId: uuid(), payload }, part);
        if (reply.type !== 'SYNC_RESPONSE') throw new StaffSyncClientError('BAD_FRAME', `expected SYNC_RESPONSE, got ${reply.type}`);
        return reply;
      },
      whenOpen: () => this.whenOpen(),
      taken: (changes) => {
        for (const change of changes) this.events.emit('change', change);
        this.stateChanged();
      },
      changed: () => this.stateChanged(),
      failed: (error) => this.events.emit('error', error),
      narrow: async () => (await this.sendSubscribe(null)) !== null,
    });
    this.presenceTracker = new Presence({
      request: async (frame) => {
        await this.whenOpen();
        return this.requests.read(frame);
      },
      changed: () => this.events.emit('presence', this.presenceTracker.list()),
      failed: (error) => this.events.emit('error', error),
    });
    let markRestored = () => undefined as void;
    const restored = new Promise<void>((resolve) => (markRestored = resolve));
    this.writes = new Writes({
      restored,
      requests: this.requests,
      state: this.local,
      syncer: this.syncer,
      changed: () => this.stateChanged(),
      caughtUp: (seq) => this.caughtUp(seq),
      assertOpen: (requestId) => {
        if (this.closed) throw closedError(requestId);
      },
    });
    const finishRestore = () => {
      this.restoreDone = true;
      markRestored();
    };
    if (!storage) {
      finishRestore();
      this.connection.start();
      return;
    }
    void this.restore(storage).finally(() => {
      finishRestore();
      if (!this.closed) this.connection.start();
    });
  }

  /**
   * Who is connected to the org and which record each edits: `watch()` asks and keeps
   * `members` current, `editing(id)` tells the others.
   */
  get presence(): StaffSyncPresence {
    return this.presenceTracker;
  }

  get status(): ConnectionStatus {
    return this.connection.status;
  }

  get state(): StaffSyncState {
    const { staff, lastSeq, departments, deptSeqs } = this.local;
    return { staff, lastSeq, departments, deptSeqs, synced: this.syncer.synced };
  }

  get(id: string): Staff | undefined {
    return this.local.staff.get(id);
  }

  /** The staff list as a schedule shows it: by `displayOrder`, then name. */
  list(): Staff[] {
    return [...this.local.staff.values()].sort((a, b) => a.displayOrder - b.displayOrder || a.name.localeCompare(b.name));
  }

  /**
   * Subscribes to an event; returns the unsubscribe function.
   *
   * @example
   * const off = client.on('change', (change) => console.log(change.seq, change.op, change.staff.name));
   */
  on<K extends keyof StaffSyncEvents>(event: K, listener: (...args: StaffSyncEvents[K]) => void): () => void {
    return this.events.on(event, listener);
  }

  off<K extends keyof StaffSyncEvents>(event: K, listener: (...args: StaffSyncEvents[K]) => void): void {
    this.events.off(event, listener);
  }

  /** Resolves once connected and caught up the first time; rejects with `CLOSED` if closed first. */
  ready(): Promise<void> {
    return this.readyPromise;
  }

  /**
   * Creates a staff record (with a client-chosen UUID unless `input.id` is given).
   *
   * @example
   * const { staff } = await client.create({ name: 'Ada Lovelace', position: 'Nurse' });
   */
  create(input: StaffInput): Promise<Change> {
    return this.writes.create(input);
  }

  /**
   * Changes some fields. `baseVersion` defaults to the local record's version (writes to one
   * record are sent one after another, each based on the result of the last). Resolves with the
   * change, or `null` when nothing differed; rejects with `VERSION_CONFLICT` and `current`.
   *
   * @example
   * try { await client.update(id, { position: 'Head nurse' }); }
   * catch (error) { if (isStaffSyncClientError(error) && error.code === 'VERSION_CONFLICT') show(error.current); }
   */
  update(id: string, changes: StaffChanges, baseVersion?: number): Promise<Change | null> {
    return this.writes.update(id, changes, baseVersion);
  }

  /** Deletes a record; `baseVersion` (default: the local version) must be the current one. */
  remove(id: string, baseVersion?: number): Promise<Change> {
    return this.writes.remove(id, baseVersion);
  }

  /**
   * Creates, updates and deletes in one transaction (≤ 500 operations in a frame of ≤ 32 KB:
   * `splitBatch` groups a larger import). Resolves with each operation's change in order (null
   * for an update that changed nothing); rejects with the first failing operation's error
   * (its `details` paths name it: `payload.operations.3.staff.name`) and nothing written.
   *
   * @example
   * const [created, moved] = await client.batch([
   *   { op: 'create', staff: { name: 'Ada Lovelace' } },
   *   { op: 'update', staffId: grace.id, changes: { department: 'ICU' } },
   * ]);
   */
  batch(operations: readonly BatchRequest[]): Promise<BatchResult[]> {
    return this.writes.batch(operations);
  }

  /**
   * Follows only these departments' staff (`null` or `[]`: the whole org again): the connection
   * receives only changes that touch them, the local copy holds only their records, and each
   * department's `deptSeqs` detects any loss. Resolves once the local copy is a complete snapshot
   * of them; kept over reconnects. A token limited to departments may name only those (`FORBIDDEN`);
   * its client follows all of them without calling this.
   *
   * @example
   * await client.subscribe(['ICU', 'Emergency']);
   * client.list(); // the staff of the two wards only
   */
  async subscribe(departments: readonly string[] | null): Promise<void> {
    if (this.closed) throw closedError();
    this.wanted = normalizeDepartments(departments);
    await this.whenOpen();
    await this.sendSubscribe(this.wanted);
    await this.syncer.start();
  }

  /** Asks for everything since `lastSeq` (a snapshot the first time) and resolves when caught up. */
  sync(): Promise<void> {
    if (this.closed) return Promise.reject(closedError());
    return this.syncer.start();
  }

  /** Resolves once the state as it is now has been saved to the `storage` option (at once without one). */
  flush(): Promise<void> {
    return this.persister?.flush() ?? Promise.resolve();
  }

  /** Closes the socket for good; pending calls reject with `CLOSED` (with `storage`, unanswered writes stay saved). */
  close(): void {
    if (this.closed) return;
    // Saved before the rejections below: the writes stay for the next client on this storage.
    // Closed before the load finished, this client holds less than the storage: leave it as it is.
    if (this.restoreDone) void this.persister?.last(this.persisted());
    else this.persister?.stop();
    this.closed = true;
    clearInterval(this.heartbeat);
    this.syncer.stop();
    this.presenceTracker.stop();
    this.connection.close();
    this.requests.rejectAll(closedError);
    for (const waiter of this.openWaiters.splice(0)) waiter.reject(closedError());
    this.settleReady?.reject(closedError());
  }

  /** Starts from the saved replica and queues the saved writes again; a storage failure starts empty. */
  private async restore(storage: ClientStorage): Promise<void> {
    let saved: unknown;
    try {
      saved = await storage.load();
    } catch (error) {
      this.storageFailed('load', error);
      return;
    }
    if (!isPersistedState(saved) || this.closed) return;
    // A replica of other departments is no start for this one; its unanswered writes still are.
    if (sameDepartments(saved.departments ?? null, this.wanted)) {
      this.local.restore(saved);
      this.syncer.resume();
      this.stateChanged();
    }
    for (const frame of saved.pending) {
      this.writes.resume(frame).catch((error: unknown) => {
        if (isStaffSyncClientError(error) && error.code !== 'CLOSED') this.events.emit('error', error);
      });
    }
  }

  private persisted(): PersistedState {
    return { format: PERSISTED_FORMAT, ...this.local.export(), pending: [...this.writes.waiting(), ...this.requests.pendingWrites()] };
  }

  /**
   * Sends SUBSCRIBE and follows what the server answers (a limited token's departments for
   * `null`): the same departments keep their positions, others start with a snapshot.
   */
  private async sendSubscribe(departments: readonly string[] | null): Promise<string[] | null> {
    const reply = await this.requests.read({ type: 'SUBSCRIBE', requestId: uuid(), payload: departments ? { departments: [...departments] } : {} });
    if (reply.type !== 'SUBSCRIBED') throw new StaffSyncClientError('BAD_FRAME', `expected SUBSCRIBED, got ${reply.type}`);
    if (sameDepartments(reply.departments, this.local.departments)) {
      this.syncer.heard(reply);
    } else {
      this.local.follow(reply.departments);
      void this.syncer.restart();
      this.stateChanged();
    }
    return reply.departments;
  }

  private storageFailed(what: 'load' | 'save', cause: unknown): void {
    this.events.emit('error', new StaffSyncClientError('STORAGE_FAILED', `could not ${what} the client's saved state: ${cause instanceof Error ? cause.message : String(cause)}`, { cause }));
  }

  private opened(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => this.ping(), this.options.heartbeatMs);
    this.requests.resend();
    for (const waiter of this.openWaiters.splice(0)) waiter.resolve();
    this.presenceTracker.reopened();
    // A new connection receives the whole org (or its token's departments) until it subscribes again.
    const subscribed = this.wanted ? this.sendSubscribe(this.wanted) : Promise.resolve(null);
    subscribed
      .catch((error: unknown) => {
        if (isStaffSyncClientError(error) && error.code === 'FORBIDDEN') this.events.emit('error', error);
      })
      .then(() => this.syncer.start())
      .then(() => this.connection.markHealthy(), () => undefined);
  }

  private lost(): void {
    clearInterval(this.heartbeat);
    this.requests.disconnected();
    this.syncer.offline();
  }

  private received(data: unknown): void {
    const parsed = parseServerFrame(data);
    if (!parsed.ok) {
      this.events.emit('error', parsed.error);
      return;
    }
    const { frame } = parsed;
    switch (frame.type) {
      case 'STAFF_CREATE':
      case 'STAFF_UPDATE':
      case 'STAFF_DELETE':
        this.syncer.ingest([frame.change]);
        return;
      case 'STAFF_BATCH':
        this.syncer.ingest(changesOfBatch(frame));
        return;
      case 'PRESENCE':
        // A late reply (its request timed out) still tells this client's own marker.
        if (frame.event === 'leave' || !this.requests.settle(frame)) this.presenceTracker.received(frame);
        return;
      case 'ERROR':
        if (!this.requests.settle(frame)) this.events.emit('error', errorFromFrame(frame));
        if (frame.code === 'TOKEN_EXPIRED') this.connection.restart({ forceRefresh: true });
        return;
      default:
        // A late ACK (its request already timed out) still carries a committed change; a batch's came before it.
        if (!this.requests.settle(frame) && frame.type === 'ACK' && 'change' in frame && frame.change) this.syncer.ingest([frame.change]);
    }
  }

  private ping(): void {
    this.requests.read({ type: 'PING', requestId: uuid() }).then(
      (reply) => {
        if (reply.type === 'PONG') this.syncer.heard(reply);
      },
      (error: unknown) => {
        // No PONG in time: the socket is silently dead (a half-open TCP connection); replace it.
        if (isStaffSyncClientError(error) && error.code === 'TIMEOUT') this.connection.restart({ forceRefresh: false });
      },
    );
  }

  /**
   * Resolves once the local copy holds every change up to `seq` (a batch's changes arrive just
   * before its ACK; if any was lost, a sync fetches it), or after the request timeout at most.
   * Following departments, the org seq cannot tell which of them reach this copy: a delta does.
   */
  private caughtUp(seq: number): Promise<void> {
    const following = this.local.departments !== null;
    const isDone = () => this.closed || (following ? this.syncer.synced : this.local.lastSeq >= seq);
    if (!following && isDone()) return Promise.resolve();
    if (following) this.syncer.start().catch(() => undefined);
    else this.syncer.heard({ seq });
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        off();
        resolve();
      };
      const timer = setTimeout(finish, this.options.requestTimeoutMs);
      const off = this.events.on('state', () => {
        if (isDone()) finish();
      });
    });
  }

  private whenOpen(): Promise<void> {
    if (this.closed) return Promise.reject(closedError());
    if (this.connection.isOpen) return Promise.resolve();
    return new Promise((resolve, reject) => this.openWaiters.push({ resolve, reject }));
  }

  private stateChanged(): void {
    if (this.syncer?.synced) this.settleReady?.resolve();
    this.persister?.soon();
    if (this.statePending) return;
    this.statePending = true;
    queueMicrotask(() => {
      this.statePending = false;
      if (!this.closed) this.events.emit('state', this.state);
    });
  }
}

/**
 * Connects to a staff-sync WebSocket endpoint and keeps a local copy of the org's staff current.
 * `token` is a Supabase access token, or a callback asked for one before every (re)connect.
 *
 * @example
 * import WebSocket from 'ws'; // Node; browsers use their own
 * const client = connect('wss://…/prod', ({ forceRefresh }) => auth.accessToken({ forceRefresh }), { WebSocket });
 * client.on('state', ({ staff, lastSeq }) => render([...staff.values()], lastSeq));
 * await client.ready();
 */
export function connect(url: string, token: TokenSource, options: ConnectOptions = {}): StaffSyncClient {
  return new StaffSyncClient(url, token, options);
}
