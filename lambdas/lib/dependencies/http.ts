import { loadServiceInfo, loadWebhookConfig, type Env } from '../../../shared/config';
import { resolveSecret } from '../../../shared/secrets';
import type { HttpDependencies } from '../../handlers/http';
import { lazy } from '../lazy';
import { connectionsFrom } from './connections';
import { fanOutFrom } from './fanout';
import { staffStoreFrom } from './staff-store';

export function httpDependencies(env: Env): HttpDependencies {
  const connections = connectionsFrom(env);
  const webhookConfig = loadWebhookConfig(env);
  return {
    service: loadServiceInfo(env),
    webhookSecret: lazy(async () => resolveSecret(webhookConfig.secret)),
    connections,
    staffStore: staffStoreFrom(env),
    fanOut: fanOutFrom(env, connections),
  };
}
