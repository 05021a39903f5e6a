/**
 * PGlite over the Postgres wire protocol shares its one session with the RPC endpoint: a psql-like
 * session inside a transaction holds it, RPC calls wait a bounded time and then fail as
 * unavailable, and nothing they wrote is absorbed or rolled back by that session.
 */
import { Client } from 'pg';
import type { LocalSupabase } from '../../infra/local/db';
import { hasStaffMigrations, startTestSupabase } from '../helpers/local-supabase';

const FIXTURE_SQL = `
create table public.t_note (id int generated always as identity primary key, body text not null);
create function public.t_note(p_body text) returns void language sql security definer as $$ insert into public.t_note (body) values (p_body) $$;
revoke execute on function public.t_note(text) from public, anon, authenticated;
grant execute on function public.t_note(text) to service_role;
`;

let supabase: LocalSupabase;
const clients: Client[] = [];

// Boots PGlite (WASM compile and the fixture image: ~1.5 s idle, over 5 s on a loaded 2-core box),
// so not under the 5 s default meant for unit tests; the sql and reliability suites do the same.
beforeAll(async () => {
  supabase = await startTestSupabase({ dbPort: 0, connectionWaitMs: 400 });
  await supabase.exec(FIXTURE_SQL);
  await supabase.reloadSchemaCache();
}, 60_000);

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.end().catch(() => undefined)));
  await supabase.query('truncate public.t_note');
});

afterAll(async () => {
  await supabase?.close();
});

async function psql(): Promise<Client> {
  const client = new Client({ host: '127.0.0.1', port: supabase.dbPort, user: 'postgres', password: 'postgres', database: 'postgres' });
  client.on('error', () => undefined); // a destroyed connection reports here
  await client.connect();
  clients.push(client);
  return client;
}

const note = async (body: string) => {
  const response = await fetch(`${supabase.url}/rest/v1/rpc/t_note`, {
    method: 'POST',
    headers: { apikey: supabase.secretKey, 'content-type': 'application/json' },
    body: JSON.stringify({ p_body: body }),
  });
  return { status: response.status, body: await response.text() };
};

const notes = async (): Promise<string[]> =>
  (await supabase.query<{ body: string }>('select body from public.t_note order by id')).rows.map((row) => row.body);

it('serves simple and extended-protocol queries to a pg client', async () => {
  const client = await psql();
  expect((await client.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
  expect((await client.query('select $1::int + 1 as two', [1])).rows).toEqual([{ two: 2 }]);
  expect((await client.query('select current_user as who')).rows).toEqual([{ who: 'postgres' }]);
});

it('makes RPC calls fail as unavailable while a session idles in a transaction, and its rollback keeps every RPC write', async () => {
  expect((await note('before')).status).toBe(204);
  const client = await psql();
  await client.query('begin');
  await client.query(`insert into public.t_note (body) values ('psql')`);

  const during = await note('during');
  expect(during.status).toBe(504);
  expect(JSON.parse(during.body)).toMatchObject({ code: 'PGRST003' });

  await client.query('rollback');
  expect((await note('after')).status).toBe(204);
  expect(await notes()).toEqual(['before', 'after']);
});

it('runs a waiting RPC call as soon as the session commits within the bound, outside its transaction', async () => {
  const client = await psql();
  await client.query('begin');
  await client.query(`insert into public.t_note (body) values ('psql')`);
  const waiting = note('queued');
  await new Promise((resolve) => setTimeout(resolve, 100));
  await client.query('commit');
  expect((await waiting).status).toBe(204);
  expect(await notes()).toEqual(['psql', 'queued']);
});

it('rolls back and frees the session when a client vanishes inside a transaction', async () => {
  const client = await psql();
  await client.query('begin');
  await client.query(`insert into public.t_note (body) values ('lost')`);
  (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect((await note('next')).status).toBe(204);
  expect(await notes()).toEqual(['next']);
});

it('keeps session-level settings of a socket client out of RPC calls', async () => {
  const client = await psql();
  await client.query('set role anon');
  await client.query('set search_path = pg_catalog');
  expect((await note('as service_role')).status).toBe(204);
  expect((await supabase.query<{ who: string }>('select current_user as who')).rows).toEqual([{ who: 'postgres' }]);
});

it('gives a client that connects alone a clean session, whatever an earlier client set', async () => {
  const first = await psql();
  await first.query('set role anon');
  await first.query('prepare leftover as select 1');
  await first.end();
  clients.splice(clients.indexOf(first), 1);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const second = await psql();
  expect((await second.query('select current_user as who')).rows).toEqual([{ who: 'postgres' }]);
  await expect(second.query('execute leftover')).rejects.toThrow(/does not exist/);
});

it('interleaves extended-protocol queries with concurrent RPC calls without mixing them', async () => {
  const client = await psql();
  const socketWork = (async () => {
    for (let i = 0; i < 25; i += 1) {
      const { rows } = await client.query('select $1::int * 2 as doubled', [i]);
      expect(rows).toEqual([{ doubled: i * 2 }]);
    }
  })();
  const rpcWork = Promise.all(Array.from({ length: 25 }, (_, i) => note(`n${i}`)));
  await socketWork;
  expect((await rpcWork).every((result) => result.status === 204)).toBe(true);
  expect((await notes()).length).toBe(25);
});

const withMigrations = hasStaffMigrations() ? it : it.skip;
if (!hasStaffMigrations()) {
  console.warn('SKIPPED: pg-socket origin-db case — supabase/migrations has no staff_* functions yet');
}

withMigrations('records a direct INSERT and UPDATE through the socket with origin db', async () => {
  const client = await psql();
  const orgId = `socket-${Date.now()}`;
  const { rows } = await client.query<{ id: string }>(
    `insert into public.staff (org_id, name) values ($1, 'Direct Insert') returning id`,
    [orgId],
  );
  await client.query(`update public.staff set name = 'Direct Update' where id = $1`, [rows[0]!.id]);
  const log = await supabase.query<{ seq: number; op: string; origin: string; actor: string }>(
    `select seq, op, origin, actor from public.staff_changes where org_id = $1 order by seq`,
    [orgId],
  );
  expect(log.rows).toEqual([
    { seq: 1, op: 'create', origin: 'db', actor: 'db' },
    { seq: 2, op: 'update', origin: 'db', actor: 'db' },
  ]);
});
