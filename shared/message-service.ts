/**
 * What one client frame does, independent of API Gateway: parse, check the token's `exp`,
 * authorise by role, call the staff store, and decide the reply, the broadcast and whether
 * the connection must close. The message Lambda only moves bytes in and out.
 */
import { StaffSyncError, isStaffSyncError } from './errors';
import type { Identity } from './auth';
import { authorizeFrame } from './protocol/roles';
import { parseClientFrame, type ClientFrame } from './protocol/frames';
import {
  ackFrame,
  batchAckFrame,
  batchBroadcastFrames,
  broadcastFrame,
  errorFrame,
  pongFrame,
  subscribedFrame,
  syncResponseFrame,
  syncResponseFrames,
  type PresenceFrame,
  type ServerFrame,
} from './protocol/server-frames';
import type { Change } from './protocol/staff';
import type { BatchResult, StaffStore, WriteResult } from './staff-store';
import type { ConnectionStore } from './connection-store';
import { memberIdOf, presenceMember, presenceMemberFrame, presenceMembers, presenceSnapshotFrame } from './presence';

export interface IncomingMessage {
  /** The sender's connection: presence names it (by digest) and stores its marker on its record. */
  readonly connectionId: string;
  readonly body: string | undefined;
  readonly isBinary: boolean;
  readonly identity: Identity;
  readonly receivedAt: Date;
}

export interface MessageOutcome {
  /** The frame for the sender. */
  readonly reply: ServerFrame;
  /** Frames for the sender before its reply, in order: a batch's changes, which its ACK only counts. */
  readonly beforeReply?: readonly ServerFrame[];
  /** The frames for every other connection of the org, in order, when changes were committed now. */
  readonly broadcast?: readonly ServerFrame[];
  /** A presence event for every other connection of the org that asked for them. */
  readonly presence?: PresenceFrame;
  /** The changes behind the broadcast, for logs. */
  readonly changes?: readonly Change[];
  /** The connection must be closed after the reply (expired token). */
  readonly close: boolean;
}

export interface HandleHooks {
  /**
   * Called once a write is authorised, just before the staff store is called: the caller can
   * start reading who the broadcast will go to while the write is in flight.
   */
  readonly onWrite?: () => void;
}

export interface MessageServiceOptions {
  readonly staffStore: StaffStore;
  /** The connections table: who is connected to an org (presence) and what each subscribed to. */
  readonly connections: Pick<ConnectionStore, 'get' | 'listOrgMembers' | 'watchPresence' | 'setEditing' | 'subscribe'>;
  /** Called when a reply was made without something it could not read (it still went out), to be logged. */
  readonly onDegraded?: (what: string, error: unknown) => void;
  /** Called for failures that are bugs (INTERNAL), with the request id, so they are logged once. */
  readonly onInternalError?: (error: unknown, requestId: string | undefined) => void;
}

/** A token limited to some departments (`app_metadata.departments`) may ask only for them. */
function checkAllowed(identity: Identity, departments: readonly string[]): void {
  const allowed = identity.departments;
  if (allowed && departments.some((department) => !allowed.includes(department))) {
    throw new StaffSyncError('FORBIDDEN', 'the token does not allow one of these departments');
  }
}

/** The latest seq of each of `departments` among an org's (0: no change yet in it). */
const seqsOf = (departments: readonly string[], all: Record<string, number>): Record<string, number> =>
  Object.fromEntries(departments.map((department) => [department, Object.hasOwn(all, department) ? all[department]! : 0]));

