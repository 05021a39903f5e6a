/**
 * The client SDK against a running stage over real sockets: convergence, typed errors, a
 * connection closed by the gateway, and an expired token.
 */
import { randomUUID } from 'node:crypto';
import { ApiGatewayManagementApiClient, DeleteConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { decodeJwt } from 'jose';
import WebSocket from 'ws';
import { connect, type Change, type ConnectOptions, type StaffSyncClient, type TokenProvider } from '../../client/src';
import { connectionIdsOf } from './support/connections';
import { logLinesWithTokens, rememberToken } from './support/hygiene';
import { itLocal, newOrgId, signToken, stage, tokenFor, type TokenOptions } from './support/stage';

const clients: StaffSyncClient[] = [];

function open(token: TokenProvider, options: ConnectOptions = {}): StaffSyncClient {
  const client = connect(stage.wsUrl, token, { WebSocket, requestTimeoutMs: 5000, reconnect: { initialDelayMs: 200 }, ...options });
  clients.push(client);
  return client;
}

/** A token callback for one user (the same `sub` every time, as a real session's refresh gives). */
const tokens = (options: TokenOptions) => {
  const sub = options.sub ?? randomUUID();
  return jest.fn<Promise<string>, Parameters<TokenProvider>>(async () => rememberToken(await tokenFor({ ...options, sub })));
};

/** Resolves when the predicate holds, checked on every event of the client. */
function until(client: StaffSyncClient, predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      for (const off of offs) off();
    };
    const check = () => {
      if (!predicate()) return;
      done();
      resolve();
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`timed out waiting for ${what}; status ${client.status}, lastSeq ${client.state.lastSeq}`));
    }, timeoutMs);
    const offs = [client.on('state', check), client.on('status', check), client.on('change', check)];
    check();
  });
}

const comparable = (client: StaffSyncClient) => client.list().map(({ id, name, position, version }) => ({ id, name, position, version }));

afterAll(() => {
  for (const client of clients) client.close();
  expect(logLinesWithTokens()).toEqual([]);
});

