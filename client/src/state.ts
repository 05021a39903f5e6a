/**
 * The local copy of an org's staff list and the seq bookkeeping of docs/protocol.md §7.1, §7.5
 * and §7.9. It follows either the whole org, by the org's `seq`, or some departments, each by its
 * own `deptSeqs` chain: changes are taken in order exactly once (older ones dropped, ones ahead
 * buffered until the gap closes), and a record is only ever replaced by a higher version. Pure: no
 * sockets, no timers; the client decides when to ask the server for what is missing.
 */
import type { Change, Staff } from './protocol';

/** Where a state stands, as a PONG, a SUBSCRIBED or a sync page tells it. */
export interface Position {
  readonly seq: number;
  readonly deptSeqs?: Readonly<Record<string, number>> | undefined;
}

/** How a change relates to the chains followed: the next in each, already taken, beyond a gap, or in none. */
type Verdict = 'next' | 'seen' | 'ahead' | 'outside';

type Applicable = Pick<Change, 'op' | 'staffId' | 'version' | 'staff'>;

export class LocalState {
  private readonly records = new Map<string, Staff>();
  /** Deleted ids and the version of their delete: ids are never reused, so an older change never resurrects one. */
  private readonly tombstones = new Map<string, number>();
  /** Records that moved out of the departments followed, and the version that moved them (until the subscription changes). */
  private readonly departed = new Map<string, number>();
  /** Changes that arrived ahead of their turn, by org seq. */
  private readonly buffered = new Map<number, Change>();
  /** `null`: the whole org. */
  private view: ReadonlySet<string> | null = null;
  private readonly positions = new Map<string, number>();
  private seq = 0;
  private snapshot: Map<string, Staff> | undefined;

  /**
   * The whole org: every change up to this seq is reflected in `staff`. Following departments: the
   * newest change taken (the org seq has gaps there by design).
   */
  get lastSeq(): number {
    return this.seq;
  }

  /** The departments followed, sorted; `null` for the whole org. */
  get departments(): string[] | null {
    return this.view && [...this.view].sort();
  }

  /** Following departments: the last seq taken in each (0: none yet); `{}` for the whole org. */
  get deptSeqs(): Record<string, number> {
    return Object.fromEntries((this.departments ?? []).map((department) => [department, this.positions.get(department) ?? 0]));
  }

  get staff(): ReadonlyMap<string, Staff> {
    return this.records;
  }

  /** True while changes wait in the buffer for a missing one. */
  get hasGap(): boolean {
    return this.buffered.size > 0;
  }

  /** True between the first and the last page of a snapshot. */
  get inSnapshot(): boolean {
    return this.snapshot !== undefined;
  }

  /**
   * Follows other departments (`null`: the whole org) from their start: the records stay until the
   * next snapshot replaces them, every position is 0 again.
   */
  follow(departments: readonly string[] | null): void {
    this.view = departments && new Set(departments);
    this.positions.clear();
    this.departed.clear();
    this.buffered.clear();
    this.snapshot = undefined;
    this.seq = 0;
  }

  /** What persistence keeps: the records and tombstones as of the positions (buffered changes are fetched again). */
  export(): { lastSeq: number; departments: string[] | null; deptSeqs: Record<string, number>; staff: Staff[]; tombstones: Array<[string, number]> } {
    return { lastSeq: this.seq, departments: this.departments, deptSeqs: this.deptSeqs, staff: [...this.records.values()], tombstones: [...this.tombstones] };
  }

  /** Starts from a persisted state instead of empty (before any change is received). */
  restore(saved: {
    readonly lastSeq: number;
    readonly departments?: readonly string[] | null | undefined;
    readonly deptSeqs?: Readonly<Record<string, number>> | undefined;
    readonly staff: readonly Staff[];
    readonly tombstones: ReadonlyArray<readonly [string, number]>;
  }): void {
    this.follow(saved.departments ?? null);
    this.records.clear();
    this.tombstones.clear();
    for (const record of saved.staff) this.records.set(record.id, record);
    for (const [id, version] of saved.tombstones) this.tombstones.set(id, version);
    this.moveTo({ seq: saved.lastSeq, deptSeqs: saved.deptSeqs });
  }

  version(id: string): number | undefined {
    return this.records.get(id)?.version;
  }

  /** A position told by the server is beyond this state's: something was missed. */
  isBehind(heard: Position): boolean {
    if (!this.view) return heard.seq > this.seq;
    const { deptSeqs } = heard;
    return deptSeqs !== undefined && [...this.view].some((department) => (deptSeqs[department] ?? 0) > (this.positions.get(department) ?? 0));
  }

