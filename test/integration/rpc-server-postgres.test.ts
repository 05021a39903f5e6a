/**
 * The same RPC endpoint with DATABASE_URL: a throwaway PostgreSQL 15 cluster (real concurrency, a
 * pool of connections) behind it, the migrations applied at start, supabase-js and the staff store
 * in front. Skipped, loudly, where no PostgreSQL binaries exist (CI installs them).
 */
import { randomUUID } from 'node:crypto';
import type { LocalSupabase } from '../../infra/local/db';
import { StaffSyncError } from '../../shared/errors';
import type { Change } from '../../shared/protocol/staff';
import { createStaffStore, type StaffStore } from '../../shared/staff-store';
import { startTestSupabase, supabaseClient } from '../helpers/local-supabase';
import { findPgBinDir, PG_SKIP_MESSAGE, startPgCluster, type PgCluster } from '../helpers/pg-cluster';

const POOL_SIZE = 4;
const available = findPgBinDir() !== undefined || process.env.CI === 'true';
if (!available) console.warn(`${PG_SKIP_MESSAGE} — the RPC endpoint on PostgreSQL 15 is not tested here`);
const describePg = available ? describe : describe.skip;

let cluster: PgCluster | null = null;
let supabase: LocalSupabase;
let store: StaffStore;

const newCtx = () => ({ orgId: `pg-${randomUUID().slice(0, 8)}`, userId: 'user-1' });

async function failure(promise: Promise<unknown>): Promise<StaffSyncError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof StaffSyncError) return error;
    throw error;
  }
  throw new Error('expected a StaffSyncError');
}

describePg('RPC endpoint on PostgreSQL 15', () => {
  beforeAll(async () => {
    cluster = await startPgCluster();
    supabase = await startTestSupabase({ databaseUrl: cluster!.connectionString, poolSize: POOL_SIZE, connectionWaitMs: 300 });
    await supabase.exec(`create function public.t_add(a int, b int default 10) returns int language sql as $$ select a + b $$;
      create function public.t_void() returns void language sql as $$ select $$;
      revoke execute on function public.t_add(int, int), public.t_void() from public, anon, authenticated;
      grant execute on function public.t_add(int, int), public.t_void() to service_role;
      -- The migrations wait 3 s for a lock; this throwaway cluster waits 200 ms so the test is quick.
      alter function public.staff_update(text, text, text, uuid, integer, jsonb) set lock_timeout = '200ms';`);
    await supabase.reloadSchemaCache();
    store = createStaffStore({ url: supabase.url, serviceKey: supabase.serviceKey });
  }, 60_000);

  afterAll(async () => {
    await supabase?.close();
    await cluster?.stop();
  });

  it('binds, answers void with 204 and refuses unknown keys and the anon key as PostgREST does', async () => {
    const client = supabaseClient(supabase.url, supabase.serviceKey);
    expect(await client.rpc('t_add', { a: '5' })).toMatchObject({ data: 15, status: 200 });
    expect(await client.rpc('t_void')).toMatchObject({ data: null, error: null, status: 204 });
    const unknown = await client.rpc('t_add', { a: 1, zz: 1 });
    expect(unknown.status).toBe(404);
    expect(unknown.error?.code).toBe('PGRST202');
    const anon = await supabaseClient(supabase.url, supabase.anonKey).rpc('t_add', { a: 1 });
    expect(anon.status).toBe(403);
    expect(anon.error?.code).toBe('42501');
  });

  it('lets exactly one of many concurrent updates against one version win', async () => {
    const ctx = newCtx();
    const { staffId } = (await store.create(ctx, randomUUID(), { name: 'Contested' })).change as Change;
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => store.update(ctx, randomUUID(), staffId, 1, { name: `Writer ${i}` })),
    );
    const won = results.filter((result) => result.status === 'fulfilled');
    const lost = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost.map((result) => (result.reason as StaffSyncError).code)).toEqual(Array(7).fill('VERSION_CONFLICT'));
    expect(await store.latestSeq(ctx.orgId)).toBe(2);
  });

  it('answers a lock held past lock_timeout (55P03) as UPSTREAM_UNAVAILABLE', async () => {
    const ctx = newCtx();
    const { staffId } = (await store.create(ctx, randomUUID(), { name: 'Locked' })).change as Change;
    let release!: () => void;
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holder = supabase.executor.transaction(async (tx) => {
      await tx.query('select 1 from public.staff where id = $1 for update', [staffId]);
      locked();
      await new Promise<void>((resolve) => (release = resolve));
    });
    await isLocked;
    try {
      expect((await failure(store.update(ctx, randomUUID(), staffId, 1, { name: 'Blocked' }))).code).toBe('UPSTREAM_UNAVAILABLE');
    } finally {
      release();
      await holder;
    }
  });

  it('answers an exhausted pool with 504 PGRST003, which the staff store maps to UPSTREAM_UNAVAILABLE', async () => {
    const releases: (() => void)[] = [];
    const held = Array.from({ length: POOL_SIZE }, () =>
      supabase.executor.transaction(() => new Promise<void>((resolve) => releases.push(resolve))),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    try {
      const response = await fetch(`${supabase.url}/rest/v1/rpc/t_add`, {
        method: 'POST',
        headers: { apikey: supabase.secretKey, 'content-type': 'application/json' },
        body: '{"a": 1}',
      });
      expect(response.status).toBe(504);
      expect(await response.json()).toMatchObject({ code: 'PGRST003' });
      expect((await failure(store.latestSeq('pg-any'))).code).toBe('UPSTREAM_UNAVAILABLE');
    } finally {
      releases.forEach((release) => release());
      await Promise.all(held);
    }
  });
});
