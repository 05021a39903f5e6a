import type { Env } from '../../../shared/config';
import type { ConnectDependencies } from '../../handlers/connect';
import { connectionsFrom } from './connections';
import { fanOutFrom } from './fanout';

export function connectDependencies(env: Env): ConnectDependencies {
  const connections = connectionsFrom(env);
  return { connections, fanOut: fanOutFrom(env, connections) };
}
