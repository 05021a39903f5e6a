/** The staff store (supabase-js over PostgREST RPC), built once per cold start. */
import { loadSupabaseConfig } from '../../shared/config';
import { resolveSecret } from '../../shared/secrets';
import { createStaffStore } from '../../shared/staff-store';
import { lazy } from './lazy';

export const staffStore = lazy(async () => {
  const config = loadSupabaseConfig();
  return createStaffStore({ url: config.url, serviceKey: await resolveSecret(config.serviceKey) });
});
