import type { Env } from '../../../shared/config';
import type { BroadcastDependencies } from '../../handlers/broadcast';
import { connectionsFrom } from './connections';
import { fanOutFrom } from './fanout';

export function broadcastDependencies(env: Env): BroadcastDependencies {
  return { fanOut: fanOutFrom(env, connectionsFrom(env)) };
}
