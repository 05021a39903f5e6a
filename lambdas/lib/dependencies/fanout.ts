import { loadBroadcastConfig, loadManagementConfig, type Env } from '../../../shared/config';
import type { ConnectionStore } from '../../../shared/connection-store';
import { createFanOut, type FanOut } from '../fanout';
import { lazy, type Lazy } from '../lazy';

export function fanOutFrom(env: Env, connections: ConnectionStore): Lazy<FanOut> {
  const broadcastConfig = loadBroadcastConfig(env);
  const managementConfig = loadManagementConfig(env);
  return lazy(async () => createFanOut({ connections, broadcastConfig, managementConfig }));
}
