import type { Env } from '../../../shared/config';
import type { DisconnectDependencies } from '../../handlers/disconnect';
import { connectionsFrom } from './connections';

export function disconnectDependencies(env: Env): DisconnectDependencies {
  return { connections: connectionsFrom(env) };
}
