import type { Env } from '../../../shared/config';
import type { DisconnectDependencies } from '../../handlers/disconnect';
import { connectionsFrom } from './connections';
import { fanOutFrom } from './fanout';

export function disconnectDependencies(env: Env): DisconnectDependencies {
  const connections = connectionsFrom(env);
  return { connections, fanOut: fanOutFrom(env, connections) };
}
