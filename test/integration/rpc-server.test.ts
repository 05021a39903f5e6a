/**
 * The local RPC endpoint answers as PostgREST does (docs/reference-supabase.md §1, §2, §5), checked
 * with raw HTTP and with supabase-js, against throwaway functions created here.
 */
import type { LocalSupabase } from '../../infra/local/db';
import { signHs256 } from '../../infra/local/db/jwt-hs256';
import { startTestSupabase, supabaseClient, TEST_JWT_SECRET } from '../helpers/local-supabase';

const FUNCTIONS_SQL = `
create table public.t_item (id int primary key, label text);
insert into public.t_item values (1, 'one'), (2, 'two');
create table public.t_note (body text);
create function public.t_add(a int, b int default 10) returns int language sql as $$ select a + b $$;
create function public.t_echo(p_text text, p_doc jsonb, p_id uuid, p_n bigint) returns jsonb language sql as $$
  select jsonb_build_object('text', p_text, 'doc', p_doc, 'id', p_id, 'n', p_n, 'nType', pg_typeof(p_n)::text, 'idType', pg_typeof(p_id)::text) $$;
create function public.t_note(p_body text) returns void language sql security definer as $$ insert into public.t_note values (p_body) $$;
create function public.t_items() returns setof public.t_item language sql stable security definer as $$ select * from public.t_item order by id $$;
create function public.t_item(p_id int) returns public.t_item language sql stable security definer as $$ select * from public.t_item where id = p_id $$;
create function public.t_label(p_id int) returns text language sql stable security definer as $$ select label from public.t_item where id = p_id $$;
create function public.t_raise(p_code text, p_message text, p_detail text default null, p_hint text default null) returns int
  language plpgsql as $$ begin
    if p_hint is null then raise exception using errcode = p_code, message = p_message, detail = p_detail;
    else raise exception using errcode = p_code, message = p_message, detail = p_detail, hint = p_hint; end if;
  end $$;
create function public.t_amb(a int, b int default 1) returns int language sql as $$ select 1 $$;
create function public.t_amb(a int, c text default 'x') returns int language sql as $$ select 2 $$;
create function public.t_whoami() returns jsonb language sql stable as $$
  select jsonb_build_object('role', current_user, 'claims', current_setting('request.jwt.claims', true)::jsonb,
    'method', current_setting('request.method', true), 'path', current_setting('request.path', true)) $$;
create function public.t_raw(jsonb) returns jsonb language sql as $$ select $1 -> 'whole' $$;
revoke execute on all functions in schema public from public, anon, authenticated;
grant execute on all functions in schema public to service_role;
grant execute on function public.t_whoami() to anon;
`;

let supabase: LocalSupabase;
let rpcUrl: (fn: string) => string;
let serviceHeaders: Record<string, string>;

// Boots PGlite (WASM compile and the fixture image: ~1.5 s idle, over 5 s on a loaded 2-core box),
// so not under the 5 s default meant for unit tests; the sql and reliability suites do the same.
beforeAll(async () => {
  supabase = await startTestSupabase({ connectionWaitMs: 300 });
  await supabase.exec(FUNCTIONS_SQL);
  await supabase.reloadSchemaCache();
  rpcUrl = (fn) => `${supabase.url}/rest/v1/rpc/${fn}`;
  serviceHeaders = { apikey: supabase.serviceKey, authorization: `Bearer ${supabase.serviceKey}`, 'content-type': 'application/json' };
}, 60_000);

afterAll(async () => {
  await supabase?.close();
});

