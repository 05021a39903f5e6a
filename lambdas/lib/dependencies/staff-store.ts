import { loadSupabaseConfig, type Env } from '../../../shared/config';
import { resolveSecret } from '../../../shared/secrets';
import { createStaffStore, type StaffStore } from '../../../shared/staff-store';
import { lazy, type Lazy } from '../lazy';

/** Built on first use: the service key may be a Secrets Manager ARN to resolve first. */
export function staffStoreFrom(env: Env): Lazy<StaffStore> {
  const config = loadSupabaseConfig(env);
  return lazy(async () => createStaffStore({ url: config.url, serviceKey: await resolveSecret(config.serviceKey) }));
}
