/**
 * Optional persistence: the local replica (records, tombstones, its positions) and the writes not yet
 * answered, kept in a storage the app chooses, so that a reloaded page shows its data at once,
 * catches up with a delta instead of a snapshot, and sends a write made offline when it is back
 * (with its original requestId, so it commits once even if an earlier attempt already did).
 */
import type { Staff, WriteFrame } from './protocol';

/** What a client saves. `format` changes when the shape does; an unknown one is ignored on load. */
export interface PersistedState {
  readonly format: typeof PERSISTED_FORMAT;
  readonly lastSeq: number;
  /** The departments the replica follows (absent in states saved before subscriptions: the whole org). */
  readonly departments?: readonly string[] | null;
  /** Where the replica stands in each of them. */
  readonly deptSeqs?: Readonly<Record<string, number>>;
  readonly staff: readonly Staff[];
  /** Deleted ids and the version of their delete. */
  readonly tombstones: ReadonlyArray<readonly [id: string, version: number]>;
  /** Writes sent or queued but not answered, in the order they were made. */
  readonly pending: readonly WriteFrame[];
}

/**
 * Where a client keeps its state. One storage holds ONE org and user: the replica is an org's and
 * the writes' idempotency keys are a user's, so give each (org, user) its own key.
 */
export interface ClientStorage {
  load(): Promise<PersistedState | undefined> | PersistedState | undefined;
  save(state: PersistedState): Promise<void> | void;
  /** Forgets the saved state (e.g. at sign-out). */
  clear(): Promise<void> | void;
}

export const PERSISTED_FORMAT = 1;

const isDepartments = (value: unknown): boolean => value === undefined || value === null || (Array.isArray(value) && value.every((name) => typeof name === 'string'));
const isPositions = (value: unknown): boolean =>
  value === undefined || (typeof value === 'object' && value !== null && Object.values(value).every((seq) => Number.isSafeInteger(seq)));

export const isPersistedState = (value: unknown): value is PersistedState =>
  typeof value === 'object' &&
  value !== null &&
  (value as PersistedState).format === PERSISTED_FORMAT &&
  Number.isSafeInteger((value as PersistedState).lastSeq) &&
  isDepartments((value as PersistedState).departments) &&
  isPositions((value as PersistedState).deptSeqs) &&
  Array.isArray((value as PersistedState).staff) &&
  Array.isArray((value as PersistedState).tombstones) &&
  Array.isArray((value as PersistedState).pending);

/** Keeps the state in memory only (tests, or a second client handed one storage on purpose). */
export function memoryStorage(): ClientStorage & { readonly saved: PersistedState | undefined } {
  let saved: PersistedState | undefined;
  return {
    get saved() {
      return saved;
    },
    load: () => (saved === undefined ? undefined : structuredClone(saved)),
    save: (state) => {
      saved = structuredClone(state);
    },
    clear: () => {
      saved = undefined;
    },
  };
}

export interface IndexedDbStorageOptions {
  /** The IndexedDB database name. @default 'staff-sync' */
  readonly database?: string;
  /** The factory to use. @default globalThis.indexedDB */
  readonly indexedDB?: IDBFactory;
}

const STORE = 'clients';

/**
 * Keeps the state in the browser's IndexedDB under `key` (one key per org and user, e.g.
 * `${orgId}:${userId}`). Every save is one transaction that replaces the whole record.
 */
export function indexedDbStorage(key: string, options: IndexedDbStorageOptions = {}): ClientStorage {
  const factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!factory) throw new TypeError('no IndexedDB here: indexedDbStorage() needs a browser (or pass options.indexedDB)');
  const name = options.database ?? 'staff-sync';
  let opened: Promise<IDBDatabase> | undefined;
  const database = () =>
    (opened ??= new Promise((resolve, reject) => {
      const request = factory.open(name, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error ?? new Error(`could not open IndexedDB ${name}`));
    }));
  const run = async <T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> => {
    const transaction = (await database()).transaction(STORE, mode);
    const request = work(transaction.objectStore(STORE));
    return new Promise((resolve, reject) => {
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = () => reject(transaction.error ?? new Error('IndexedDB transaction failed'));
      transaction.onabort = () => reject(transaction.error ?? new Error('IndexedDB transaction aborted'));
    });
  };
  return {
    load: async () => {
      const value: unknown = await run('readonly', (store) => store.get(key));
      return isPersistedState(value) ? value : undefined;
    },
    save: async (state) => {
      await run('readwrite', (store) => store.put(state, key));
    },
    clear: async () => {
      await run('readwrite', (store) => store.delete(key));
    },
  };
}

/**
 * Saves a client's state: soon after the replica changes (coalesced over `delayMs`), at once when
 * the unanswered writes change. Saves run one after another, each with the state as it is then.
 */
export class Persister {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private queued = false;
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly storage: ClientStorage,
    private readonly delayMs: number,
    private readonly collect: () => PersistedState,
    private readonly failed: (error: unknown) => void,
  ) {}

  /** The replica changed: save within `delayMs`. */
  soon(): void {
    if (this.stopped) return;
    this.timer ??= setTimeout(() => this.now(), this.delayMs);
  }

  /** Unanswered writes changed: save in this turn (coalesced with others of the same turn). */
  now(): void {
    if (this.queued || this.stopped) return;
    this.queued = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.chain = this.chain.then(() => {
      this.queued = false;
      return this.save(this.collect());
    });
  }

  /** Saves `state` as the last one and saves nothing after it (the client is closing). */
  last(state: PersistedState): Promise<void> {
    this.stop();
    this.chain = this.chain.then(() => this.save(state));
    return this.chain;
  }

  /** Saves nothing more. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async save(state: PersistedState): Promise<void> {
    try {
      await this.storage.save(state);
    } catch (error) {
      this.failed(error);
    }
  }

  /** Resolves once every save asked for so far has finished. */
  flush(): Promise<void> {
    if (this.timer) this.now();
    return this.chain;
  }
}
