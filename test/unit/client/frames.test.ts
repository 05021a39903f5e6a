import { StaffSyncError } from '../../../shared/errors';
import { ackFrame, broadcastFrame, errorFrame, pongFrame, serverFrameSchema, syncResponseFrame } from '../../../shared/protocol/server-frames';
import { MAX_OUTGOING_FRAME_BYTES, checkOutgoing, parseServerFrame } from '../../../client/src/frames';
import { presenceLeaveFrame, presenceMemberFrame, presenceSnapshotFrame } from '../../../shared/presence';
import { change, staff } from './fixtures';

const member = { memberId: 'm1', userId: 'u1', role: 'manager' as const, connectedAt: '2026-12-07T10:00:00.000Z', editing: null };
const editingMember = { ...member, editing: { staffId: staff({ n: 1 }).id, at: '2026-12-07T10:01:00.000Z' } };

const record = staff({ n: 1, version: 2 });
const aChange = change(7, record);

const protocolFrames = {
  ack: ackFrame('r1', { change: aChange, merged: true }),
  noOpAck: ackFrame('r2', { change: null, current: record }),
  broadcast: broadcastFrame(aChange),
  delta: syncResponseFrame('r3', { mode: 'delta', changes: [aChange], seq: 7, hasMore: true, cursor: 'abc' }),
  snapshot: syncResponseFrame(undefined, { mode: 'snapshot', staff: [record], seq: 7, hasMore: false }),
  pong: pongFrame('r4', 7),
  presenceSnapshot: presenceSnapshotFrame('r6', 'm1', [member, editingMember]),
  presenceJoin: presenceMemberFrame('join', member),
  presenceUpdateReply: presenceMemberFrame('update', editingMember, 'r7'),
  presenceLeave: presenceLeaveFrame('m1'),
  conflict: errorFrame('r5', new StaffSyncError('VERSION_CONFLICT', 'changed meanwhile', { current: record })),
  forbidden: errorFrame(undefined, new StaffSyncError('FORBIDDEN', 'viewer')),
};

describe('parseServerFrame', () => {
  it.each(Object.entries(protocolFrames))('accepts the %s frame the server builds (and the shared schema agrees)', (_name, frame) => {
    const text = JSON.stringify(frame);

    const parsed = parseServerFrame(text);

    expect(serverFrameSchema.safeParse(JSON.parse(text)).success).toBe(true);
    expect(parsed).toEqual({ ok: true, frame: JSON.parse(text) });
  });

  const notProtocol: Array<[string, unknown]> = [
    ['API Gateway internal error', JSON.stringify({ message: 'Internal server error', connectionId: 'abc=', requestId: 'xyz=' })],
    ['binary data', new Uint8Array([1, 2, 3])],
    ['text that is not JSON', 'hello'],
    ['a JSON array', '[]'],
    ['an unknown type', JSON.stringify({ type: 'HELLO' })],
    ['a broadcast without a change seq', JSON.stringify({ type: 'STAFF_UPDATE', change: { ...aChange, seq: undefined } })],
    ['an ERROR with an unknown code', JSON.stringify({ type: 'ERROR', code: 'TEAPOT', message: 'short and stout' })],
    ['a PONG with a negative seq', JSON.stringify({ type: 'PONG', serverTime: 'now', seq: -1 })],
    ['a PRESENCE of an unknown event', JSON.stringify({ type: 'PRESENCE', event: 'wave', member })],
    ['a PRESENCE snapshot without self', JSON.stringify({ type: 'PRESENCE', event: 'snapshot', members: [member] })],
    ['a PRESENCE join whose marker has no staffId', JSON.stringify({ type: 'PRESENCE', event: 'join', member: { ...member, editing: { at: 'now' } } })],
    ['a PRESENCE leave without memberId', JSON.stringify({ type: 'PRESENCE', event: 'leave' })],
  ];

  it.each(notProtocol)('reports %s as BAD_FRAME (and the shared schema agrees)', (_name, data) => {
    const parsed = parseServerFrame(data);

    if (typeof data === 'string' && data.startsWith('{')) expect(serverFrameSchema.safeParse(JSON.parse(data)).success).toBe(false);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error.code).toBe('BAD_FRAME');
  });

  it('refuses a change whose record is another id (stricter than the schema: it would corrupt the state)', () => {
    const parsed = parseServerFrame(JSON.stringify({ type: 'STAFF_UPDATE', change: { ...aChange, staffId: staff({ n: 9 }).id } }));
    expect(parsed.ok).toBe(false);
  });
});

describe('checkOutgoing', () => {
  it('refuses a write the gateway would answer by closing the socket', () => {
    const frame = { type: 'STAFF_CREATE' as const, requestId: 'r', payload: { staff: { name: 'x', metadata: { pad: 'x'.repeat(MAX_OUTGOING_FRAME_BYTES) } } } };
    expect(checkOutgoing(frame)?.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('lets an ordinary write through', () => {
    expect(checkOutgoing({ type: 'STAFF_DELETE', requestId: 'r', payload: { staffId: staff().id, baseVersion: 1 } })).toBeUndefined();
  });
});