export function createMessageService({ staffStore, connections, onDegraded, onInternalError }: MessageServiceOptions) {
  /**
   * The connection's subscription and where the org and its departments stand, read side by side.
   * The heartbeat must not depend on DynamoDB (a throttled table is when a client most needs the
   * seq that heals a lost broadcast): an unreadable subscription gives a PONG without `deptSeqs`.
   */
  async function positions(orgId: string, connectionId: string): Promise<{ seq: number; deptSeqs?: Record<string, number> }> {
    const subscription = connections.get(connectionId).catch((error: unknown) => {
      onDegraded?.('PONG without deptSeqs: the connection record could not be read', error);
      return undefined;
    });
    const [record, latest] = await Promise.all([subscription, staffStore.latestSeqs(orgId)]);
    const departments = record?.departments;
    return departments && departments.length > 0 ? { seq: latest.seq, deptSeqs: seqsOf(departments, latest.deptSeqs) } : { seq: latest.seq };
  }

  async function execute(frame: ClientFrame, message: IncomingMessage, hooks: HandleHooks): Promise<Omit<MessageOutcome, 'close'>> {
    const { identity, connectionId } = message;
    const ctx = { orgId: identity.orgId, userId: identity.userId };
    switch (frame.type) {
      case 'PING': {
        const { seq, deptSeqs } = await positions(identity.orgId, connectionId);
        return { reply: pongFrame(frame.requestId, seq, new Date(), deptSeqs) };
      }
      case 'SUBSCRIBE': {
        const asked = frame.payload?.departments?.length ? frame.payload.departments : undefined;
        checkAllowed(identity, asked ?? []);
        // A limited token's whole org is its allowed departments.
        const chosen = asked ?? identity.departments;
        const departments = chosen ? [...chosen].sort() : null;
        if (!(await connections.subscribe(connectionId, departments))) throw new Error('the sending connection has no record');
        const latest = await staffStore.latestSeqs(identity.orgId);
        return { reply: subscribedFrame(frame.requestId, departments, latest.seq, departments ? seqsOf(departments, latest.deptSeqs) : {}) };
      }
      case 'SYNC_REQUEST':
        if (identity.departments && !frame.payload?.departments) {
          throw new StaffSyncError('FORBIDDEN', 'a token limited to departments syncs by departments: give payload.departments');
        }
        checkAllowed(identity, frame.payload?.departments ?? []);
        if (frame.payload?.stream) {
          const frames = syncResponseFrames(frame.requestId, await staffStore.syncStream(ctx, frame.payload));
          return { reply: frames.at(-1)!, beforeReply: frames.slice(0, -1) };
        }
        return { reply: syncResponseFrame(frame.requestId, await staffStore.sync(ctx, frame.payload)) };
      case 'PRESENCE_REQUEST': {
        // Watching first: a member joining while the org is read is then either listed or announced.
        await connections.watchPresence(connectionId);
        const members = presenceMembers(await connections.listOrgMembers(identity.orgId), message.receivedAt.getTime());
        return { reply: presenceSnapshotFrame(frame.requestId, memberIdOf(connectionId), members) };
      }
      case 'PRESENCE_EDITING': {
        const denied = authorizeFrame(identity.role, frame.type);
        if (denied) throw denied;
        // Ids are compared as the database writes them (lowercase), whatever case the UUID came in.
        const staffId = frame.payload.staffId === null ? null : frame.payload.staffId.toLowerCase();
        const record = await connections.setEditing(connectionId, staffId, message.receivedAt.getTime());
        if (!record) throw new Error('the sending connection has no record');
        const member = presenceMember(record, message.receivedAt.getTime());
        return { reply: presenceMemberFrame('update', member, frame.requestId), presence: presenceMemberFrame('update', member) };
      }
      case 'STAFF_CREATE':
      case 'STAFF_UPDATE':
      case 'STAFF_DELETE':
      case 'STAFF_BATCH': {
        const denied = authorizeFrame(identity.role, frame.type);
        if (denied) throw denied;
        hooks.onWrite?.();
        if (frame.type === 'STAFF_BATCH') return batchWritten(frame.requestId, await staffStore.batch(ctx, frame.requestId, frame.payload.operations));
        return written(frame.requestId, await write(frame, ctx));
      }
    }
  }

  function write(frame: Extract<ClientFrame, { type: 'STAFF_CREATE' | 'STAFF_UPDATE' | 'STAFF_DELETE' }>, ctx: { orgId: string; userId: string }) {
    switch (frame.type) {
      case 'STAFF_CREATE':
        return staffStore.create(ctx, frame.requestId, frame.payload.staff);
      case 'STAFF_UPDATE':
        return staffStore.update(ctx, frame.requestId, frame.payload.staffId, frame.payload.baseVersion, frame.payload.changes);
      case 'STAFF_DELETE':
        return staffStore.remove(ctx, frame.requestId, frame.payload.staffId, frame.payload.baseVersion);
    }
  }

  function written(requestId: string, result: WriteResult): Omit<MessageOutcome, 'close'> {
    const reply = ackFrame(requestId, result);
    // A replayed key answers the original ACK but was broadcast when it first committed.
    if (!result.change || result.replayed) return { reply };
    return { reply, broadcast: [broadcastFrame(result.change)], changes: [result.change] };
  }

  function batchWritten(requestId: string, result: BatchResult): Omit<MessageOutcome, 'close'> {
    const reply = batchAckFrame(requestId, result.results);
    const changes = result.results.flatMap(({ change }) => (change ? [change] : []));
    if (changes.length === 0) return { reply };
    const frames = batchBroadcastFrames(changes);
    // A replay was broadcast when it first committed; the sender still gets the changes its ACK names.
    if (result.replayed) return { reply, beforeReply: frames };
    return { reply, beforeReply: frames, broadcast: frames, changes };
  }

  return {
    async handle(message: IncomingMessage, hooks: HandleHooks = {}): Promise<MessageOutcome> {
      const parsed = parseClientFrame(message.body, message.isBinary);
      // Any frame after `exp`, even a malformed one, ends the connection (docs/protocol.md §2.4).
      if (message.receivedAt.getTime() >= message.identity.tokenExp * 1000) {
        const expired = new StaffSyncError('TOKEN_EXPIRED', 'the token has expired; reconnect with a fresh one');
        return { reply: errorFrame(parsed.ok ? parsed.frame.requestId : parsed.requestId, expired), close: true };
      }
      if (!parsed.ok) return { reply: errorFrame(parsed.requestId, parsed.error), close: false };
      const { frame } = parsed;
      try {
        return { ...(await execute(frame, message, hooks)), close: false };
      } catch (error) {
        if (isStaffSyncError(error)) return { reply: errorFrame(frame.requestId, error), close: false };
        onInternalError?.(error, frame.requestId);
        const internal = new StaffSyncError('INTERNAL', 'internal error; it has been logged with the request id');
        return { reply: errorFrame(frame.requestId, internal), close: false };
      }
    },
  };
}

export type MessageService = ReturnType<typeof createMessageService>;
