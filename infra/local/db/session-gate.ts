/**
 * PGlite has ONE Postgres session. The gate decides who may use it: in-process work (RPC calls,
 * the webhook relay, tests) takes it for one whole transaction; the Postgres socket takes it for
 * one protocol message and KEEPS it while its client is inside a transaction (or between the
 * messages of one extended-protocol cycle). Waiters are served first come, first served; in-process
 * waiters give up after a bounded wait, socket messages wait as long as it takes.
 */
import { ConnectionWaitTimeoutError } from './executor';

export type GateHolder = 'socket' | 'internal';

interface Waiter {
  readonly holder: GateHolder;
  readonly grant: () => void;
}

export class SessionGate {
  #holder: GateHolder | null = null;
  #socketPinned = false;
  #socketActive = 0;
  readonly #waiters: Waiter[] = [];

  /** Who holds the session now. */
  get holder(): GateHolder | null {
    return this.#holder;
  }

  /** True while a socket client keeps the session (open transaction or unfinished extended-protocol cycle). */
  get socketPinned(): boolean {
    return this.#socketPinned;
  }

  /** For in-process work: resolves when the session is ours, rejects with `ConnectionWaitTimeoutError` after `waitMs`. */
  acquireInternal(waitMs: number): Promise<void> {
    if (this.#holder === null && this.#waiters.length === 0) {
      this.#holder = 'internal';
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        holder: 'internal',
        grant: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
        reject(new ConnectionWaitTimeoutError(waitMs));
      }, waitMs);
      this.#waiters.push(waiter);
    });
  }

  releaseInternal(): void {
    if (this.#holder !== 'internal') throw new Error('session gate: internal release without holding');
    this.#holder = null;
    this.#grantNext();
  }

  /** For one socket message. Immediate while the socket keeps the session pinned. */
  acquireSocket(): Promise<void> {
    if (this.#holder === 'socket' || (this.#holder === null && this.#waiters.length === 0)) {
      this.#holder = 'socket';
      this.#socketActive += 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) =>
      this.#waiters.push({
        holder: 'socket',
        grant: () => {
          this.#socketActive += 1;
          resolve();
        },
      }),
    );
  }

  /** After one socket message: keep the session while `pinned`, else hand it to the next waiter. */
  releaseSocket(pinned: boolean): void {
    if (this.#holder !== 'socket' || this.#socketActive === 0) throw new Error('session gate: socket release without holding');
    this.#socketActive -= 1;
    this.#socketPinned = pinned;
    if (pinned || this.#socketActive > 0) return;
    this.#holder = null;
    this.#grantNext();
  }

  #grantNext(): void {
    const next = this.#waiters.shift();
    if (!next) return;
    this.#holder = next.holder;
    next.grant();
  }
}
