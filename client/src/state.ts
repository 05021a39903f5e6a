/**
 * The local copy of an org's staff list and the `seq` bookkeeping of docs/protocol.md §7.1 and §7.5:
 * changes are taken in `seq` order exactly once (older ones dropped, out-of-order ones buffered
 * until the gap closes), and a record is only ever replaced by a higher version. Pure: no
 * sockets, no timers; the client decides when to ask the server for what is missing.
 */
import type { Change, Staff } from './protocol';

export class LocalState {
  private readonly records = new Map<string, Staff>();
  /** Deleted ids and the version of their delete: ids are never reused, so an older change never resurrects one. */
  private readonly tombstones = new Map<string, number>();
  /** Changes that arrived ahead of `lastSeq + 1`, by seq. */
  private readonly buffered = new Map<number, Change>();
  private seq = 0;
  private snapshot: Map<string, Staff> | undefined;

  /** The last seq taken in order: every change up to it is reflected in `staff`. */
  get lastSeq(): number {
    return this.seq;
  }

  get staff(): ReadonlyMap<string, Staff> {
    return this.records;
  }

  /** True while changes wait in the buffer for a missing seq. */
  get hasGap(): boolean {
    return this.buffered.size > 0;
  }

  /** True between the first and the last page of a snapshot. */
  get inSnapshot(): boolean {
    return this.snapshot !== undefined;
  }

  /** The highest seq known to exist: the last taken, or the newest buffered. */
  get highestSeen(): number {
    return Math.max(this.seq, ...this.buffered.keys());
  }

  /** What persistence keeps: the records and tombstones as of `lastSeq` (buffered changes are fetched again). */
  export(): { lastSeq: number; staff: Staff[]; tombstones: Array<[string, number]> } {
    return { lastSeq: this.seq, staff: [...this.records.values()], tombstones: [...this.tombstones] };
  }

  /** Starts from a persisted state instead of empty (before any change is received). */
  restore(saved: { readonly lastSeq: number; readonly staff: readonly Staff[]; readonly tombstones: ReadonlyArray<readonly [string, number]> }): void {
    this.records.clear();
    this.tombstones.clear();
    this.buffered.clear();
    for (const record of saved.staff) this.records.set(record.id, record);
    for (const [id, version] of saved.tombstones) this.tombstones.set(id, version);
    this.seq = saved.lastSeq;
  }

  version(id: string): number | undefined {
    return this.records.get(id)?.version;
  }

  /**
   * Takes changes from a broadcast, an ACK or a delta page. Returns those that became part of the
   * state now, in seq order (each seq is returned once over the life of the state).
   */
  receive(changes: readonly Change[]): Change[] {
    for (const change of changes) {
      if (change.seq > this.seq && !this.buffered.has(change.seq)) this.buffered.set(change.seq, change);
    }
    return this.snapshot ? [] : this.drain();
  }

  /** Applies a record known to be committed (an ACK's change, a conflict's `current`) before its seq turn. */
  applyEarly(change: Pick<Change, 'op' | 'staffId' | 'version' | 'staff'>): boolean {
    return this.apply(change);
  }

  /** Applies a record the server reported as current (no-op ACK, `VERSION_CONFLICT`), when newer. */
  applyCurrent(record: Staff): boolean {
    return this.apply({ op: 'update', staffId: record.id, version: record.version, staff: record });
  }

  beginSnapshot(): void {
    this.snapshot = new Map();
  }

  addSnapshotPage(staff: readonly Staff[]): void {
    if (!this.snapshot) throw new Error('addSnapshotPage() before beginSnapshot()');
    for (const record of staff) this.snapshot.set(record.id, record);
  }

  abortSnapshot(): void {
    this.snapshot = undefined;
  }

  /**
   * Replaces the records with the snapshot taken at `seq`, keeping any local record of a higher
   * version and never reviving a deleted id. The caller then asks for the delta since `seq`.
   * Returns the buffered changes that follow on in order.
   */
  finishSnapshot(seq: number): Change[] {
    const next = this.snapshot;
    if (!next) throw new Error('finishSnapshot() before beginSnapshot()');
    this.snapshot = undefined;
    for (const [id, record] of next) {
      const deletedAt = this.tombstones.get(id);
      const local = this.records.get(id);
      if (deletedAt !== undefined && deletedAt >= record.version) next.delete(id);
      else if (local && local.version > record.version) next.set(id, local);
    }
    this.records.clear();
    for (const [id, record] of next) this.records.set(id, record);
    this.seq = seq;
    for (const pending of this.buffered.keys()) if (pending <= seq) this.buffered.delete(pending);
    return this.drain();
  }

  private drain(): Change[] {
    const taken: Change[] = [];
    for (let next = this.buffered.get(this.seq + 1); next; next = this.buffered.get(this.seq + 1)) {
      this.buffered.delete(next.seq);
      this.seq = next.seq;
      this.apply(next);
      taken.push(next);
    }
    return taken;
  }

  /** Version-guarded: a record only moves forward, and a deleted id stays deleted. */
  private apply(change: Pick<Change, 'op' | 'staffId' | 'version' | 'staff'>): boolean {
    const { staffId, version } = change;
    const deletedAt = this.tombstones.get(staffId);
    if (deletedAt !== undefined && deletedAt >= version) return false;
    const local = this.records.get(staffId);
    if (local && local.version >= version) return false;
    if (change.op === 'delete') {
      this.tombstones.set(staffId, version);
      return this.records.delete(staffId);
    }
    this.records.set(staffId, change.staff);
    return true;
  }
}
