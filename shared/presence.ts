/**
 * Presence (docs/protocol.md §7.7): who is connected to an org, read from the connections table's
 * org index (no store of its own). A member is one connection; its `memberId` is a digest of the
 * connection id, stable for the connection's life, that never reveals the id itself (which the
 * `@connections` API would accept).
 */
import { createHash } from 'node:crypto';
import type { OrgMember } from './connection-store';
import { EDITING_TTL_MS } from './protocol/editing';
// Types only: $connect and $disconnect build these frames and carry no zod.
import type { PresenceFrame, PresenceMember } from './protocol/server-frames';

export const memberIdOf = (connectionId: string): string => createHash('sha256').update(connectionId, 'utf8').digest('base64url').slice(0, 22);

/** One member in wire form; a marker older than EDITING_TTL_MS at `nowMs` reads as none. */
export function presenceMember({ connectionId, userId, role, connectedAt, editing }: OrgMember, nowMs: number): PresenceMember {
  const live = editing && nowMs - editing.at < EDITING_TTL_MS;
  return {
    memberId: memberIdOf(connectionId),
    userId,
    role,
    connectedAt: new Date(connectedAt).toISOString(),
    editing: live ? { staffId: editing.staffId, at: new Date(editing.at).toISOString() } : null,
  };
}

/** An org's members in wire form, oldest connection first. */
export const presenceMembers = (members: readonly OrgMember[], nowMs: number): PresenceMember[] =>
  [...members]
    .sort((a, b) => a.connectedAt - b.connectedAt || a.connectionId.localeCompare(b.connectionId))
    .map((member) => presenceMember(member, nowMs));

/** The reply to PRESENCE_REQUEST; `self` is the asking connection's member. */
export function presenceSnapshotFrame(requestId: string | undefined, self: string, members: PresenceMember[]): PresenceFrame {
  return { type: 'PRESENCE', ...(requestId === undefined ? {} : { requestId }), event: 'snapshot', self, members };
}

/** A member that connected (`join`) or changed its editing marker (`update`; with `requestId`, the reply to PRESENCE_EDITING). */
export function presenceMemberFrame(event: 'join' | 'update', member: PresenceMember, requestId?: string): PresenceFrame {
  return { type: 'PRESENCE', ...(requestId === undefined ? {} : { requestId }), event, member };
}

/** A member whose connection closed. */
export const presenceLeaveFrame = (memberId: string): PresenceFrame => ({ type: 'PRESENCE', event: 'leave', memberId });

