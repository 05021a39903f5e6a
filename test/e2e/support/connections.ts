/** The local stage's connection records (dynalite), for the checks that no record was written or one was pruned. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ORG_INDEX_NAME } from '../../../shared/connection-store';

export async function connectionIdsOf(orgId: string): Promise<string[]> {
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: process.env.LOCAL_STAGE_DYNAMODB_ENDPOINT!, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  );
  try {
    const result = await client.send(
      new QueryCommand({ TableName: process.env.LOCAL_STAGE_CONNECTIONS_TABLE!, IndexName: ORG_INDEX_NAME, KeyConditionExpression: 'orgId = :o', ExpressionAttributeValues: { ':o': orgId } }),
    );
    return (result.Items ?? []).map((item) => item.connectionId as string);
  } finally {
    client.destroy();
  }
}
