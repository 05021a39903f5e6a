/**
 * An in-memory dynalite with the connections table, and a document client for it.
 */
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startLocalDynamo } from '../../infra/local/dynamo';
import { createDocumentClient } from '../../shared/aws-clients';

export interface TestDynamo {
  readonly endpoint: string;
  readonly tableName: string;
  readonly documents: DynamoDBDocumentClient;
  close(): Promise<void>;
}

export async function startTestDynamo(): Promise<TestDynamo> {
  const dynamo = await startLocalDynamo();
  const documents = createDocumentClient({ endpoint: dynamo.endpoint, region: 'us-east-1' });
  return {
    endpoint: dynamo.endpoint,
    tableName: dynamo.tableName,
    documents,
    close: async () => {
      documents.destroy();
      await dynamo.close();
    },
  };
}
