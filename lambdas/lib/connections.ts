/** The connection store, built once per cold start. */
import { createDocumentClient } from '../../shared/aws-clients';
import { loadConnectionsConfig } from '../../shared/config';
import { createConnectionStore } from '../../shared/connection-store';
import { lazy } from './lazy';

export const connectionStore = lazy(async () => {
  const config = loadConnectionsConfig();
  return createConnectionStore({ client: createDocumentClient(config), tableName: config.tableName });
});
