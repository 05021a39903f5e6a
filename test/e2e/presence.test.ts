/**
 * PRESENCE_REQUEST (docs/protocol.md §7.7): who is connected to the org, from the connections
 * table's org index — every connection of this org with its user and role, none of another org,
 * and no connection id. Through the SDK as well.
 */
import WebSocket from 'ws';
import { connect } from '../../client/src';
import { TestClient } from './support/client';
import { connectionIdsOf } from './support/connections';
import { newOrgId, stage, tokenFor } from './support/stage';

describe('PRESENCE_REQUEST', () => {
  const orgId = newOrgId();
  let clients: TestClient[] = [];

  beforeAll(async () => {
    clients = [
      await TestClient.connect({ orgId, role: 'manager', sub: 'presence-manager' }),
      await TestClient.connect({ orgId, role: 'viewer', sub: 'presence-viewer' }),
      await TestClient.connect({ orgId: newOrgId(), role: 'admin', sub: 'presence-stranger' }),
    ];
  });
  afterAll(() => {
    for (const client of clients) client.close();
  });

  /** The org's members, once the index lists `count` of them (it is eventually consistent). */
  async function membersOf(client: TestClient, count: number): Promise<Array<Record<string, unknown>>> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const reply = await client.request({ type: 'PRESENCE_REQUEST' });
      expect(reply).toMatchObject({ type: 'PRESENCE', event: 'snapshot' });
      const members = reply.members as Array<Record<string, unknown>>;
      if (members.length >= count || Date.now() > deadline) return members;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it("lists every connection of the org with its user and role, none of another org's", async () => {
    const members = await membersOf(clients[1]!, 2);
    expect(members.map(({ userId, role }) => ({ userId, role }))).toEqual([
      { userId: 'presence-manager', role: 'manager' },
      { userId: 'presence-viewer', role: 'viewer' },
    ]);
    for (const member of members) {
      expect(member.memberId).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(Date.parse(String(member.connectedAt))).not.toBeNaN();
    }
    // The member id never is the connection id (which @connections would accept).
    const ids = await connectionIdsOf(orgId);
    expect(members.some((member) => ids.includes(String(member.memberId)))).toBe(false);
  });

  it('through the SDK, this client included', async () => {
    const client = connect(stage.wsUrl, () => tokenFor({ orgId, sub: 'presence-sdk' }), { WebSocket });
    try {
      await client.ready();
      const deadline = Date.now() + 5000;
      let members = await client.presence();
      while (members.length < 3 && Date.now() < deadline) members = await client.presence();
      expect(members.map((member) => member.userId).sort()).toEqual(['presence-manager', 'presence-sdk', 'presence-viewer']);
    } finally {
      client.close();
    }
  });
});
