/** The staff store (postgrest-js over PostgREST RPC): settings read at cold start, the key resolved once. */
import { loadSupabaseConfig } from '../../shared/config';
import { resolveSecret } from '../../shared/secrets';
import { createStaffStore } from '../../shared/staff-store';
import { lazy } from './lazy';

const config = loadSupabaseConfig();

export const staffStore = lazy(async () => createStaffStore({ url: config.url, serviceKey: await resolveSecret(config.serviceKey) }));
