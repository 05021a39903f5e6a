import { createDocumentClient } from '../../../shared/aws-clients';
import { loadConnectionsConfig, type Env } from '../../../shared/config';
import { createConnectionStore, type ConnectionStore } from '../../../shared/connection-store';

export function connectionsFrom(env: Env): ConnectionStore {
  const config = loadConnectionsConfig(env);
  return createConnectionStore({ client: createDocumentClient(config), tableName: config.tableName });
}
