/**
 * The SDK's written-out wire types against the shared schemas' inferred types. Most of this test
 * is the type-check (`npm test` runs `tsc --noEmit` first): each `Same<…>` line fails to compile
 * when a field, an optionality or a literal differs in either direction.
 */
import type * as client from '../../../client/src/protocol';
import type * as staff from '../../../shared/protocol/staff';
import type * as frames from '../../../shared/protocol/client-frames';
import type * as input from '../../../shared/protocol/staff-input';
import type * as server from '../../../shared/protocol/server-frames';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? (Equal<A, B> extends true ? true : 'differs only in modifiers') : 'B is wider') : 'A is wider';
const same = <T extends true>(value: T): T => value;

describe('client wire types', () => {
  it('are the types the shared protocol schemas define', () => {
    const checks: true[] = [
      same<Same<client.Staff, staff.Staff>>(true),
      // Nested records compare one level at a time (the identity check does not see an interface
      // and an equal object type as the same when one is nested).
      same<Same<Omit<client.Change, 'staff'>, Omit<staff.Change, 'staff'>>>(true),
      same<Same<client.Change['staff'], staff.Change['staff']>>(true),
      same<Same<client.StaffInput, input.StaffInput>>(true),
      same<Same<client.StaffChanges, input.StaffChanges>>(true),
      same<Same<Omit<Extract<client.WriteFrame, { type: 'STAFF_CREATE' }>, 'payload'>, Omit<frames.StaffCreateFrame, 'payload'>>>(true),
      same<Same<Extract<client.WriteFrame, { type: 'STAFF_CREATE' }>['payload']['staff'], frames.StaffCreateFrame['payload']['staff']>>(true),
      same<Same<Omit<Extract<client.WriteFrame, { type: 'STAFF_UPDATE' }>, 'payload'>, Omit<frames.StaffUpdateFrame, 'payload'>>>(true),
      same<Same<Omit<Extract<client.WriteFrame, { type: 'STAFF_UPDATE' }>['payload'], 'changes'>, Omit<frames.StaffUpdateFrame['payload'], 'changes'>>>(true),
      same<Same<Extract<client.WriteFrame, { type: 'STAFF_UPDATE' }>['payload']['changes'], frames.StaffUpdateFrame['payload']['changes']>>(true),
      same<Same<Omit<Extract<client.WriteFrame, { type: 'STAFF_DELETE' }>, 'payload'>, Omit<frames.StaffDeleteFrame, 'payload'>>>(true),
      same<Same<Extract<client.WriteFrame, { type: 'STAFF_DELETE' }>['payload'], frames.StaffDeleteFrame['payload']>>(true),
      same<Same<Omit<Extract<client.WriteFrame, { type: 'STAFF_BATCH' }>, 'payload'>, Omit<frames.StaffBatchFrame, 'payload'>>>(true),
      same<Same<Extract<client.BatchOperation, { op: 'create' }>['staff'], Extract<frames.BatchOperation, { op: 'create' }>['staff']>>(true),
      same<Same<Omit<Extract<client.BatchOperation, { op: 'update' }>, 'changes'>, Omit<Extract<frames.BatchOperation, { op: 'update' }>, 'changes'>>>(true),
      same<Same<Extract<client.BatchOperation, { op: 'update' }>['changes'], Extract<frames.BatchOperation, { op: 'update' }>['changes']>>(true),
      same<Same<Extract<client.BatchOperation, { op: 'delete' }>, Extract<frames.BatchOperation, { op: 'delete' }>>>(true),
      same<Same<client.BatchResult, server.BatchOperationResult>>(true),
      same<Same<client.PresenceMember, server.PresenceMember>>(true),
    ];
    expect(checks).toHaveLength(19);
  });
});
