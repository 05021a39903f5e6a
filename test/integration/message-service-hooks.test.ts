/**
 * The message service's `onWrite` hook (the message Lambda starts the org-index read there, so
 * it overlaps the write's RPC): called once for an authorised write, before the store answers;
 * never for reads, refused or malformed frames. Real staff store on the local RPC endpoint.
 */
import { randomUUID } from 'node:crypto';
import type { LocalSupabase } from '../../infra/local/db';
import type { Identity } from '../../shared/auth';
import { createMessageService, type MessageService } from '../../shared/message-service';
import type { Role } from '../../shared/protocol/roles';
import { createStaffStore } from '../../shared/staff-store';
import { createConnectionStore } from '../../shared/connection-store';
import { startTestDynamo, type TestDynamo } from '../helpers/dynalite';
import { startTestSupabase } from '../helpers/local-supabase';

let supabase: LocalSupabase;
let dynamo: TestDynamo;
let service: MessageService;
let rpcsAnswered = 0;

beforeAll(async () => {
  [supabase, dynamo] = await Promise.all([startTestSupabase(), startTestDynamo()]);
  const connections = createConnectionStore({ client: dynamo.documents, tableName: dynamo.tableName });
  const countingFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    rpcsAnswered += 1;
    return response;
  };
  service = createMessageService({ connections, staffStore: createStaffStore({ url: supabase.url, serviceKey: supabase.serviceKey, fetch: countingFetch }) });
}, 60_000);

afterAll(async () => {
  await supabase?.close();
  await dynamo?.close();
});

const orgId = `org-${randomUUID().slice(0, 8)}`;
const identity = (role: Role, tokenExp = Math.floor(Date.now() / 1000) + 3600): Identity => ({ userId: `u-${role}`, orgId, role, tokenExp });

/** The RPCs answered before each `onWrite` call, and the reply. */
async function send(frame: unknown, role: Role = 'manager', tokenExp?: number): Promise<{ hookCalls: number[]; reply: { type: string; code?: string } }> {
  const hookCalls: number[] = [];
  const outcome = await service.handle(
    { connectionId: 'hooks-connection', body: typeof frame === 'string' ? frame : JSON.stringify(frame), isBinary: false, identity: identity(role, tokenExp), receivedAt: new Date() },
    { onWrite: () => hookCalls.push(rpcsAnswered) },
  );
  return { hookCalls, reply: outcome.reply as { type: string; code?: string } };
}

describe('onWrite', () => {
  it('is called once for an authorised write, before the write RPC answers', async () => {
    const before = rpcsAnswered;
    const { hookCalls, reply } = await send({ type: 'STAFF_CREATE', requestId: randomUUID(), payload: { staff: { name: 'Ada' } } });
    expect(reply.type).toBe('ACK');
    expect(hookCalls).toEqual([before]);
    expect(rpcsAnswered).toBe(before + 1);
  });

  it.each([
    ['PING', { type: 'PING' }, 'manager', 'PONG'],
    ['SYNC_REQUEST', { type: 'SYNC_REQUEST' }, 'manager', 'SYNC_RESPONSE'],
    ['a viewer write (FORBIDDEN)', { type: 'STAFF_CREATE', requestId: 'r1', payload: { staff: { name: 'Ada' } } }, 'viewer', 'ERROR'],
    ['a malformed frame', '{"type":"STAFF_CREATE"', 'manager', 'ERROR'],
    ['an invalid write (VALIDATION_FAILED)', { type: 'STAFF_CREATE', requestId: 'r2', payload: { staff: { name: '' } } }, 'manager', 'ERROR'],
  ] as const)('is not called for %s', async (_name, frame, role, replyType) => {
    const { hookCalls, reply } = await send(frame, role);
    expect(reply.type).toBe(replyType);
    expect(hookCalls).toEqual([]);
  });

  it('is not called after the token expired', async () => {
    const { hookCalls, reply } = await send({ type: 'STAFF_CREATE', requestId: 'r3', payload: { staff: { name: 'Ada' } } }, 'manager', Math.floor(Date.now() / 1000) - 1);
    expect(reply).toMatchObject({ type: 'ERROR', code: 'TOKEN_EXPIRED' });
    expect(hookCalls).toEqual([]);
  });
});