  /**
   * Takes changes from a broadcast, an ACK or a delta page. Returns those that became part of the
   * state now, in seq order (each change is returned once over the life of a subscription). A
   * change in none of the departments followed (a batch's other changes, an own write elsewhere)
   * is ignored.
   */
  receive(changes: readonly Change[]): Change[] {
    let ready = false;
    for (const change of changes) {
      const verdict = this.verdict(change);
      if (verdict === 'seen' || verdict === 'outside') continue;
      this.buffered.set(change.seq, change);
      ready ||= verdict === 'next';
    }
    return this.snapshot || !ready ? [] : this.drain();
  }

  /** Applies a record known to be committed (an ACK's change, a conflict's `current`) before its turn. */
  applyEarly(change: Applicable): boolean {
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
   * Replaces the records with the snapshot taken at `at`, keeping any local record of a higher
   * version and never reviving a deleted (or departed) id. The caller then asks for the delta
   * since `at`. Returns the buffered changes that follow on in order.
   */
  finishSnapshot(at: Position): Change[] {
    const next = this.snapshot;
    if (!next) throw new Error('finishSnapshot() before beginSnapshot()');
    this.snapshot = undefined;
    for (const [id, record] of next) {
      const gone = Math.max(this.tombstones.get(id) ?? 0, this.departed.get(id) ?? 0);
      const local = this.records.get(id);
      if (gone >= record.version) next.delete(id);
      else if (local && local.version > record.version) next.set(id, local);
    }
    this.records.clear();
    for (const [id, record] of next) this.records.set(id, record);
    this.moveTo(at);
    return this.drain();
  }

  private moveTo(at: Position): void {
    this.seq = at.seq;
    this.positions.clear();
    if (!this.view) return;
    for (const department of this.view) this.positions.set(department, at.deptSeqs?.[department] ?? 0);
  }

  private verdict(change: Change): Verdict {
    if (!this.view) return change.seq <= this.seq ? 'seen' : change.seq === this.seq + 1 ? 'next' : 'ahead';
    let followed = false;
    let next = false;
    for (const [department, seq] of Object.entries(change.deptSeqs)) {
      if (!this.view.has(department)) continue;
      followed = true;
      const at = this.positions.get(department) ?? 0;
      if (seq > at + 1) return 'ahead';
      if (seq === at + 1) next = true;
    }
    return !followed ? 'outside' : next ? 'next' : 'seen';
  }

  /** Takes every buffered change whose turn has come, in org seq order, until none has. */
  private drain(): Change[] {
    const taken: Change[] = [];
    for (let progressed = true; progressed && this.buffered.size > 0; ) {
      progressed = false;
      for (const change of [...this.buffered.values()].sort((a, b) => a.seq - b.seq)) {
        const verdict = this.verdict(change);
        // The org's chain is one line: nothing after a gap can be taken.
        if (verdict === 'ahead' && !this.view) break;
        if (verdict === 'ahead') continue;
        this.buffered.delete(change.seq);
        if (verdict !== 'next') continue;
        this.advance(change);
        this.apply(change);
        taken.push(change);
        progressed = true;
      }
    }
    return taken;
  }

  private advance(change: Change): void {
    this.seq = Math.max(this.seq, change.seq);
    if (!this.view) return;
    for (const [department, seq] of Object.entries(change.deptSeqs)) {
      if (this.view.has(department)) this.positions.set(department, Math.max(seq, this.positions.get(department) ?? 0));
    }
  }

  /** A record outside the departments followed (moved out, or never in) is not kept. */
  private inView(record: Staff): boolean {
    return !this.view || (record.department !== null && this.view.has(record.department));
  }

  /** Version-guarded: a record only moves forward, and a deleted id stays deleted. */
  private apply(change: Applicable): boolean {
    const { staffId, version } = change;
    const gone = Math.max(this.tombstones.get(staffId) ?? 0, this.departed.get(staffId) ?? 0);
    if (gone >= version) return false;
    const local = this.records.get(staffId);
    if (local && local.version >= version) return false;
    if (change.op === 'delete') {
      this.tombstones.set(staffId, version);
      return this.records.delete(staffId);
    }
    if (!this.inView(change.staff)) {
      this.departed.set(staffId, version);
      return this.records.delete(staffId);
    }
    this.departed.delete(staffId);
    this.records.set(staffId, change.staff);
    return true;
  }
}
