/**
 * The pg_net Database Webhook for origin-'db' changes, on a database that has Vault and pg_net as
 * Supabase does (stand-ins that record the call instead of sending it): the migrations create the
 * trigger there, and only there.
 */
import { PGlite } from '@electric-sql/pglite';
import { applyMigrations } from '../../infra/local/db/migrate';
import { scriptRunner } from '../helpers/pglite';
import { newOrg, seedStaff } from './support';

let db: PGlite;

const SUPABASE_LIKE_SQL = `
create schema vault;
create table vault.decrypted_secrets (name text primary key, decrypted_secret text not null);
create schema net;
create table net.calls (id bigint generated always as identity, url text, body jsonb, headers jsonb, timeout_milliseconds integer);
create function net.http_post(url text, body jsonb default '{}', params jsonb default '{}',
                              headers jsonb default '{"Content-Type": "application/json"}', timeout_milliseconds integer default 5000)
returns bigint language plpgsql as $$
declare v_id bigint;
begin
  if url like '%fail%' then raise exception 'pg_net is unwell'; end if;
  insert into net.calls (url, body, headers, timeout_milliseconds) values (url, body, headers, timeout_milliseconds) returning id into v_id;
  return v_id;
end $$;
`;

beforeAll(async () => {
  db = new PGlite();
  await db.exec(SUPABASE_LIKE_SQL);
  await applyMigrations(scriptRunner(db));
}, 60_000);

afterAll(async () => {
  await db?.close();
});

const calls = async () =>
  (await db.query<{ url: string; body: Record<string, unknown>; headers: Record<string, string> }>('select url, body, headers from net.calls order by id')).rows;

async function setSecrets(url: string | null, secret: string | null): Promise<void> {
  await db.query('delete from vault.decrypted_secrets');
  if (url) await db.query(`insert into vault.decrypted_secrets values ('staff_sync_webhook_url', $1)`, [url]);
  if (secret) await db.query(`insert into vault.decrypted_secrets values ('staff_sync_webhook_secret', $1)`, [secret]);
  await db.query('delete from net.calls');
}

it('creates the webhook trigger where pg_net and Vault exist', async () => {
  const { rows } = await db.query(`select tgname from pg_trigger where tgname = 'staff_webhook_post'`);
  expect(rows).toHaveLength(1);
});

it('posts a direct write as Supabase’s webhook body with the Vault secret header', async () => {
  await setSecrets('https://example.test/webhooks/supabase', 's3cret');
  const org = newOrg();
  await db.query(`insert into public.staff (org_id, name) values ($1, 'From the dashboard')`, [org]);

  const [call, ...more] = await calls();
  expect(more).toHaveLength(0);
  expect(call!.url).toBe('https://example.test/webhooks/supabase');
  expect(call!.headers).toEqual({ 'Content-Type': 'application/json', 'x-staff-sync-webhook-secret': 's3cret' });
  expect(call!.body).toEqual({
    type: 'INSERT',
    table: 'staff_changes',
    schema: 'public',
    old_record: null,
    record: expect.objectContaining({ org_id: org, seq: 1, op: 'create', origin: 'db', actor: 'db' }),
  });
});

it('does not post changes that came through the functions (origin ws)', async () => {
  await setSecrets('https://example.test/webhooks/supabase', 's3cret');
  await seedStaff(db, newOrg());
  expect(await calls()).toHaveLength(0);
});

it('never fails the write when the secrets are missing or pg_net errors', async () => {
  for (const [url, secret] of [[null, null], ['https://fail.test/', 's3cret']] as const) {
    await setSecrets(url, secret);
    const org = newOrg();
    await db.query(`insert into public.staff (org_id, name) values ($1, 'Still written')`, [org]);
    const { rows } = await db.query('select seq::int from public.staff_changes where org_id = $1', [org]);
    expect(rows).toEqual([{ seq: 1 }]);
  }
  expect(await calls()).toHaveLength(0);
});
