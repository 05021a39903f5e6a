import type { Env } from '../../../shared/config';
import type { ConnectDependencies } from '../../handlers/connect';
import { connectionsFrom } from './connections';

export function connectDependencies(env: Env): ConnectDependencies {
  return { connections: connectionsFrom(env) };
}