const post = async (fn: string, body: string | undefined, headers: Record<string, string> = serviceHeaders) => {
  const response = await fetch(rpcUrl(fn), { method: 'POST', headers, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  return { response, status: response.status, text, json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
};

describe('argument binding', () => {
  it('binds body keys to parameters by name and casts JSON values to the parameter types', async () => {
    const id = '3f1c8a52-5b7e-4a3c-9d2f-0a1b2c3d4e5f';
    const { status, json } = await post('t_echo', JSON.stringify({ p_n: '42', p_id: id, p_doc: { a: [1] }, p_text: 'hi' }));
    expect(status).toBe(200);
    expect(json).toEqual({ text: 'hi', doc: { a: [1] }, id, n: 42, nType: 'bigint', idType: 'uuid' });
  });

  it('uses the default of an omitted parameter and answers a scalar bare', async () => {
    const { status, text, response } = await post('t_add', '{"a": 5}');
    expect(status).toBe(200);
    expect(text).toBe('15');
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('content-range')).toBe('0-0/*');
  });

  it('answers a value that does not cast with 400 and the SQLSTATE', async () => {
    const { status, json } = await post('t_add', '{"a": "five"}');
    expect(status).toBe(400);
    expect(json).toEqual({ code: '22P02', message: 'invalid input syntax for type integer: "five"', details: null, hint: null });
  });

  it('treats an empty body as no arguments', async () => {
    const { status, json } = await post('t_whoami', '');
    expect(status).toBe(200);
    expect(json).toMatchObject({ role: 'service_role', method: 'POST', path: '/rpc/t_whoami' });
  });

  it('passes the whole body to a function with a single unnamed jsonb parameter', async () => {
    const { status, json } = await post('t_raw', '{"whole": {"x": 1}, "other": 2}');
    expect(status).toBe(200);
    expect(json).toEqual({ x: 1 });
  });
});

describe('function matching', () => {
  it('refuses an extra unknown key with 404 PGRST202 in PostgREST words', async () => {
    const { status, json, response } = await post('t_add', '{"a": 1, "zz": 2}');
    expect(status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(json).toEqual({
      code: 'PGRST202',
      message: 'Could not find the function public.t_add(a, zz) in the schema cache',
      details: 'Searched for the function public.t_add with parameters a, zz or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.',
      hint: 'Perhaps you meant to call the function public.t_add(a, b)',
    });
  });

  it('refuses a call without a required parameter', async () => {
    const { status, json } = await post('t_add', '{"b": 1}');
    expect(status).toBe(404);
    expect(json?.code).toBe('PGRST202');
    expect(json?.message).toBe('Could not find the function public.t_add(b) in the schema cache');
  });

  it('suggests a close function name for an unknown one', async () => {
    const { status, json } = await post('t_ad', '{}');
    expect(status).toBe(404);
    expect(json).toEqual({
      code: 'PGRST202',
      message: 'Could not find the function public.t_ad without parameters in the schema cache',
      details: 'Searched for the function public.t_ad without parameters or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.',
      hint: 'Perhaps you meant to call the function public.t_add',
    });
  });

  it('answers 300 PGRST203 when two overloads match', async () => {
    const { status, json } = await post('t_amb', '{"a": 1}');
    expect(status).toBe(300);
    expect(json?.code).toBe('PGRST203');
    expect(json?.message).toBe('Could not choose the best candidate function between: public.t_amb(a => integer, b => integer), public.t_amb(a => integer, c => text)');
  });

  it('finds a function created after start', async () => {
    await supabase.exec(`create function public.t_late() returns int language sql as $$ select 7 $$;
      revoke execute on function public.t_late() from public; grant execute on function public.t_late() to service_role;`);
    expect((await post('t_late', '{}')).text).toBe('7');
  });
});

describe('request refusals', () => {
  it('answers invalid JSON with 400 PGRST102', async () => {
    expect((await post('t_add', '{"a": 5')).json).toEqual({ code: 'PGRST102', message: 'Empty or invalid json', details: null, hint: null });
  });

  it('answers an array whose objects differ with 400 PGRST102', async () => {
    const { status, json } = await post('t_add', '[{"a": 1}, {"b": 2}]');
    expect(status).toBe(400);
    expect(json?.message).toBe('All object keys must match');
  });

  it.each(['PUT', 'PATCH', 'DELETE'])('answers %s with 405 PGRST101', async (method) => {
    const response = await fetch(rpcUrl('t_add'), { method, headers: serviceHeaders, body: '{"a": 1}' });
    expect(response.status).toBe(405);
    expect(await response.json()).toEqual({ code: 'PGRST101', message: `Cannot use the ${method} method on RPC`, details: null, hint: null });
  });

  it('answers a schema that is not exposed with 406 PGRST106 and echoes an exposed one', async () => {
    const refused = await post('t_add', '{"a": 1}', { ...serviceHeaders, 'content-profile': 'private' });
    expect(refused.status).toBe(406);
    expect(refused.json).toMatchObject({ code: 'PGRST106', message: 'Invalid schema: private', hint: 'Only the following schemas are exposed: public' });
    const echoed = await post('t_add', '{"a": 1}', { ...serviceHeaders, 'content-profile': 'public' });
    expect(echoed.response.headers.get('content-profile')).toBe('public');
  });
});

describe('response shapes', () => {
  it('answers a void function with 204, no body and no content type', async () => {
    const { status, text, response } = await post('t_note', '{"p_body": "void"}');
    expect(status).toBe(204);
    expect(text).toBe('');
    expect(response.headers.get('content-type')).toBeNull();
  });

  it('answers a set of rows as an array and one composite as an object', async () => {
    expect((await post('t_items', '{}')).json).toEqual([{ id: 1, label: 'one' }, { id: 2, label: 'two' }]);
    expect((await post('t_item', '{"p_id": 2}')).json).toEqual({ id: 2, label: 'two' });
    expect((await post('t_label', '{"p_id": 1}')).text).toBe('"one"');
  });

  it('answers a singular request with one object, or 406 PGRST116 for another row count', async () => {
    const headers = { ...serviceHeaders, accept: 'application/vnd.pgrst.object+json' };
    expect((await post('t_item', '{"p_id": 1}', headers)).json).toEqual({ id: 1, label: 'one' });
    const refused = await post('t_items', '{}', headers);
    expect(refused.status).toBe(406);
    expect(refused.json).toEqual({ code: 'PGRST116', message: 'Cannot coerce the result to a single JSON object', details: 'The result contains 2 rows', hint: null });
  });

  it('calls a STABLE function with GET and query arguments, read-only', async () => {
    const response = await fetch(`${rpcUrl('t_label')}?p_id=2`, { headers: serviceHeaders });
    expect(response.status).toBe(200);
    expect(await response.json()).toBe('two');
    const write = await fetch(`${rpcUrl('t_note')}?p_body=x`, { headers: serviceHeaders });
    expect(write.status).toBe(405);
    expect(((await write.json()) as { code: string }).code).toBe('25006');
  });
});

describe('errors from SQL', () => {
  const raise = (code: string, message: string, detail: string | null = 'd', hint: string | null = null) =>
    post('t_raise', JSON.stringify({ p_code: code, p_message: message, p_detail: detail, p_hint: hint }));

  it.each([
    ['PT404', 404],
    ['PT409', 409],
    ['PT422', 422],
    ['PT413', 413],
    ['PTABC', 500],
    ['P0001', 400],
    ['23505', 409],
    ['23514', 400],
    ['55P03', 500],
    ['57014', 500],
    ['40001', 500],
    ['53300', 503],
    ['42P01', 404],
  ])('maps SQLSTATE %s to HTTP %i', async (code, status) => {
    const result = await raise(code, 'boom');
    expect(result.status).toBe(status);
    expect(result.json).toEqual({ code, message: 'boom', details: 'd', hint: null });
  });

  it('uses the message as the reason phrase of PTxyz and keeps DETAIL and HINT', async () => {
    const { response, json } = await raise('PT409', 'version conflict', '{"current":{"id":1}}', 'reload');
    expect(response.statusText).toBe('version conflict');
    expect(json).toEqual({ code: 'PT409', message: 'version conflict', details: '{"current":{"id":1}}', hint: 'reload' });
  });

  it("lets RAISE SQLSTATE 'PGRST' set the whole response", async () => {
    const { status, json, response } = await raise(
      'PGRST',
      '{"code":"123","message":"custom","details":"more","hint":"h"}',
      '{"status":418,"headers":{"X-Custom":"yes"}}',
    );
    expect(status).toBe(418);
    expect(response.headers.get('x-custom')).toBe('yes');
    expect(json).toEqual({ code: '123', message: 'custom', details: 'more', hint: 'h' });
  });

  it('answers 504 PGRST003 when the database session stays busy past the bounded wait', async () => {
    let release!: () => void;
    const held = supabase.executor.transaction(() => new Promise<void>((resolve) => (release = resolve)));
    try {
      const { status, json } = await post('t_add', '{"a": 1}');
      expect(status).toBe(504);
      expect(json).toEqual({ code: 'PGRST003', message: 'Timed out acquiring connection from connection pool.', details: null, hint: null });
    } finally {
      release();
      await held;
    }
    expect((await post('t_add', '{"a": 1}')).status).toBe(200);
  });
});

describe('authentication', () => {
  const whoami = (headers: Record<string, string>) => post('t_whoami', '{}', { 'content-type': 'application/json', ...headers });

  it('runs a legacy service_role JWT as service_role with its claims in request.jwt.claims', async () => {
    const { status, json } = await whoami({ apikey: supabase.serviceKey, authorization: `Bearer ${supabase.serviceKey}` });
    expect(status).toBe(200);
    expect(json).toMatchObject({ role: 'service_role', claims: { role: 'service_role', iss: 'supabase' } });
  });

  it('runs an sb_secret key as service_role, alone or repeated as Bearer', async () => {
    expect((await whoami({ apikey: supabase.secretKey })).json).toMatchObject({ role: 'service_role' });
    expect((await whoami({ apikey: supabase.secretKey, authorization: `Bearer ${supabase.secretKey}` })).json).toMatchObject({ role: 'service_role' });
  });

  it('refuses a legacy anon JWT our functions are revoked from with 403 (it carries a role)', async () => {
    const { status, json } = await post('t_add', '{"a": 1}', { apikey: supabase.anonKey, authorization: `Bearer ${supabase.anonKey}`, 'content-type': 'application/json' });
    expect(status).toBe(403);
    expect(json).toEqual({ code: '42501', message: 'permission denied for function t_add', details: null, hint: null });
  });

  it('refuses a publishable key with 401 and WWW-Authenticate: Bearer', async () => {
    expect((await whoami({ apikey: supabase.publishableKey })).json).toMatchObject({ role: 'anon' });
    const { status, json, response } = await post('t_add', '{"a": 1}', { apikey: supabase.publishableKey, 'content-type': 'application/json' });
    expect(status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(json?.code).toBe('42501');
  });

  it('refuses a request without apikey, or with an unknown one, at the gateway', async () => {
    const missing = await whoami({});
    expect(missing.status).toBe(401);
    expect(missing.json).toEqual({ message: 'No API key found in request', hint: 'No `apikey` request header or url param was found.' });
    const unknown = await whoami({ apikey: 'sb_secret_not-this-project' });
    expect(unknown.status).toBe(401);
    expect(unknown.json?.message).toBe('Invalid API key');
  });

  it('refuses an expired, badly signed or unknown-role Bearer JWT with 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    const bearer = (token: string) => whoami({ apikey: supabase.publishableKey, authorization: `Bearer ${token}` });
    const expired = await bearer(signHs256({ role: 'authenticated', exp: now - 120 }, TEST_JWT_SECRET));
    expect(expired.status).toBe(401);
    expect(expired.json).toMatchObject({ code: 'PGRST303', message: 'JWT expired' });
    expect(expired.response.headers.get('www-authenticate')).toContain('invalid_token');
    const forged = await bearer(signHs256({ role: 'service_role' }, 'another-secret-of-at-least-32-characters'));
    expect(forged.json).toMatchObject({ code: 'PGRST301', message: 'JWT cryptographic operation failed' });
    const noRole = await bearer(signHs256({ role: 'nobody_role', exp: now + 60 }, TEST_JWT_SECRET));
    expect(noRole.status).toBe(401);
    expect(noRole.json).toMatchObject({ code: '22023', message: 'role "nobody_role" does not exist' });
  });
});

describe('through supabase-js', () => {
  it('returns data, surfaces errors with their code, and gives null for a void function', async () => {
    const client = supabaseClient(supabase.url, supabase.serviceKey);
    expect(await client.rpc('t_add', { a: 1, b: 2 })).toMatchObject({ data: 3, error: null, status: 200 });
    const failed = await client.rpc('t_raise', { p_code: 'PT422', p_message: 'bad', p_detail: '[{"path":"p","message":"m"}]' });
    expect(failed.status).toBe(422);
    expect(failed.error).toMatchObject({ code: 'PT422', message: 'bad', details: '[{"path":"p","message":"m"}]' });
    expect(await client.rpc('t_note', { p_body: 'js' })).toMatchObject({ data: null, error: null, status: 204 });
    expect((await client.rpc('t_label', { p_id: 2 }, { get: true })).data).toBe('two');
  });

  it('works with an sb_secret key and is refused with the anon key', async () => {
    expect((await supabaseClient(supabase.url, supabase.secretKey).rpc('t_add', { a: 2 })).data).toBe(12);
    const anon = await supabaseClient(supabase.url, supabase.anonKey).rpc('t_add', { a: 2 });
    expect(anon.status).toBe(403);
    expect(anon.error?.code).toBe('42501');
  });
});
