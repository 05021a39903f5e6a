/**
 * The connection store against dynalite, and its error mapping with SDK errors injected by
 * aws-sdk-client-mock.
 */
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient, ProvisionedThroughputExceededException, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { startLocalDynamo } from '../../infra/local/dynamo';
import { createConnectionStore, expiresAtFor, type ConnectionRecord, type ConnectionStore, type Recipient } from '../../shared/connection-store';
import { StaffSyncError } from '../../shared/errors';
import { startTestDynamo, type TestDynamo } from '../helpers/dynalite';

const record = (connectionId: string, orgId: string): ConnectionRecord => ({
  connectionId,
  orgId,
  userId: `user-${connectionId}`,
  role: 'manager',
  connectedAt: 1_700_000_000_123,
  expiresAt: expiresAtFor(1_700_003_600, 1_700_000_000_123),
});

const collect = async (pages: AsyncIterable<string[]>): Promise<string[][]> => {
  const all: string[][] = [];
  for await (const page of pages) all.push(page);
  return all;
};

describe('connection store on dynalite', () => {
  let dynamo: TestDynamo;
  let store: ConnectionStore;

  beforeAll(async () => {
    dynamo = await startTestDynamo();
    store = createConnectionStore({ client: dynamo.documents, tableName: dynamo.tableName });
  });
  afterAll(() => dynamo.close());

  it('puts, gets and deletes a record; deleting twice is fine', async () => {
    await store.put(record('c-1', 'org-a'));
    const stored = await store.get('c-1');
    await store.delete('c-1');
    await store.delete('c-1');

    expect(stored).toEqual(record('c-1', 'org-a'));
    expect(await store.get('c-1')).toBeUndefined();
  });

  it('stores expiresAt in epoch seconds', async () => {
    await store.put(record('c-2', 'org-a'));
    const { expiresAt } = (await store.get('c-2'))!;

    expect(expiresAt).toBe(1_700_003_600 + 300);
    expect(String(expiresAt)).toHaveLength(10);
  });

  it('pages the org index across more than one page, without another org', async () => {
    const ids = Array.from({ length: 23 }, (_, i) => `p-${String(i).padStart(2, '0')}`);
    await Promise.all(ids.map((id) => store.put(record(id, 'org-paged'))));
    await store.put(record('elsewhere', 'org-other'));

    const pages = await collect(store.listOrgPages('org-paged', 10));

    expect(pages.map((page) => page.length)).toEqual([10, 10, 3]);
    expect(pages.flat().sort()).toEqual(ids);
  });

  it('yields no page for an org without connections', async () => {
    expect(await collect(store.listOrgPages('org-empty', 10))).toEqual([]);
  });

  it('answers a ping', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('lists only the connections watching presence when asked, in pages that may be short', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `w-${String(i).padStart(2, '0')}`);
    await Promise.all(ids.map((id) => store.put(record(id, 'org-watch'))));
    const watching = ids.filter((_, i) => i % 3 === 0);
    expect(await Promise.all(watching.map((id) => store.watchPresence(id)))).toEqual(watching.map(() => true));

    const pages = await collect(store.listOrgPages('org-watch', 5, { watchingPresence: true }));
    expect(pages.flat().sort()).toEqual(watching);
    expect(pages.every((page) => page.length > 0 && page.length <= 5)).toBe(true);
    expect((await collect(store.listOrgPages('org-watch', 5))).flat()).toHaveLength(12);
  });

  it('never creates a record to watch or mark: a connection without one answers false / undefined', async () => {
    expect(await store.watchPresence('never-connected')).toBe(false);
    expect(await store.setEditing('never-connected', '0b3a2a9e-8f1c-4d2e-9a7b-1c2d3e4f5a6b', 1)).toBeUndefined();
    expect(await store.get('never-connected')).toBeUndefined();
  });

  it('subscribes a connection to departments and back to the whole org; the org index lists each with its own', async () => {
    await store.put(record('s-1', 'org-sub'));
    await store.put(record('s-2', 'org-sub'));
    expect(await store.subscribe('s-1', ['Ward', 'ICU'])).toBe(true);
    expect((await store.get('s-1'))?.departments).toEqual(['ICU', 'Ward']);
    const listed: Recipient[] = [];
    for await (const page of store.listOrgRecipients('org-sub', 10)) listed.push(...page);
    expect(listed.map(({ connectionId, departments }) => ({ connectionId, departments: departments && [...departments].sort() }))).toEqual([
      { connectionId: 's-1', departments: ['ICU', 'Ward'] },
      { connectionId: 's-2', departments: undefined },
    ]);

    expect(await store.subscribe('s-1', null)).toBe(true);
    expect(await store.get('s-1')).toEqual(record('s-1', 'org-sub'));
    expect(await store.subscribe('never-connected', ['ICU'])).toBe(false);
    expect(await store.get('never-connected')).toBeUndefined();
  });

  it('sets and clears the editing marker, which the org index lists with the member', async () => {
    const staffId = '0b3a2a9e-8f1c-4d2e-9a7b-1c2d3e4f5a6b';
    await store.put(record('e-1', 'org-edit'));
    await store.put(record('e-2', 'org-edit'));

    const marked = await store.setEditing('e-1', staffId, 1_700_000_100_000);
    expect(marked).toEqual({ connectionId: 'e-1', userId: 'user-e-1', role: 'manager', connectedAt: 1_700_000_000_123, editing: { staffId, at: 1_700_000_100_000 } });
    const members = await store.listOrgMembers('org-edit');
    expect(members.find((member) => member.connectionId === 'e-1')?.editing).toEqual({ staffId, at: 1_700_000_100_000 });
    expect(members.find((member) => member.connectionId === 'e-2')).not.toHaveProperty('editing');

    const cleared = await store.setEditing('e-1', null, 1_700_000_200_000);
    expect(cleared).not.toHaveProperty('editing');
    expect((await store.listOrgMembers('org-edit')).every((member) => member.editing === undefined)).toBe(true);
    // The record keeps what it had: the marker is changed in place, never put over it.
    expect(await store.get('e-1')).toEqual(record('e-1', 'org-edit'));
  });
});

