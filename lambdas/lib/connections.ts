/** The connection store; configuration read and clients built at cold start. */
import { createDocumentClient } from '../../shared/aws-clients';
import { loadConnectionsConfig } from '../../shared/config';
import { createConnectionStore } from '../../shared/connection-store';

const config = loadConnectionsConfig();

export const connections = createConnectionStore({ client: createDocumentClient(config), tableName: config.tableName });
