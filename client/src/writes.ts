/**
 * The write path: default `baseVersion` from the local record, one write per record at a time
 * (each based on the last one's result, as docs/protocol.md §7.5 asks), the ACK's change shown
 * at once, and what a refusal teaches (`current`) kept.
 */
import type { AckFrame } from '../../shared/protocol/server-frames';
import type { Change, StaffChanges, StaffInput, WriteFrame } from './protocol';
import { StaffSyncClientError, isStaffSyncClientError } from './errors';
import { checkOutgoing } from './frames';
import type { Requests } from './requests';
import type { LocalState } from './state';
import type { Synchronizer } from './sync';
import { uuid } from './uuid';

export interface WritesDeps {
  readonly requests: Requests;
  readonly state: LocalState;
  readonly syncer: Synchronizer;
  /** The local records changed outside the seq order (an ACK ahead of its turn, a `current`). */
  changed(): void;
  /** Throws `CLOSED` once the client is closed. */
  assertOpen(requestId: string): void;
  /** Settles once a persisted state is loaded: default base versions come from it. */
  readonly restored: Promise<void>;
}

export class Writes {
  private readonly chains = new Map<string, Promise<void>>();
  /** Restored writes waiting for their turn, by requestId: persisted until they are sent. */
  private readonly resuming = new Map<string, WriteFrame>();

  constructor(private readonly deps: WritesDeps) {}

  create(input: StaffInput): Promise<Change> {
    const id = input.id ?? uuid();
    return this.serial(id, async () => required(await this.send({ type: 'STAFF_CREATE', requestId: uuid(), payload: { staff: { ...input, id } } })));
  }

  update(id: string, changes: StaffChanges, baseVersion?: number): Promise<Change | null> {
    return this.serial(id, () => this.send({ type: 'STAFF_UPDATE', requestId: uuid(), payload: { staffId: id, baseVersion: this.baseVersionOf(id, baseVersion), changes } }));
  }

  remove(id: string, baseVersion?: number): Promise<Change> {
    return this.serial(id, async () => required(await this.send({ type: 'STAFF_DELETE', requestId: uuid(), payload: { staffId: id, baseVersion: this.baseVersionOf(id, baseVersion) } })));
  }

  /** Sends again a write persisted before a reload, in its turn for its record. */
  resume(frame: WriteFrame): Promise<Change | null> {
    const id = frame.type === 'STAFF_CREATE' ? (frame.payload.staff.id ?? frame.requestId) : frame.payload.staffId;
    this.resuming.set(frame.requestId, frame);
    return this.serial(id, () => this.send(frame));
  }

  /** Restored writes not yet handed to the socket. */
  waiting(): WriteFrame[] {
    return [...this.resuming.values()];
  }

  private async send(frame: WriteFrame): Promise<Change | null> {
    this.resuming.delete(frame.requestId);
    this.deps.assertOpen(frame.requestId);
    const tooLarge = checkOutgoing(frame);
    if (tooLarge) throw tooLarge;
    const { state, syncer } = this.deps;
    let ack: AckFrame;
    try {
      ack = await this.deps.requests.write(frame);
    } catch (error) {
      if (isStaffSyncClientError(error) && error.current && state.applyCurrent(error.current)) this.deps.changed();
      // The local copy may hold a record deleted meanwhile: catch up.
      if (isStaffSyncClientError(error) && error.code === 'NOT_FOUND') void syncer.start();
      throw error;
    }
    if (ack.change) {
      // Committed: show it now; its seq still takes its turn for the `change` event.
      if (state.applyEarly(ack.change)) this.deps.changed();
      syncer.ingest([ack.change]);
    } else if (ack.current && state.applyCurrent(ack.current)) {
      this.deps.changed();
    }
    return ack.change;
  }

  private baseVersionOf(id: string, given: number | undefined): number {
    if (given !== undefined) return given;
    const version = this.deps.state.version(id);
    if (version === undefined) {
      throw new StaffSyncClientError('NOT_FOUND', `staff ${id} is not in the local state; pass baseVersion to write it anyway`);
    }
    return version;
  }

  /** Runs writes to one record one after another, so each default `baseVersion` sees the last result. */
  private serial<T>(id: string, task: () => Promise<T>): Promise<T> {
    const run = (this.chains.get(id) ?? this.deps.restored).then(task);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.chains.set(id, tail);
    void tail.then(() => {
      if (this.chains.get(id) === tail) this.chains.delete(id);
    });
    return run;
  }
}

function required(change: Change | null): Change {
  if (!change) throw new StaffSyncClientError('BAD_FRAME', 'the server acknowledged a create or delete without a change');
  return change;
}
