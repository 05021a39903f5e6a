/**
 * The local webhook relay posts what Supabase's pg_net webhook would for each new origin-`db`
 * change-log row (a write made straight in the database, here through the Postgres socket), and
 * nothing for writes that came through the staff store. "Nothing arrived" is proven with a barrier:
 * a sentinel direct write must be the next delivery.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import type { LocalSupabase } from '../../infra/local/db';
import { startWebhookRelay, type WebhookRelay } from '../../infra/local/db/webhook-relay';
import { createStaffStore } from '../../shared/staff-store';
import { startTestSupabase } from '../helpers/local-supabase';

interface Delivery {
  readonly headers: IncomingHttpHeaders;
  readonly body: Record<string, unknown> & { record: Record<string, unknown> };
}

const SECRET = 'relay-test-secret';
let supabase: LocalSupabase;
let receiver: Server;
let receiverUrl: string;
let psql: Client;
let relay: WebhookRelay | undefined;
const deliveries: Delivery[] = [];
const waiting: ((delivery: Delivery) => void)[] = [];
let answerStatus = 200;
const logs: string[] = [];

// Boots PGlite (WASM compile and the fixture image: ~1.5 s idle, over 5 s on a loaded 2-core box),
// so not under the 5 s default meant for unit tests; the sql and reliability suites do the same.
beforeAll(async () => {
  supabase = await startTestSupabase({ dbPort: 0 });
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const delivery = { headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Delivery['body'] };
      res.writeHead(answerStatus).end();
      const waiter = waiting.shift();
      if (waiter) waiter(delivery);
      else deliveries.push(delivery);
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/supabase`;
  psql = new Client({ host: '127.0.0.1', port: supabase.dbPort, user: 'postgres', database: 'postgres' });
  await psql.connect();
}, 60_000);

afterEach(async () => {
  await relay?.stop();
  relay = undefined;
  answerStatus = 200;
});

afterAll(async () => {
  await psql?.end();
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
  await supabase?.close();
});

const nextDelivery = (): Promise<Delivery> => {
  const queued = deliveries.shift();
  return queued ? Promise.resolve(queued) : new Promise((resolve) => waiting.push(resolve));
};

const startRelay = async (): Promise<void> => {
  relay = startWebhookRelay({ query: supabase.query, url: receiverUrl, secret: SECRET, intervalMs: 20, log: (line) => logs.push(line) });
  await relay.started;
};

const directInsert = async (orgId: string, name: string): Promise<string> =>
  (await psql.query<{ id: string }>('insert into public.staff (org_id, name) values ($1, $2) returning id', [orgId, name])).rows[0]!.id;

it('posts a direct SQL write as a Supabase Database Webhook with the secret header', async () => {
  await startRelay();
  const orgId = `relay-${randomUUID().slice(0, 8)}`;
  const staffId = await directInsert(orgId, 'Typed in psql');

  const { headers, body } = await nextDelivery();
  expect(headers['content-type']).toBe('application/json');
  expect(headers['x-staff-sync-webhook-secret']).toBe(SECRET);
  expect(body).toEqual({ type: 'INSERT', table: 'staff_changes', schema: 'public', record: expect.any(Object), old_record: null });
  expect(body.record).toMatchObject({ org_id: orgId, seq: 1, op: 'create', staff_id: staffId, origin: 'db', actor: 'db', version: 1 });
  expect(body.record.staff).toMatchObject({ id: staffId, name: 'Typed in psql' });
  const expected = await supabase.query<{ record: unknown }>(
    'select to_jsonb(l) as record from public.staff_changes l where org_id = $1 and seq = 1',
    [orgId],
  );
  expect(body.record).toEqual(expected.rows[0]!.record);
});

it('posts nothing for writes made through the staff store, nor for rows older than its start', async () => {
  const orgId = `relay-${randomUUID().slice(0, 8)}`;
  await directInsert(orgId, 'Before the relay started');
  await startRelay();
  const store = createStaffStore({ url: supabase.url, serviceKey: supabase.serviceKey });
  const ctx = { orgId, userId: 'user-1' };
  const { change } = await store.create(ctx, randomUUID(), { name: 'Over the WebSocket' });
  await store.update(ctx, randomUUID(), change!.staffId, 1, { position: 'Lead' });
  await directInsert(orgId, 'Sentinel');

  const { body } = await nextDelivery();
  expect(body.record).toMatchObject({ org_id: orgId, seq: 4, origin: 'db', staff: expect.objectContaining({ name: 'Sentinel' }) });
});

it('logs a delivery the receiver refuses and does not retry it', async () => {
  await startRelay();
  const orgId = `relay-${randomUUID().slice(0, 8)}`;
  answerStatus = 500;
  await directInsert(orgId, 'Refused');
  expect((await nextDelivery()).body.record).toMatchObject({ seq: 1 });
  answerStatus = 200;
  await directInsert(orgId, 'Sentinel');
  expect((await nextDelivery()).body.record).toMatchObject({ seq: 2 });
  expect(logs.some((line) => line.includes('answered 500'))).toBe(true);
});
