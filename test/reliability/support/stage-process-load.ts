/**
 * A write load over raw protocol sockets that can be cut at any moment (the stage killed under
 * it): each lane creates a record and updates it twice, again and again, with a few writes in
 * flight per socket. It remembers every ACKed change and every write still unanswered when the
 * socket died (its outcome unknown), with the exact frame, so it can be sent again as it was.
 */
import { randomUUID } from 'node:crypto';
import type { Change } from '../../../shared/protocol/staff';
import { TestClient, type Frame } from '../../e2e/support/client';

export interface WriteFrame {
  readonly type: 'STAFF_CREATE' | 'STAFF_UPDATE';
  readonly requestId: string;
  readonly payload: Record<string, unknown>;
}

export interface SentWrite {
  readonly sub: string;
  readonly frame: WriteFrame;
}

export class WriteLoad {
  /** requestId → the change its ACK carried. */
  readonly acked = new Map<string, Change>();
  /** requestId → the write whose reply never came. */
  readonly unknown = new Map<string, SentWrite>();
  readonly refused: Frame[] = [];
  private stopped = false;
  private ended = 0;
  private lanes: Promise<void>[] = [];
  private waiters: Array<() => void> = [];

  constructor(
    private readonly clients: ReadonlyArray<{ readonly sub: string; readonly client: TestClient }>,
    private readonly lanesPerClient = 3,
  ) {}

  start(): void {
    for (const { sub, client } of this.clients) {
      for (let lane = 0; lane < this.lanesPerClient; lane++) {
        this.lanes.push(
          this.lane(sub, client).finally(() => {
            this.ended += 1;
            this.wake();
          }),
        );
      }
    }
  }

  /** Resolves once `count` writes have been ACKed in all. */
  async whenAcked(count: number): Promise<void> {
    while (this.acked.size < count) {
      if (this.stopped || this.ended === this.lanes.length) {
        throw new Error(`the load stopped after ${this.acked.size} ACKs (refused: ${JSON.stringify(this.refused.slice(0, 3))})`);
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Stops sending; resolves when every lane has ended (its socket closed or its write answered). */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.lanes);
  }

  private async lane(sub: string, client: TestClient): Promise<void> {
    while (!this.stopped) {
      const id = randomUUID();
      const created = await this.send(sub, client, { type: 'STAFF_CREATE', requestId: randomUUID(), payload: { staff: { id, name: `Load ${id.slice(0, 8)}`, position: 'Nurse' } } });
      let version = created?.version;
      for (let step = 1; step <= 2 && version !== undefined && !this.stopped; step++) {
        const updated = await this.send(sub, client, {
          type: 'STAFF_UPDATE',
          requestId: randomUUID(),
          payload: { staffId: id, baseVersion: version, changes: { position: `Step ${step}` } },
        });
        version = updated?.version;
      }
      if (version === undefined) return;
    }
  }

  /** The ACKed change; undefined when the socket died first (outcome unknown) or the write was refused. */
  private async send(sub: string, client: TestClient, frame: WriteFrame): Promise<Change | undefined> {
    this.unknown.set(frame.requestId, { sub, frame });
    let reply: Frame;
    try {
      reply = await client.request(frame, 30_000);
    } catch {
      return undefined;
    }
    this.unknown.delete(frame.requestId);
    if (reply.type !== 'ACK' || !reply.change) {
      this.refused.push(reply);
      return undefined;
    }
    const change = reply.change as Change;
    this.acked.set(frame.requestId, change);
    this.wake();
    return change;
  }

  private wake(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }
}
