/**
 * Who is connected (docs/architecture.md §4): one record per WebSocket connection, an
 * org index for fan-out. Throttling, timeouts and DynamoDB outages become
 * `UPSTREAM_UNAVAILABLE`; anything else is a bug (`INTERNAL`).
 */
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { StaffSyncError } from './errors';
import type { Role } from './protocol/roles';

/** The global secondary index on `orgId` (sort `connectionId`) that fan-out and presence query. */
export const ORG_INDEX_NAME = 'orgId-index';
/**
 * What the org index holds besides its keys: who is connected and what they edit, for presence
 * without a read per record, whether a connection wants presence events, and the departments it
 * subscribed to (the fan-out filters by them).
 */
export const ORG_INDEX_ATTRIBUTES = ['userId', 'role', 'connectedAt', 'watchesPresence', 'editingStaffId', 'editingAt', 'departments'] as const;

/** The record a connection is editing, as its connection last said (docs/protocol.md §7.7). */
export interface EditingMarker {
  readonly staffId: string;
  /** Epoch ms the marker was set. */
  readonly at: number;
}

/** One connection of an org as presence shows it. */
export interface OrgMember {
  readonly connectionId: string;
  readonly userId: string;
  readonly role: Role;
  readonly connectedAt: number;
  readonly editing?: EditingMarker;
}

/** Who a broadcast may go to: a connection and the departments it subscribed to (none: the whole org). */
export interface Recipient {
  readonly connectionId: string;
  readonly departments?: readonly string[];
}

/** Which of an org's connections a listing is for. */
export interface OrgPagesFilter {
  /** Only the connections that asked for presence events (PRESENCE_REQUEST). */
  readonly watchingPresence?: boolean;
}

export interface ConnectionRecord {
  readonly connectionId: string;
  readonly orgId: string;
  readonly userId: string;
  readonly role: Role;
  /** Epoch ms (API Gateway's `connectedAt`). */
  readonly connectedAt: number;
  /** Epoch SECONDS: the table's TTL attribute. */
  readonly expiresAt: number;
  /** The departments the connection subscribed to; absent: the whole org. */
  readonly departments?: readonly string[];
}

export interface ConnectionStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** @default 'orgId-index' */
  readonly indexName?: string;
}

export interface ConnectionStore {
  put(record: ConnectionRecord): Promise<void>;
  /** Idempotent: deleting an unknown id succeeds. */
  delete(connectionId: string): Promise<void>;
  get(connectionId: string): Promise<ConnectionRecord | undefined>;
  /** The org's connection ids, one page (at most `pageSize` ids, never empty) per iteration. */
  listOrgPages(orgId: string, pageSize: number, filter?: OrgPagesFilter): AsyncIterable<string[]>;
  /** As `listOrgPages`, each connection with its subscribed departments. */
  listOrgRecipients(orgId: string, pageSize: number, filter?: OrgPagesFilter): AsyncIterable<Recipient[]>;
  /** Subscribes the connection to some departments (`null`: the whole org). `false` when it has no record. */
  subscribe(connectionId: string, departments: readonly string[] | null): Promise<boolean>;
  /** Every connection of the org with who holds it, from the org index (eventually consistent). */
  listOrgMembers(orgId: string): Promise<OrgMember[]>;
  /** Marks the connection as wanting presence events. `false` when it has no record (it is gone). */
  watchPresence(connectionId: string): Promise<boolean>;
  /** Sets (or with `null` clears) the connection's editing marker; the member as it now is, or `undefined` when it has no record. */
  setEditing(connectionId: string, staffId: string | null, atMs: number): Promise<OrgMember | undefined>;
  /** A cheap read proving the table answers (the health check); rejects like every other call. */
  ping(signal?: AbortSignal): Promise<void>;
}

/** API Gateway closes every connection after 2 hours. */
const MAX_CONNECTION_SECONDS = 2 * 60 * 60;

/**
 * The record's TTL: when the connection can no longer be alive, plus a margin, in epoch seconds.
 *
 * @example expiresAtFor(token.exp, event.requestContext.connectedAt) // min(exp, connect + 2 h) + 300
 */
export function expiresAtFor(tokenExpSeconds: number, connectedAtMs: number, marginSeconds = 300): number {
  const lifetimeEnd = Math.ceil(connectedAtMs / 1000) + MAX_CONNECTION_SECONDS;
  return Math.min(Math.floor(tokenExpSeconds), lifetimeEnd) + marginSeconds;
}

const UNAVAILABLE_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'LimitExceededException',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'AbortError',
]);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

/** Maps an AWS SDK failure into the error vocabulary. */
export function toStoreError(error: unknown, operation: string): StaffSyncError {
  if (error instanceof StaffSyncError) return error;
  const { name, code, $metadata } = (error ?? {}) as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const status = $metadata?.httpStatusCode ?? 0;
  const unavailable =
    UNAVAILABLE_NAMES.has(name ?? '') || NETWORK_CODES.has(code ?? '') || status >= 500 || status === 429;
  return unavailable
    ? new StaffSyncError('UPSTREAM_UNAVAILABLE', `DynamoDB ${operation} failed: ${name ?? 'error'}`, { cause: error })
    : new StaffSyncError('INTERNAL', `DynamoDB ${operation} failed: ${name ?? 'error'}`, { cause: error });
}

