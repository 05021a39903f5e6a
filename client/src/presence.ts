/**
 * Presence (docs/protocol.md §7.7): who else is connected to the org and which record each says
 * it edits, kept current from PRESENCE events once `watch()` has asked for them. Events are
 * best effort (they can be lost like any broadcast): every reconnect asks for a new snapshot.
 */
import type { PresenceFrame } from '../../shared/protocol/server-frames';
import { EDITING_RENEW_MS, EDITING_TTL_MS } from '../../shared/protocol/editing';
import type { PresenceMember } from './protocol';
import type { ReplyFrame } from './requests';
import { StaffSyncClientError } from './errors';
import { uuid } from './uuid';

type PresenceEvent = Exclude<PresenceFrame, { event: 'snapshot' }>;
type PresenceRequest = { type: 'PRESENCE_REQUEST'; requestId: string } | { type: 'PRESENCE_EDITING'; requestId: string; payload: { staffId: string | null } };

export interface PresenceDependencies {
  /** Sends a request once the socket is open and resolves with its reply. */
  request(frame: PresenceRequest): Promise<ReplyFrame>;
  /** The member list changed. */
  changed(): void;
  /** A renewal or a snapshot after a reconnect failed (no caller to reject). */
  failed(error: StaffSyncClientError): void;
}

const expect = <E extends PresenceFrame['event']>(reply: ReplyFrame, event: E): PresenceFrame & { event: E } => {
  if (reply.type === 'PRESENCE' && reply.event === event) return reply as PresenceFrame & { event: E };
  throw new StaffSyncClientError('BAD_FRAME', `expected a PRESENCE ${event}, got ${reply.type}`);
};

/** `client.presence`: who is connected to the org and which record each edits. */
export interface StaffSyncPresence {
  /** Every member by `memberId`, this client included (empty until `watch()`). */
  readonly members: ReadonlyMap<string, PresenceMember>;
  /** This connection's `memberId` (known once a snapshot arrived; a reconnect changes it). */
  readonly self: string | undefined;
  /** The members, oldest connection first. */
  list(): PresenceMember[];
  /**
   * Asks who is connected and keeps `members` current from then on (`on('presence')` tells each
   * change). Resolves with the members, oldest first.
   *
   * @example
   * client.on('presence', (members) => renderOnline(members));
   * await client.presence.watch();
   */
  watch(): Promise<PresenceMember[]>;
  /**
   * Says which record this client edits (`null`: none), shown to every member watching; said
   * again every minute while it lasts, since a marker lapses two minutes after it was set, and
   * again after a reconnect. Viewers may not (`FORBIDDEN`).
   *
   * @example
   * form.onfocus = () => client.presence.editing(staff.id);
   * form.onblur = () => client.presence.editing(null);
   */
  editing(staffId: string | null): Promise<void>;
}

export class Presence implements StaffSyncPresence {
  private readonly byId = new Map<string, PresenceMember>();
  private readonly lapses = new Map<string, ReturnType<typeof setTimeout>>();
  private watching = false;
  /** Events that came while a snapshot was on its way, applied again over it (it may be older). */
  private sinceRequest: PresenceEvent[] | undefined;
  private editingId: string | null = null;
  private renewal: ReturnType<typeof setInterval> | undefined;
  private selfId: string | undefined;

  constructor(private readonly deps: PresenceDependencies) {}

  get members(): ReadonlyMap<string, PresenceMember> {
    return this.byId;
  }

  get self(): string | undefined {
    return this.selfId;
  }

  list(): PresenceMember[] {
    return [...this.byId.values()].sort((a, b) => a.connectedAt.localeCompare(b.connectedAt) || a.memberId.localeCompare(b.memberId));
  }

  async watch(): Promise<PresenceMember[]> {
    this.watching = true;
    const events: PresenceEvent[] = [];
    this.sinceRequest = events;
    try {
      const snapshot = expect(await this.deps.request({ type: 'PRESENCE_REQUEST', requestId: uuid() }), 'snapshot');
      this.selfId = snapshot.self;
      this.clear();
      for (const member of snapshot.members) this.put(member);
      for (const event of events) this.apply(event);
      this.deps.changed();
      return this.list();
    } finally {
      if (this.sinceRequest === events) this.sinceRequest = undefined;
    }
  }

  async editing(staffId: string | null): Promise<void> {
    this.editingId = staffId;
    clearInterval(this.renewal);
    this.renewal = staffId === null ? undefined : setInterval(() => this.sayEditing().catch((error: unknown) => this.report(error)), EDITING_RENEW_MS);
    try {
      await this.sayEditing();
    } catch (error) {
      // A refused marker (a viewer: FORBIDDEN, a malformed id) is not renewed or sent again on reconnect.
      if (error instanceof StaffSyncClientError && error.code !== 'TIMEOUT' && error.code !== 'DISCONNECTED' && this.editingId === staffId) {
        clearInterval(this.renewal);
        this.renewal = undefined;
        this.editingId = null;
      }
      throw error;
    }
  }

  /** A PRESENCE frame that answers no request of this client. */
  received(frame: PresenceFrame): void {
    if (frame.event === 'snapshot') return;
    this.sinceRequest?.push(frame);
    this.apply(frame);
    this.deps.changed();
  }

  /** A new connection: it is watching nothing and edits nothing until told again. */
  reopened(): void {
    // A watch still waiting for the socket is sent on this one anyway.
    if (this.watching && this.sinceRequest === undefined) this.watch().catch((error: unknown) => this.report(error));
    if (this.editingId !== null) this.sayEditing().catch((error: unknown) => this.report(error));
  }

  stop(): void {
    clearInterval(this.renewal);
    this.clear();
  }

  private async sayEditing(): Promise<void> {
    const reply = expect(await this.deps.request({ type: 'PRESENCE_EDITING', requestId: uuid(), payload: { staffId: this.editingId } }), 'update');
    if (this.watching) {
      this.put(reply.member);
      this.deps.changed();
    }
  }

  private apply(frame: PresenceEvent): void {
    if (frame.event === 'leave') this.remove(frame.memberId);
    else this.put(frame.member);
  }

  private put(member: PresenceMember): void {
    clearTimeout(this.lapses.get(member.memberId));
    this.lapses.delete(member.memberId);
    this.byId.set(member.memberId, member);
    if (!member.editing) return;
    // Timed from arrival, not from `at`: the server's clock and this one may differ.
    const lapse = setTimeout(() => {
      this.lapses.delete(member.memberId);
      const current = this.byId.get(member.memberId);
      if (current?.editing !== member.editing) return;
      this.byId.set(member.memberId, { ...current, editing: null });
      this.deps.changed();
    }, EDITING_TTL_MS);
    (lapse as { unref?: () => void }).unref?.();
    this.lapses.set(member.memberId, lapse);
  }

  private remove(memberId: string): void {
    clearTimeout(this.lapses.get(memberId));
    this.lapses.delete(memberId);
    this.byId.delete(memberId);
  }

  private clear(): void {
    for (const timer of this.lapses.values()) clearTimeout(timer);
    this.lapses.clear();
    this.byId.clear();
  }

  private report(error: unknown): void {
    if (error instanceof StaffSyncClientError && error.code !== 'CLOSED' && error.code !== 'DISCONNECTED') this.deps.failed(error);
  }
}
