/**
 * How the staff store turns PostgREST failures into the codes of docs/protocol.md §4, by code
 * only: a server that misbehaves on purpose answers each call as the test scripts it (status,
 * body, delay, silence).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StaffSyncError } from '../../shared/errors';
import type { Staff } from '../../shared/protocol/staff';
import { staff } from '../helpers/staff-fixtures';
import { createStaffStore, type StaffStore } from '../../shared/staff-store';
import { makeServiceRoleKey } from '../../infra/local/db';

interface Scripted {
  status: number;
  body?: string;
  /** Never answer. */
  hang?: boolean;
}

const STAFF: Staff = staff({ id: '0b9f2d8e-6c1a-4e55-9f0e-2a7c4b1d3e5f', name: 'Current', version: 4, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-02T00:00:00.000Z' });

let server: Server;
let url: string;
let next: Scripted = { status: 200, body: 'null' };
const ctx = { orgId: 'org-1', userId: 'user-1' };

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    if (next.hang) return; // the socket stays open and silent
    res.writeHead(next.status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(next.body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const storeFor = (timeoutMs = 2000): StaffStore =>
  createStaffStore({ url, serviceKey: makeServiceRoleKey('misbehaving-server-secret-32-characters'), timeoutMs });

const pgError = (code: string, details: string | null = null) => JSON.stringify({ code, message: `raised ${code}`, details, hint: null });

async function failure(promise: Promise<unknown>): Promise<StaffSyncError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof StaffSyncError) return error;
    throw error;
  }
  throw new Error('expected a StaffSyncError');
}

const update = (store: StaffStore) => store.update(ctx, 'req-1', STAFF.id, 3, { name: 'Mine' });

it.each([
  ['PT404', 404, 'NOT_FOUND', null],
  ['PT422', 422, 'VALIDATION_FAILED', '[{"path":"payload.changes.email","message":"must be an e-mail"}]'],
  ['PT413', 413, 'PAYLOAD_TOO_LARGE', '[{"path":"payload.changes.metadata","message":"too large"}]'],
  ['55P03', 500, 'UPSTREAM_UNAVAILABLE', null],
  ['57014', 500, 'UPSTREAM_UNAVAILABLE', null],
  ['40001', 500, 'UPSTREAM_UNAVAILABLE', null],
  ['40P01', 500, 'UPSTREAM_UNAVAILABLE', null],
  ['08006', 503, 'UPSTREAM_UNAVAILABLE', null],
  ['53300', 503, 'UPSTREAM_UNAVAILABLE', null],
  ['PGRST003', 504, 'UPSTREAM_UNAVAILABLE', null],
  ['PGRST000', 503, 'UPSTREAM_UNAVAILABLE', null],
  ['XX000', 500, 'INTERNAL', null],
  ['42883', 404, 'INTERNAL', null],
  ['PGRST202', 404, 'INTERNAL', null],
  ['42501', 401, 'INTERNAL', null],
  ['23505', 409, 'INTERNAL', null],
])('maps %s (HTTP %i) to %s', async (code, status, expected, details) => {
  next = { status, body: pgError(code, details) };
  const error = await failure(update(storeFor()));
  expect(error.code).toBe(expected);
  if (details) expect(error.details).toEqual(JSON.parse(details));
});

it('maps PT409 to VERSION_CONFLICT with the current record from DETAIL', async () => {
  next = { status: 409, body: pgError('PT409', JSON.stringify({ current: STAFF })) };
  const error = await failure(update(storeFor()));
  expect(error.code).toBe('VERSION_CONFLICT');
  expect(error.current).toEqual(STAFF);
});

it('treats a PT409 without a valid current record as a contract bug (INTERNAL)', async () => {
  next = { status: 409, body: pgError('PT409', '{"current":{"id":"nope"}}') };
  expect((await failure(update(storeFor()))).code).toBe('INTERNAL');
});

it('ignores the message: a PT404 worded like a conflict is still NOT_FOUND', async () => {
  next = { status: 404, body: JSON.stringify({ code: 'PT404', message: 'version conflict, lock timeout', details: null, hint: null }) };
  expect((await failure(update(storeFor()))).code).toBe('NOT_FOUND');
});

it.each([
  [502, '<html>Bad Gateway</html>'],
  [503, 'upstream connect error'],
  [500, ''],
])('maps a gateway answer %i without a code to UPSTREAM_UNAVAILABLE', async (status, body) => {
  next = { status, body };
  expect((await failure(update(storeFor()))).code).toBe('UPSTREAM_UNAVAILABLE');
});

it('maps a result outside the data contract to INTERNAL', async () => {
  next = { status: 200, body: '{"change": {"seq": "one"}}' };
  expect((await failure(update(storeFor()))).code).toBe('INTERNAL');
  next = { status: 200, body: '"7"' };
  expect(await storeFor().latestSeq('org-1')).toBe(7);
});

it('gives up on a server that never answers after its timeout, as UPSTREAM_UNAVAILABLE', async () => {
  next = { status: 200, hang: true };
  const started = Date.now();
  const error = await failure(update(storeFor(300)));
  expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
  expect(Date.now() - started).toBeLessThan(2000);
  await expect(storeFor(5000).health(AbortSignal.timeout(200))).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
});

it('maps a refused connection to UPSTREAM_UNAVAILABLE', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const { port } = closed.address() as AddressInfo;
  await new Promise((resolve) => closed.close(resolve));
  const store = createStaffStore({ url: `http://127.0.0.1:${port}`, serviceKey: 'sb_secret_x' });
  expect((await failure(store.latestSeq('org-1'))).code).toBe('UPSTREAM_UNAVAILABLE');
});
