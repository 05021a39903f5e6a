/**
 * Presence (docs/protocol.md §7.7): who is connected to an org, read from the connections table's
 * org index (no store of its own). A member is one connection; its `memberId` is a digest of the
 * connection id, stable for the connection's life, that never reveals the id itself (which the
 * `@connections` API would accept).
 */
import { createHash } from 'node:crypto';
import type { OrgMember } from './connection-store';
import type { PresenceMember } from './protocol/server-frames';

export const memberIdOf = (connectionId: string): string => createHash('sha256').update(connectionId, 'utf8').digest('base64url').slice(0, 22);

/** An org's members in wire form, oldest connection first. */
export const presenceMembers = (members: readonly OrgMember[]): PresenceMember[] =>
  [...members]
    .sort((a, b) => a.connectedAt - b.connectedAt || a.connectionId.localeCompare(b.connectionId))
    .map(({ connectionId, userId, role, connectedAt }) => ({ memberId: memberIdOf(connectionId), userId, role, connectedAt: new Date(connectedAt).toISOString() }));
