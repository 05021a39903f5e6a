import { Client } from 'pg';
import { TestClient } from './support/client';
import { connectionIdsOf } from './support/connections';
import { logLinesWithTokens } from './support/hygiene';
import { itLocal, newOrgId, stage } from './support/stage';
import { barrier, createStaff, settle } from './support/staff';

/** A psql-like session holding the local database in an open transaction. */
async function holdDatabase(): Promise<{ release(): Promise<void> }> {
  const db = new Client({ host: '127.0.0.1', port: Number(process.env.LOCAL_STAGE_DB_PORT), user: 'postgres', password: 'postgres', database: 'postgres' });
  await db.connect();
  await db.query('begin');
  await db.query('select 1');
  return {
    release: async () => {
      await db.query('rollback');
      await db.end();
    },
  };
}

describe('gateway behaviours (docs/protocol.md §9, §11)', () => {
  const orgId = newOrgId();
  let writer: TestClient;
  let observer: TestClient;

  beforeAll(async () => {
    writer = await TestClient.connect({ orgId });
    observer = await TestClient.connect({ orgId, role: 'viewer' });
  });
  afterAll(() => {
    writer?.close();
    observer?.close();
    expect(logLinesWithTokens()).toEqual([]);
  });

  it('keeps a socket open after a bad frame and leaves the other clients untouched', async () => {
    const noisy = await TestClient.connect({ orgId });
    await settle(observer);

    noisy.send('{"type":');
    const error = await noisy.nextFrame();
    const stillThere = await noisy.request({ type: 'PING' });

    expect(error).toMatchObject({ type: 'ERROR', code: 'BAD_REQUEST' });
    expect(stillThere.type).toBe('PONG');
    await barrier(writer, observer);
    noisy.close();
  });

  it('closes the socket with 1009 for a frame over 32 KB', async () => {
    const client = await TestClient.connect({ orgId });
    client.send(JSON.stringify({ type: 'PING', requestId: 'big', payload: { pad: 'x'.repeat(40 * 1024) } }));
    expect((await client.waitClosed()).code).toBe(1009);
  });

  it('closes the socket with 1009 for a message over 128 KB', async () => {
    const client = await TestClient.connect({ orgId });
    client.send(JSON.stringify({ type: 'PING', requestId: 'huge', payload: { pad: 'x'.repeat(130 * 1024) } }));
    expect((await client.waitClosed()).code).toBe(1009);
  });

  itLocal('handles two frames of one socket concurrently', async () => {
    const { staff } = await createStaff(writer);
    const held = await holdDatabase();
    writer.skipReceived();
    try {
      writer.send({ type: 'STAFF_UPDATE', requestId: 'slow-write', payload: { staffId: staff.id, baseVersion: 1, changes: { name: 'Slow' } } });
      writer.send({ type: 'NOT_A_TYPE', requestId: 'fast-error' });

      const first = await writer.nextFrame();
      expect(first).toMatchObject({ requestId: 'fast-error', code: 'UNKNOWN_TYPE' });
    } finally {
      await held.release();
    }
    const slow = await writer.waitFor((frame) => frame.requestId === 'slow-write');
    expect(['ACK', 'ERROR']).toContain(slow.type);
    if (slow.type === 'ERROR') expect(slow.code).toBe('UPSTREAM_UNAVAILABLE');
  }, 20_000);

  itLocal('answers health degraded within 3 s while the database hangs, and ok after', async () => {
    const held = await holdDatabase();
    const started = Date.now();
    let response: Response;
    try {
      response = await fetch(`${stage.httpUrl}/health`);
    } finally {
      await held.release();
    }
    const elapsed = Date.now() - started;
    const body = (await response.json()) as Record<string, any>;

    expect(response.status).toBe(503);
    expect(elapsed).toBeLessThan(3000);
    expect(body).toMatchObject({ status: 'degraded', checks: { supabase: { status: 'error', error: expect.any(String) }, dynamodb: { status: 'ok' } } });
    expect((await fetch(`${stage.httpUrl}/health`)).status).toBe(200);
  }, 20_000);

  itLocal('prunes a connection whose $disconnect was dropped on the next broadcast (410)', async () => {
    const org = newOrgId();
    const sender = await TestClient.connect({ orgId: org });
    const ghost = await TestClient.connect({ orgId: org, role: 'viewer' });
    expect((await connectionIdsOf(org)).length).toBe(2);

    await fetch(`${stage.httpUrl}/local/gateway`, { method: 'POST', body: JSON.stringify({ dropDisconnect: true }) });
    try {
      ghost.close();
      await ghost.waitClosed();
      expect((await connectionIdsOf(org)).length).toBe(2);
      await createStaff(sender);
    } finally {
      await fetch(`${stage.httpUrl}/local/gateway`, { method: 'POST', body: JSON.stringify({ dropDisconnect: false }) });
    }

    // The ACK may overtake the broadcast's prune by a moment.
    for (let i = 0; i < 40 && (await connectionIdsOf(org)).length > 1; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await connectionIdsOf(org)).length).toBe(1);
    sender.close();
  });
});
