/**
 * The write path: default `baseVersion` from the local record, one write per record at a time
 * (each based on the last one's result, as docs/protocol.md §7.5 asks), the ACK's change shown
 * at once, and what a refusal teaches (`current`) kept.
 */
import type { AckFrame, BatchAckFrame } from '../../shared/protocol/server-frames';
import type { BatchOperation, BatchResult, Change, StaffChanges, StaffInput, WriteFrame } from './protocol';
import { StaffSyncClientError, isStaffSyncClientError } from './errors';
import { MAX_OUTGOING_FRAME_BYTES, checkOutgoing } from './frames';
import { utf8ByteLength } from '../../shared/protocol/text';
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
  /** Resolves once the local copy holds every change up to `seq`. */
  caughtUp(seq: number): Promise<void>;
  /** Throws `CLOSED` once the client is closed. */
  assertOpen(requestId: string): void;
  /** Settles once a persisted state is loaded: default base versions come from it. */
  readonly restored: Promise<void>;
}

/** One operation of `client.batch()`: `baseVersion` defaults as for a single write. */
export type BatchRequest =
  | { op: 'create'; staff: StaffInput }
  | { op: 'update'; staffId: string; changes: StaffChanges; baseVersion?: number }
  | { op: 'delete'; staffId: string; baseVersion?: number };

/** Most operations the server takes in one batch. */
export const MAX_BATCH_OPERATIONS = 500;

/** The ids of the records a write touches (a create's id is assigned before it is sent). */
function idsOf(frame: WriteFrame): string[] {
  switch (frame.type) {
    case 'STAFF_CREATE':
      return [frame.payload.staff.id ?? frame.requestId];
    case 'STAFF_BATCH':
      return frame.payload.operations.map((operation) => (operation.op === 'create' ? (operation.staff.id ?? frame.requestId) : operation.staffId));
    default:
      return [frame.payload.staffId];
  }
}

/**
 * Consecutive operations grouped into batches the gateway accepts (≤ 500 operations and a frame
 * of ≤ 32 KB each), for an import larger than one batch. Each batch is its own transaction.
 *
 * @example
 * for (const batch of splitBatch(rows.map((staff) => ({ op: 'create', staff })))) await client.batch(batch);
 */
export function splitBatch<T extends BatchRequest | BatchOperation>(operations: readonly T[], maxBytes = MAX_OUTGOING_FRAME_BYTES): T[][] {
  // The frame around the operations: type, a UUID requestId, payload and brackets.
  const envelope = utf8ByteLength(JSON.stringify({ type: 'STAFF_BATCH', requestId: '00000000-0000-4000-8000-000000000000', payload: { operations: [] } }));
  const batches: T[][] = [];
  let bytes = envelope;
  for (const operation of operations) {
    // A create gets a 36-character id added when it has none.
    const size = utf8ByteLength(JSON.stringify(operation)) + 1 + (operation.op === 'create' && operation.staff.id === undefined ? 44 : 0);
    const last = batches[batches.length - 1];
    if (!last || last.length >= MAX_BATCH_OPERATIONS || bytes + size > maxBytes) {
      batches.push([operation]);
      bytes = envelope + size;
    } else {
      last.push(operation);
      bytes += size;
    }
  }
  return batches;
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

  /**
   * Every operation in one transaction: resolves with each one's change (null for an update that
   * changed nothing) in order, or rejects with the first failing operation's error and nothing
   * written. A default `baseVersion` is the local version, counted on by the batch's own earlier
   * operations on the same record.
   */
  batch(requests: readonly BatchRequest[]): Promise<BatchResult[]> {
    const withIds = requests.map((request) => (request.op === 'create' ? { ...request, staff: { ...request.staff, id: request.staff.id ?? uuid() } } : request));
    const ids = withIds.map((request) => (request.op === 'create' ? request.staff.id : request.staffId));
    return this.serialAll(ids, async () => {
      const planned = new Map<string, number>();
      const operations = withIds.map((request): BatchOperation => {
        if (request.op === 'create') {
          planned.set(request.staff.id, 1);
          return request;
        }
        const baseVersion = request.baseVersion ?? planned.get(request.staffId) ?? this.baseVersionOf(request.staffId, undefined);
        planned.set(request.staffId, baseVersion + 1);
        const { staffId } = request;
        return request.op === 'update' ? { op: 'update', staffId, baseVersion, changes: request.changes } : { op: 'delete', staffId, baseVersion };
      });
      const ack = await this.transmit({ type: 'STAFF_BATCH', requestId: uuid(), payload: { operations } });
      if (!('results' in ack)) throw new StaffSyncClientError('BAD_FRAME', 'the server answered a STAFF_BATCH with a single-write ACK');
      const last = Math.max(0, ...ack.results.map((result) => result.seq ?? 0));
      await this.deps.caughtUp(last);
      return ack.results;
    });
  }

  /** Sends again a write persisted before a reload, in its turn for its records. */
  resume(frame: WriteFrame): Promise<Change | null> {
    this.resuming.set(frame.requestId, frame);
    return this.serialAll(idsOf(frame), () => this.send(frame));
  }

  /** Restored writes not yet handed to the socket. */
  waiting(): WriteFrame[] {
    return [...this.resuming.values()];
  }

  private async send(frame: WriteFrame): Promise<Change | null> {
    const ack = await this.transmit(frame);
    return 'results' in ack ? null : ack.change;
  }

  /** Sends a write and applies what its ACK (or refusal) teaches the local copy. */
  private async transmit(frame: WriteFrame): Promise<AckFrame | BatchAckFrame> {
    this.resuming.delete(frame.requestId);
    this.deps.assertOpen(frame.requestId);
    const tooLarge = checkOutgoing(frame);
    if (tooLarge) throw tooLarge;
    const { state, syncer } = this.deps;
    let ack: AckFrame | BatchAckFrame;
    try {
      ack = await this.deps.requests.write(frame);
    } catch (error) {
      if (isStaffSyncClientError(error) && error.current && state.applyCurrent(error.current)) this.deps.changed();
      // The local copy may hold a record deleted meanwhile: catch up.
      if (isStaffSyncClientError(error) && error.code === 'NOT_FOUND') void syncer.start();
      throw error;
    }
    // A batch's changes came as STAFF_BATCH frames just before its ACK.
    if ('results' in ack) return ack;
    if (ack.change) {
      // Committed: show it now; its seq still takes its turn for the `change` event.
      if (state.applyEarly(ack.change)) this.deps.changed();
      syncer.ingest([ack.change]);
    } else if (ack.current && state.applyCurrent(ack.current)) {
      this.deps.changed();
    }
    return ack;
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
    return this.serialAll([id], task);
  }

  /** As `serial`, for a write touching several records: it waits for, and holds up, each of them. */
  private serialAll<T>(ids: readonly string[], task: () => Promise<T>): Promise<T> {
    const unique = [...new Set(ids)];
    const before = unique.map((id) => this.chains.get(id) ?? this.deps.restored);
    const run = Promise.all(before).then(task);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    for (const id of unique) this.chains.set(id, tail);
    void tail.then(() => {
      for (const id of unique) if (this.chains.get(id) === tail) this.chains.delete(id);
    });
    return run;
  }
}

function required(change: Change | null): Change {
  if (!change) throw new StaffSyncClientError('BAD_FRAME', 'the server acknowledged a create or delete without a change');
  return change;
}