describe('expiresAtFor', () => {
  it('is the token exp plus the margin when the token expires within 2 hours', () => {
    expect(expiresAtFor(1_700_000_600, 1_700_000_000_000)).toBe(1_700_000_900);
  });

  it('is connect + 2 hours plus the margin when the token outlives the connection', () => {
    expect(expiresAtFor(1_800_000_000, 1_700_000_000_000, 60)).toBe(1_700_000_000 + 7200 + 60);
  });
});

describe('connection store failures', () => {
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }));
  const mock = mockClient(documents);
  const store = createConnectionStore({ client: documents, tableName: 'connections' });
  afterEach(() => mock.reset());
  afterAll(() => mock.restore());

  const codeOf = (promise: Promise<unknown>): Promise<string | undefined> =>
    promise.then(
      () => undefined,
      (error: unknown) => (error instanceof StaffSyncError ? error.code : `not a StaffSyncError: ${String(error)}`),
    );

  it('maps throttling, timeouts and 5xx to UPSTREAM_UNAVAILABLE', async () => {
    mock.on(PutCommand).rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: { httpStatusCode: 400 } }));
    const timeout = Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    mock.on(GetCommand).rejects(timeout);
    mock.on(DeleteCommand).rejects(Object.assign(new Error('oops'), { name: 'InternalServerError', $metadata: { httpStatusCode: 500 } }));
    mock.on(QueryCommand).rejects(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    mock.on(UpdateCommand).rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));

    const codes = await Promise.all([
      codeOf(store.put(record('c', 'o'))),
      codeOf(store.get('c')),
      codeOf(store.delete('c')),
      codeOf(collect(store.listOrgPages('o', 10))),
      codeOf(store.watchPresence('c')),
      codeOf(store.setEditing('c', null, 1)),
      codeOf(store.subscribe('c', ['ICU'])),
    ]);
    expect(codes).toEqual(Array(7).fill('UPSTREAM_UNAVAILABLE'));
  });

  it('maps anything else to INTERNAL, keeping the cause', async () => {
    const cause = new ResourceNotFoundException({ message: 'no table', $metadata: { httpStatusCode: 400 } });
    mock.on(PutCommand).rejects(cause);

    const error = await store.put(record('c', 'o')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INTERNAL', cause });
  });
});

describe('local DynamoDB', () => {
  it('keeps the table but clears every record at start (persisted path)', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'staff-sync-dynamo-'));
    try {
      const first = await startLocalDynamo({ path: dir });
      const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: first.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }));
      await createConnectionStore({ client: documents, tableName: first.tableName }).put(record('left-over', 'org-a'));
      documents.destroy();
      await first.close();

      const second = await startLocalDynamo({ path: dir });
      const again = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: second.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }));
      const stored = await createConnectionStore({ client: again, tableName: second.tableName }).get('left-over');
      again.destroy();
      await second.close();

      expect(stored).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