describe('client SDK against the stage', () => {
  it('keeps two clients of one org converged', async () => {
    const orgId = newOrgId();
    const a = open(tokens({ orgId }));
    const b = open(tokens({ orgId, role: 'admin' }));
    await Promise.all([a.ready(), b.ready()]);

    const { staff: ada } = await a.create({ name: 'Ada', position: 'Nurse' });
    const { staff: bob } = await b.create({ name: 'Bob' });
    await until(a, () => a.get(bob.id) !== undefined, 'a to see bob');
    await b.update(ada.id, { position: 'Head nurse' });
    await a.remove(bob.id);
    await until(b, () => b.state.lastSeq === a.state.lastSeq && a.state.lastSeq === 4, 'both at seq 4');

    expect(comparable(b)).toEqual(comparable(a));
    expect(a.list()).toEqual([expect.objectContaining({ name: 'Ada', position: 'Head nurse', version: 2 })]);
  });

  it('rejects with typed errors carrying the protocol code', async () => {
    const orgId = newOrgId();
    const a = open(tokens({ orgId }));
    const b = open(tokens({ orgId }));
    const viewer = open(tokens({ orgId, role: 'viewer' }));
    await Promise.all([a.ready(), b.ready(), viewer.ready()]);
    const { staff } = await a.create({ name: 'Cleo', position: 'Porter' });
    await a.update(staff.id, { position: 'Driver' });

    const conflict = await b.update(staff.id, { position: 'Cook' }, 1).catch((error: unknown) => error);
    const forbidden = await viewer.create({ name: 'Nope' }).catch((error: unknown) => error);
    const missing = await a.update('7d1a54f4-3b7e-4c59-9a53-0a6a2b0f2f11', { name: 'x' }, 1).catch((error: unknown) => error);
    const invalid = await a.create({ name: 'Dee', email: 'not an e-mail' }).catch((error: unknown) => error);

    expect(conflict).toMatchObject({ name: 'StaffSyncClientError', code: 'VERSION_CONFLICT', current: { id: staff.id, version: 2, position: 'Driver' } });
    expect(b.get(staff.id)?.version).toBe(2);
    expect(forbidden).toMatchObject({ code: 'FORBIDDEN' });
    expect(missing).toMatchObject({ code: 'NOT_FOUND' });
    expect(invalid).toMatchObject({ code: 'VALIDATION_FAILED', details: [expect.objectContaining({ path: 'payload.staff.email' })] });
  });

  itLocal('reconnects after the gateway closes the connection and resyncs with nothing missed', async () => {
    const orgId = newOrgId();
    let letIn: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (letIn = resolve));
    const provider = tokens({ orgId });
    const observed = open(async (context) => {
      if (provider.mock.calls.length > 0) await gate;
      return provider(context);
    });
    await observed.ready();
    const [connectionId] = await connectionIdsOf(orgId);
    const writer = open(tokens({ orgId }));
    await writer.ready();
    const seen: Change[] = [];
    observed.on('change', (change) => seen.push(change));

    const management = new ApiGatewayManagementApiClient({ endpoint: stage.httpUrl, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    await management.send(new DeleteConnectionCommand({ ConnectionId: connectionId! }));
    management.destroy();
    await until(observed, () => observed.status === 'reconnecting', 'the drop to be noticed');
    for (const name of ['Eve', 'Finn', 'Gus']) await writer.create({ name });
    letIn();
    await until(observed, () => observed.state.lastSeq === writer.state.lastSeq && observed.state.synced, 'the resync');

    expect(seen.map((change) => change.seq)).toEqual([1, 2, 3]);
    expect(comparable(observed)).toEqual(comparable(writer));
    expect(provider).toHaveBeenCalledTimes(2);
  }, 30_000);

  it('reconnects with a fresh token after TOKEN_EXPIRED, and the write that met it goes through', async () => {
    const orgId = newOrgId();
    let calls = 0;
    let firstExpMs = 0;
    const sub = randomUUID();
    const provider = jest.fn<Promise<string>, Parameters<TokenProvider>>(async () => {
      const token = await tokenFor({ orgId, sub, expiresInSeconds: ++calls === 1 ? 2 : 3600 });
      if (calls === 1) firstExpMs = decodeJwt(token).exp! * 1000;
      return rememberToken(token);
    });
    const client = open(provider);
    await client.ready();
    const statuses: string[] = [];
    client.on('status', (status) => statuses.push(status));
    // Until the first token's own `exp` has passed (the stage refuses a frame received at or after it),
    // however late the callback signed it.
    while (Date.now() < firstExpMs) await new Promise((resolve) => setTimeout(resolve, firstExpMs - Date.now()));

    const { staff } = await client.create({ name: 'Hal' });

    expect(provider).toHaveBeenCalledTimes(2);
    expect(provider.mock.calls[1]).toEqual([{ forceRefresh: true }]);
    expect(statuses).toEqual(['reconnecting', 'open']);
    const other = open(tokens({ orgId }));
    await other.ready();
    expect(other.get(staff.id)?.name).toBe('Hal');
  }, 20_000);
});

describe('client.subscribe against the stage', () => {
  const inIcu = (client: StaffSyncClient) => client.list().filter((record) => record.department === 'ICU');

  it('holds exactly the records of its departments as records are created, moved in and out and deleted', async () => {
    const orgId = newOrgId();
    const writer = open(tokens({ orgId }));
    await writer.ready();
    const { staff: before } = await writer.create({ name: 'Before', department: 'ICU' });
    await writer.create({ name: 'Lab one', department: 'Lab' });
    const icu = open(tokens({ orgId, role: 'viewer' }), { departments: ['ICU'] });
    await icu.ready();
    expect(icu.list().map((record) => record.name)).toEqual(['Before']);
    const seen: Change[] = [];
    icu.on('change', (change) => seen.push(change));

    const { staff: ada } = await writer.create({ name: 'Ada', department: 'ICU' });
    const { staff: lab } = await writer.create({ name: 'Lab two', department: 'Lab' });
    await writer.update(ada.id, { department: 'Lab' });
    await writer.update(lab.id, { department: 'ICU' });
    await writer.update(before.id, { position: 'Head nurse' });
    const last = await writer.remove(before.id);
    await until(icu, () => icu.state.deptSeqs.ICU === last.deptSeqs.ICU && icu.state.synced, 'the ICU view to reach the delete');

    expect(comparable(icu)).toEqual(inIcu(writer).map(({ id, name, position, version }) => ({ id, name, position, version })));
    expect(icu.list().map((record) => record.name)).toEqual(['Lab two']);
    // Every ICU change, once each, in ICU order: the create, the move out, the move in, the update, the delete.
    expect(seen.map((change) => change.deptSeqs.ICU)).toEqual([2, 3, 4, 5, 6]);
  });

  itLocal('catches up after a drop from where each of its departments stood', async () => {
    const orgId = newOrgId();
    let letIn: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (letIn = resolve));
    const provider = tokens({ orgId });
    const icu = open(
      async (context) => {
        if (provider.mock.calls.length > 0) await gate;
        return provider(context);
      },
      { departments: ['ICU'] },
    );
    await icu.ready();
    const [connectionId] = await connectionIdsOf(orgId);
    const writer = open(tokens({ orgId }));
    await writer.ready();

    const management = new ApiGatewayManagementApiClient({ endpoint: stage.httpUrl, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    await management.send(new DeleteConnectionCommand({ ConnectionId: connectionId! }));
    management.destroy();
    await until(icu, () => icu.status === 'reconnecting', 'the drop to be noticed');
    for (const name of ['Eve', 'Finn']) await writer.create({ name, department: 'ICU' });
    await writer.create({ name: 'Gus', department: 'Lab' });
    letIn();
    await until(icu, () => icu.state.deptSeqs.ICU === 2 && icu.state.synced, 'the ICU resync');

    expect(icu.list().map((record) => record.name)).toEqual(['Eve', 'Finn']);
    expect(icu.state.departments).toEqual(['ICU']);
    // The new connection was subscribed again: a Lab change does not reach it, an ICU one does.
    await writer.create({ name: 'Lab two', department: 'Lab' });
    const { staff: ida } = await writer.create({ name: 'Ida', department: 'ICU' });
    await until(icu, () => icu.get(ida.id) !== undefined, 'the ICU broadcast');
    expect(icu.state.deptSeqs).toEqual({ ICU: 3 });
  }, 30_000);

  it("follows a token's departments without being told, and the writes it makes elsewhere stay out of its view", async () => {
    const orgId = newOrgId();
    const writer = open(tokens({ orgId }));
    await writer.ready();
    await writer.create({ name: 'Ward one', department: 'Ward' });
    await writer.create({ name: 'ICU one', department: 'ICU' });
    const sub = randomUUID();
    const limited = open(async () => rememberToken(await signToken({ app_metadata: { org_id: orgId, staff_role: 'manager', departments: ['ICU'] } }, { sub })));
    await limited.ready();

    expect(limited.state.departments).toEqual(['ICU']);
    expect(limited.list().map((record) => record.name)).toEqual(['ICU one']);
    const outside = await limited.create({ name: 'Lab one', department: 'Lab' });
    await limited.sync();
    expect(outside.deptSeqs).toEqual({ Lab: 1 });
    expect(limited.get(outside.staffId)).toBeUndefined();
    await expect(limited.subscribe(['Ward'])).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