function memberOf(item: Record<string, unknown>): OrgMember {
  const member = { connectionId: String(item.connectionId), userId: String(item.userId), role: item.role as Role, connectedAt: Number(item.connectedAt) };
  return typeof item.editingStaffId === 'string' ? { ...member, editing: { staffId: item.editingStaffId, at: Number(item.editingAt) } } : member;
}

export function createConnectionStore(options: ConnectionStoreOptions): ConnectionStore {
  const { client, tableName } = options;
  const indexName = options.indexName ?? ORG_INDEX_NAME;

  const call = async <T>(operation: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw toStoreError(error, operation);
    }
  };


  /**
   * The org index page by page, each item with only the `attributes` asked for. A filter is
   * applied after `limit` items are read, so a filtered page may be short or empty.
   */
  async function* orgIndexPages(orgId: string, attributes: readonly string[], limit?: number, filter: OrgPagesFilter = {}): AsyncGenerator<Record<string, unknown>[]> {
    let startKey: Record<string, unknown> | undefined;
    const watching = filter.watchingPresence === true;
    do {
      const page = await call('Query', () =>
        client.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: indexName,
            KeyConditionExpression: 'orgId = :orgId',
            ExpressionAttributeValues: { ':orgId': orgId, ...(watching ? { ':watching': true } : {}) },
            // `role` is a DynamoDB reserved word: every name goes through a placeholder.
            ProjectionExpression: attributes.map((_, i) => `#a${i}`).join(', '),
            ExpressionAttributeNames: { ...Object.fromEntries(attributes.map((name, i) => [`#a${i}`, name])), ...(watching ? { '#watching': 'watchesPresence' } : {}) },
            ...(watching ? { FilterExpression: '#watching = :watching' } : {}),
            ...(limit === undefined ? {} : { Limit: limit }),
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      yield page.Items ?? [];
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  /**
   * Changes a connection's own record in place and answers it as it now is, or `undefined` when
   * there is none: never creates one (a record without orgId and expiresAt would never expire).
   */
  async function updateOwn(connectionId: string, update: string, values?: Record<string, unknown>): Promise<Record<string, unknown> | undefined> {
    try {
      const { Attributes } = await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { connectionId },
          UpdateExpression: update,
          ConditionExpression: 'attribute_exists(connectionId)',
          ...(values ? { ExpressionAttributeValues: values } : {}),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes;
    } catch (error) {
      if ((error as { name?: string } | null)?.name === 'ConditionalCheckFailedException') return undefined;
      throw toStoreError(error, 'UpdateItem');
    }
  }

  async function* listOrgRecipients(orgId: string, pageSize: number, filter?: OrgPagesFilter): AsyncGenerator<Recipient[]> {
    if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError(`pageSize must be a positive integer, got ${pageSize}`);
    for await (const items of orgIndexPages(orgId, ['connectionId', 'departments'], pageSize, filter)) {
      const recipients = items.map(({ connectionId, departments }): Recipient => {
        const id = String(connectionId);
        return departments instanceof Set && departments.size > 0 ? { connectionId: id, departments: [...(departments as Set<string>)] } : { connectionId: id };
      });
      if (recipients.length > 0) yield recipients;
    }
  }

  return {
    put: ({ departments, ...record }) =>
      call('PutItem', async () => {
        // A string set: the org index projects it and a record's list of departments is a set.
        const item = departments && departments.length > 0 ? { ...record, departments: new Set(departments) } : record;
        await client.send(new PutCommand({ TableName: tableName, Item: item }));
      }),

    subscribe: async (connectionId, departments) => {
      const record =
        departments === null || departments.length === 0
          ? await updateOwn(connectionId, 'REMOVE departments')
          : await updateOwn(connectionId, 'SET departments = :departments', { ':departments': new Set(departments) });
      return record !== undefined;
    },

    delete: (connectionId) =>
      call('DeleteItem', async () => {
        await client.send(new DeleteCommand({ TableName: tableName, Key: { connectionId } }));
      }),

    get: (connectionId) =>
      call('GetItem', async () => {
        const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: { connectionId }, ConsistentRead: true }));
        if (!Item) return undefined;
        const { departments, ...record } = Item as ConnectionRecord & { departments?: Set<string> };
        return (departments ? { ...record, departments: [...departments].sort() } : record) as ConnectionRecord;
      }),

    ping: (signal) =>
      call('GetItem', async () => {
        await client.send(
          new GetCommand({ TableName: tableName, Key: { connectionId: '#health' }, ProjectionExpression: 'connectionId' }),
          signal ? { abortSignal: signal } : {},
        );
      }),

    async listOrgMembers(orgId) {
      const members: OrgMember[] = [];
      for await (const items of orgIndexPages(orgId, ['connectionId', ...ORG_INDEX_ATTRIBUTES])) members.push(...items.map(memberOf));
      return members;
    },

    watchPresence: async (connectionId) => (await updateOwn(connectionId, 'SET watchesPresence = :watching', { ':watching': true })) !== undefined,

    setEditing: async (connectionId, staffId, atMs) => {
      const record =
        staffId === null
          ? await updateOwn(connectionId, 'REMOVE editingStaffId, editingAt')
          : await updateOwn(connectionId, 'SET editingStaffId = :staffId, editingAt = :at', { ':staffId': staffId, ':at': atMs });
      return record && memberOf(record);
    },

    listOrgRecipients,

    async *listOrgPages(orgId, pageSize, filter) {
      for await (const recipients of listOrgRecipients(orgId, pageSize, filter)) yield recipients.map((recipient) => recipient.connectionId);
    },
  };
}
