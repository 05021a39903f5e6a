/**
 * Faults of delivery: `@connections` targets answering 410, 429, 5xx or never (the gateway's
 * sinks) among healthy sockets, and the Supabase webhook delivery failing (a proxy in front of
 * the webhook route). Gone connections pruned, the others kept and never waited for; changes
 * nobody was told about healed at the next PONG.
 */
import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Change } from '../../shared/protocol/staff';
import { TestClient } from '../e2e/support/client';
import { PLAIN_500 } from './support/misbehaving-rules';
import { hasConnectionRecord, healAtNextPong, isBroadcastOf } from './support/misbehaving-checks';
import { createFrame, useFaultSuite } from './support/misbehaving-suite';

jest.setTimeout(60_000);

describe('faults of delivery', () => {
  const suite = useFaultSuite('delivery');

  it('prunes @connections targets answering 410, keeps those answering 429, 5xx or hanging, and never lets them hold up the others', async () => {
    const sockets = [suite.observer, ...(await Promise.all(Array.from({ length: 8 }, () => TestClient.connect({ orgId: suite.orgId, role: 'viewer' }))))];
    const slowAnswered = new Promise<void>((resolve) => suite.stage.gateway.registerSink('sink-slow-4s', { latencyMs: 4000, onData: () => resolve() }));
    const sinks = {
      'sink-410': { latencyMs: 0, status: 410 },
      'sink-429': { latencyMs: 0, status: 429 },
      'sink-500': { latencyMs: 0, status: 500 },
      'sink-503': { latencyMs: 0, status: 503 },
      'sink-hang': { latencyMs: Infinity },
    };
    const removals = Object.entries(sinks).map(([id, options]) => suite.stage.gateway.registerSink(id, options));
    const ids = [...Object.keys(sinks), 'sink-slow-4s', 'never-connected'];
    for (const connectionId of ids) {
      const item = { connectionId, orgId: suite.orgId, userId: 'sink', role: 'viewer', connectedAt: Date.now(), expiresAt: Math.floor(Date.now() / 1000) + 3600 };
      await suite.stage.documents.send(new PutCommand({ TableName: suite.stage.connectionsTable, Item: item }));
    }
    try {
      const sent = Date.now();
      const { seq } = (await suite.writer.request(createFrame(randomUUID(), 'Among bad connections'))).change as Change;
      await Promise.all(sockets.map((client) => client.waitFor(isBroadcastOf(seq))));
      const deliveredMs = Date.now() - sent;
      // One post's budget is 3 s: every socket had the frame before the hanging target could have been given up on.
      expect(deliveredMs).toBeLessThan(3000);

      // Barrier: the slow target answers after every post of this broadcast has settled (each within its 3 s budget).
      await slowAnswered;
      const kept = await Promise.all(ids.map(async (id) => [id, await hasConnectionRecord(suite.stage, id)] as const));
      expect(Object.fromEntries(kept)).toEqual({
        'sink-410': false,
        'never-connected': false,
        'sink-429': true,
        'sink-500': true,
        'sink-503': true,
        'sink-hang': true,
        'sink-slow-4s': true,
      });
      suite.report('@connections 410 / unknown id / 429 / 500 / 503 / hanging / 4 s slow, among 9 sockets', ids.length,
        `all 9 sockets had the broadcast in ${deliveredMs} ms; the 410 and unknown ids pruned; 429, 5xx, hanging and slow kept (transient)`);
    } finally {
      for (const remove of removals) remove();
      for (const client of sockets.slice(1)) client.close();
    }
  });


  it('heals database changes whose webhook delivery failed at the next PONG, and delivers once the webhook works', async () => {
    const before = suite.injectedBy(suite.stage.webhook);
    const base = await suite.latestSeq();
    suite.observer.skipReceived();
    suite.stage.webhook.misbehave({ fault: PLAIN_500, times: 1 }, { fault: { kind: 'close' }, times: 1 });
    const insert = (name: string) => suite.stage.supabase.query('insert into public.staff (org_id, name) values ($1, $2)', [suite.orgId, name]);

    await insert('Written in SQL, webhook 500');
    await insert('Written in SQL, webhook reset');
    await suite.stage.webhook.waitInjected(before + 2);
    const healed = await healAtNextPong(suite.observer, base);
    expect(healed.map((change) => [change.seq, change.origin])).toEqual([
      [base + 1, 'db'],
      [base + 2, 'db'],
    ]);

    await insert('Written in SQL, webhook healthy');
    expect(await suite.observer.nextFrame()).toMatchObject({ type: 'STAFF_CREATE', change: { seq: base + 3, origin: 'db', actor: 'db' } });
    suite.report('webhook delivery failing (500, then socket closed)', suite.injectedBy(suite.stage.webhook) - before, 'both db changes reached no client; observer healed by PONG + delta; the next db change delivered');
  });
});
