/** Wire-form staff records and changes for the client's unit tests. */
import type { Change, Staff } from '../../../shared/protocol/staff';
import { staff } from '../../helpers/staff-fixtures';

export { staff };


export function change(seq: number, record: Staff, op: Change['op'] = record.version === 1 ? 'create' : 'update'): Change {
  return {
    seq,
    op,
    staffId: record.id,
    version: record.version,
    staff: record,
    changedFields: op === 'create' ? ['name'] : ['name'],
    actor: 'user-1',
    origin: 'ws',
    at: '2025-01-01T00:00:00.000Z',
    deptSeqs: {},
  };
}

export const seqs = (changes: readonly Change[]) => changes.map((c) => c.seq);
