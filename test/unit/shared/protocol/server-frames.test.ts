import { StaffSyncError } from '../../../../shared/errors';
import {
  ackFrame,
  broadcastFrame,
  errorFrame,
  pongFrame,
  serverFrameSchema,
  syncResponseFrame,
} from '../../../../shared/protocol/server-frames';
import type { Change, Staff } from '../../../../shared/protocol/staff';
import { staff as staffRecord } from '../../../helpers/staff-fixtures';

const staff: Staff = staffRecord({ id: '0b3a2a9e-8f1c-4d2e-9a7b-1c2d3e4f5a6b', name: 'Ann', version: 2, createdAt: '2024-01-01T00:00:00.000Z', updatedAt: '2024-01-02T00:00:00.000Z' });

const change = (op: Change['op']): Change => ({
  seq: 7,
  op,
  staffId: staff.id,
  version: 2,
  staff,
  changedFields: ['name'],
  actor: 'user-1',
  origin: 'ws',
  at: '2024-01-02T00:00:00.000Z',
  deptSeqs: {},
});

describe('server frame builders', () => {
  it('builds an ACK for a committed write', () => {
    expect(ackFrame('r1', { change: change('update') })).toEqual({ type: 'ACK', requestId: 'r1', change: change('update') });
  });

  it('builds a merged ACK and ignores store-only fields', () => {
    const frame = ackFrame('r1', { change: change('update'), merged: true, replayed: false } as never);
    expect(frame).toEqual({ type: 'ACK', requestId: 'r1', change: change('update'), merged: true });
  });

  it('builds a no-op ACK with the current record', () => {
    expect(ackFrame('r1', { change: null, current: staff })).toEqual({ type: 'ACK', requestId: 'r1', change: null, current: staff });
  });

  it.each([
    ['create', 'STAFF_CREATE'],
    ['update', 'STAFF_UPDATE'],
    ['delete', 'STAFF_DELETE'],
  ] as const)('names a %s broadcast %s', (op, type) => {
    expect(broadcastFrame(change(op))).toEqual({ type, change: change(op) });
  });

  it('builds a SYNC_RESPONSE page, leaving out absent parts', () => {
    expect(syncResponseFrame('s1', { mode: 'delta', changes: [change('create')], seq: 7, hasMore: false })).toEqual({
      type: 'SYNC_RESPONSE',
      requestId: 's1',
      mode: 'delta',
      changes: [change('create')],
      seq: 7,
      hasMore: false,
    });
    expect(syncResponseFrame(undefined, { mode: 'snapshot', staff: [staff], seq: 9, hasMore: true, cursor: 'c' })).toEqual({
      type: 'SYNC_RESPONSE',
      mode: 'snapshot',
      staff: [staff],
      seq: 9,
      hasMore: true,
      cursor: 'c',
    });
  });

  it('builds a PONG with the server time and latest seq', () => {
    const now = new Date('2024-05-01T12:00:00Z');
    expect(pongFrame('p1', 0, now)).toEqual({ type: 'PONG', requestId: 'p1', serverTime: '2024-05-01T12:00:00.000Z', seq: 0 });
    expect(pongFrame(undefined, 3, now)).toEqual({ type: 'PONG', serverTime: '2024-05-01T12:00:00.000Z', seq: 3 });
  });

  it('builds an ERROR with details and the current record', () => {
    const conflict = new StaffSyncError('VERSION_CONFLICT', 'stale', { current: staff });
    expect(errorFrame('r1', conflict)).toEqual({ type: 'ERROR', requestId: 'r1', code: 'VERSION_CONFLICT', message: 'stale', current: staff });
    const invalid = new StaffSyncError('VALIDATION_FAILED', 'bad', { details: [{ path: 'payload.staff.name', message: 'x' }] });
    expect(errorFrame(undefined, invalid)).toEqual({
      type: 'ERROR',
      code: 'VALIDATION_FAILED',
      message: 'bad',
      details: [{ path: 'payload.staff.name', message: 'x' }],
    });
  });
});

describe('serverFrameSchema', () => {
  it('parses every frame the builders make', () => {
    const frames = [
      ackFrame('r', { change: change('create') }),
      ackFrame('r', { change: null, current: staff }),
      broadcastFrame(change('delete')),
      syncResponseFrame('s', { mode: 'snapshot', staff: [staff], seq: 1, hasMore: false }),
      pongFrame(undefined, 0),
      errorFrame('r', new StaffSyncError('FORBIDDEN', 'no')),
    ];
    for (const frame of frames) expect(serverFrameSchema.parse(frame)).toEqual(frame);
  });

  it('ignores fields it does not know (forward-compatible clients)', () => {
    expect(serverFrameSchema.parse({ type: 'PONG', serverTime: 't', seq: 1, extra: true })).toEqual({ type: 'PONG', serverTime: 't', seq: 1 });
  });

  it('refuses an unknown error code and a gateway error message', () => {
    expect(serverFrameSchema.safeParse({ type: 'ERROR', code: 'NOPE', message: 'x' }).success).toBe(false);
    expect(serverFrameSchema.safeParse({ message: 'Internal server error', connectionId: 'c', requestId: 'r' }).success).toBe(false);
  });
});
