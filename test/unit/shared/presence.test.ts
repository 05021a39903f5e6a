import { EDITING_TTL_MS } from '../../../shared/protocol/editing';
import { memberIdOf, presenceMember, presenceMembers } from '../../../shared/presence';
import type { OrgMember } from '../../../shared/connection-store';

const STAFF_ID = '0b3a2a9e-8f1c-4d2e-9a7b-1c2d3e4f5a6b';
const member = (connectionId: string, connectedAt: number, editing?: OrgMember['editing']): OrgMember => ({
  connectionId,
  userId: `user-${connectionId}`,
  role: 'manager',
  connectedAt,
  ...(editing ? { editing } : {}),
});

describe('presence in wire form', () => {
  it('names a member by a digest of its connection id, never the id', () => {
    const id = memberIdOf('AbCdEf123=');
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(id).toBe(memberIdOf('AbCdEf123='));
    expect(id).not.toBe(memberIdOf('AbCdEf124='));
    expect(presenceMember(member('AbCdEf123=', 0), 0).memberId).toBe(id);
  });

  it('shows an editing marker until EDITING_TTL_MS after it was set, then none', () => {
    const at = Date.parse('2026-12-07T10:00:00.000Z');
    const marked = member('c', at - 1000, { staffId: STAFF_ID, at });
    expect(presenceMember(marked, at + EDITING_TTL_MS - 1).editing).toEqual({ staffId: STAFF_ID, at: '2026-12-07T10:00:00.000Z' });
    expect(presenceMember(marked, at + EDITING_TTL_MS).editing).toBeNull();
    expect(presenceMember(member('d', at), at).editing).toBeNull();
  });

  it('lists members oldest connection first, ties by connection id', () => {
    const listed = presenceMembers([member('b', 2), member('c', 1), member('a', 2)], 0);
    expect(listed.map(({ userId }) => userId)).toEqual(['user-c', 'user-a', 'user-b']);
    expect(listed[0]!.connectedAt).toBe('1970-01-01T00:00:00.001Z');
  });
});
