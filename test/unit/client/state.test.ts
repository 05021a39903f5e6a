import { LocalState } from '../../../client/src/state';
import type { Change, Staff } from '../../../shared/protocol/staff';
import { change, seqs, staff } from './fixtures';

describe('LocalState', () => {
  it('takes changes in seq order and buffers the ones that arrive early', () => {
    const state = new LocalState();
    const a = staff({ n: 1 });
    const b = staff({ n: 2 });

    const first = state.receive([change(2, b)]);
    const second = state.receive([change(1, a)]);

    expect(first).toEqual([]);
    expect(state.hasGap).toBe(false);
    expect(seqs(second)).toEqual([1, 2]);
    expect(state.lastSeq).toBe(2);
    expect([...state.staff.keys()]).toEqual([a.id, b.id]);
  });

  it('drops a change whose seq it already took', () => {
    const state = new LocalState();
    const a = staff({ n: 1 });
    state.receive([change(1, a)]);

    const again = state.receive([change(1, { ...a, name: 'changed' })]);

    expect(again).toEqual([]);
    expect(state.staff.get(a.id)?.name).toBe('Staff 1');
  });

  it('reports a gap while a seq is missing', () => {
    const state = new LocalState();
    state.receive([change(1, staff({ n: 1 })), change(3, staff({ n: 3 }))]);

    expect(state.lastSeq).toBe(1);
    expect(state.hasGap).toBe(true);
    expect(state.isBehind({ seq: 3 })).toBe(true);
  });

  it('never moves a record back to an older version', () => {
    const state = new LocalState();
    const v1 = staff({ n: 1 });
    const v2 = { ...v1, version: 2, name: 'v2' };
    state.applyEarly(change(2, v2));

    const taken = state.receive([change(1, v1), change(2, v2)]);

    expect(seqs(taken)).toEqual([1, 2]);
    expect(state.staff.get(v1.id)?.name).toBe('v2');
  });

  it('never revives a deleted id from an older change', () => {
    const state = new LocalState();
    const v1 = staff({ n: 1 });
    const v2 = { ...v1, version: 2, name: 'v2' };
    state.receive([change(1, v1)]);
    state.applyEarly(change(3, { ...v2, version: 3 }, 'delete'));

    state.receive([change(2, v2), change(3, { ...v2, version: 3 }, 'delete')]);

    expect(state.staff.has(v1.id)).toBe(false);
    expect(state.lastSeq).toBe(3);
  });

  it('applies a current record only when it is newer', () => {
    const state = new LocalState();
    const v2 = staff({ n: 1, version: 2, name: 'v2' });
    state.applyCurrent(v2);

    expect(state.applyCurrent({ ...v2, version: 1, name: 'old' })).toBe(false);
    expect(state.applyCurrent({ ...v2, version: 3, name: 'v3' })).toBe(true);
    expect(state.staff.get(v2.id)?.name).toBe('v3');
  });

  it('replaces the records with a snapshot and continues from its seq', () => {
    const state = new LocalState();
    const gone = staff({ n: 1 });
    state.receive([change(1, gone)]);
    const kept = staff({ n: 2, version: 4 });

    state.beginSnapshot();
    state.addSnapshotPage([kept]);
    const held = state.receive([change(11, staff({ n: 3 }))]);
    const taken = state.finishSnapshot({ seq: 10 });

    expect(held).toEqual([]);
    expect(seqs(taken)).toEqual([11]);
    expect(state.lastSeq).toBe(11);
    expect([...state.staff.keys()].sort()).toEqual([kept.id, staff({ n: 3 }).id].sort());
  });

  it('keeps a local record newer than the snapshot copy, and a deleted id deleted', () => {
    const state = new LocalState();
    const newer = staff({ n: 1, version: 5, name: 'local v5' });
    const deleted = staff({ n: 2, version: 2 });
    state.applyCurrent(newer);
    state.applyEarly(change(9, { ...deleted, version: 3 }, 'delete'));

    state.beginSnapshot();
    state.addSnapshotPage([{ ...newer, version: 4, name: 'snapshot v4' }, deleted]);
    state.finishSnapshot({ seq: 8 });

    expect(state.staff.get(newer.id)?.name).toBe('local v5');
    expect(state.staff.has(deleted.id)).toBe(false);
  });

  it('drops buffered changes a snapshot already covers', () => {
    const state = new LocalState();
    state.receive([change(5, staff({ n: 5 }))]);

    state.beginSnapshot();
    state.finishSnapshot({ seq: 7 });

    expect(state.hasGap).toBe(false);
    expect(state.lastSeq).toBe(7);
  });

  describe('following departments', () => {
    const inDept = (seq: number, record: Staff, deptSeqs: Record<string, number>, op?: Change['op']): Change => ({ ...change(seq, record, op), deptSeqs });
    const following = (...departments: string[]) => {
      const state = new LocalState();
      state.follow(departments);
      return state;
    };

    it('takes each department in its own order, buffering one beyond its gap, and ignores the departments it does not follow', () => {
      const state = following('ICU', 'Ward');
      const a = staff({ n: 1, department: 'ICU' });
      const late = staff({ n: 2, department: 'ICU' });
      const b = staff({ n: 3, department: 'Ward' });
      const c = staff({ n: 4, department: 'ICU' });
      const elsewhere = staff({ n: 5, department: 'Lab' });

      const first = state.receive([inDept(10, a, { ICU: 1 }), inDept(11, elsewhere, { Lab: 7 }), inDept(14, c, { ICU: 3 })]);
      const ward = state.receive([inDept(13, b, { Ward: 1 })]);
      expect(state.hasGap).toBe(true);
      const healed = state.receive([inDept(12, late, { ICU: 2 })]);

      expect(seqs(first)).toEqual([10]);
      expect(seqs(ward)).toEqual([13]);
      expect(seqs(healed)).toEqual([12, 14]);
      expect(state.hasGap).toBe(false);
      expect(state.deptSeqs).toEqual({ ICU: 3, Ward: 1 });
      expect(state.staff.has(elsewhere.id)).toBe(false);
      expect(state.departments).toEqual(['ICU', 'Ward']);
    });

    it('drops a record that moves out of the departments followed, and never brings back an older copy', () => {
      const state = following('ICU');
      const v1 = staff({ n: 1, department: 'ICU' });
      const moved = { ...v1, version: 2, department: 'Lab' };
      state.receive([inDept(1, v1, { ICU: 1 })]);

      const taken = state.receive([inDept(2, moved, { ICU: 2, Lab: 1 })]);
      state.applyCurrent(v1);

      expect(seqs(taken)).toEqual([2]);
      expect(state.staff.has(v1.id)).toBe(false);
      const back = { ...v1, version: 3 };
      state.receive([inDept(3, back, { ICU: 3, Lab: 2 })]);
      expect(state.staff.get(v1.id)?.version).toBe(3);
    });

    it('keeps a record without a department out of a department view', () => {
      const state = following('ICU');
      const loose = staff({ n: 1, department: null });

      expect(state.applyEarly(change(1, loose))).toBe(false);
      expect(state.staff.size).toBe(0);
    });

    it('takes a move between two departments it follows when it is next in one of them and already seen in the other', () => {
      const state = following('ICU', 'Ward');
      const record = staff({ n: 1, department: 'ICU' });
      state.beginSnapshot();
      state.addSnapshotPage([record]);
      state.finishSnapshot({ seq: 40, deptSeqs: { ICU: 5, Ward: 2 } });

      const taken = state.receive([inDept(41, { ...record, version: 2, department: 'Ward' }, { ICU: 5, Ward: 3 })]);

      expect(seqs(taken)).toEqual([41]);
      expect(state.deptSeqs).toEqual({ ICU: 5, Ward: 3 });
      expect(state.staff.get(record.id)?.department).toBe('Ward');
    });

    it('starts from a snapshot at its positions, dropping buffered changes it covers and taking the next', () => {
      const state = following('ICU');
      state.beginSnapshot();
      state.addSnapshotPage([staff({ n: 1, department: 'ICU' })]);
      state.receive([inDept(8, staff({ n: 2, department: 'ICU' }), { ICU: 4 }), inDept(9, staff({ n: 3, department: 'ICU' }), { ICU: 5 })]);

      const taken = state.finishSnapshot({ seq: 8, deptSeqs: { ICU: 4 } });

      expect(seqs(taken)).toEqual([9]);
      expect(state.staff.size).toBe(2);
      expect(state.staff.has(staff({ n: 2 }).id)).toBe(false);
    });

    it('is behind when a position told for one of its departments is beyond its own, and not when none is told', () => {
      const state = following('ICU', 'Ward');
      state.receive([inDept(3, staff({ n: 1, department: 'ICU' }), { ICU: 1 })]);

      expect(state.isBehind({ seq: 99, deptSeqs: { ICU: 1, Ward: 0 } })).toBe(false);
      expect(state.isBehind({ seq: 99 })).toBe(false);
      expect(state.isBehind({ seq: 3, deptSeqs: { ICU: 1, Ward: 1 } })).toBe(true);
    });

    it('saves and restores its departments and positions; following others starts them from 0', () => {
      const state = following('ICU');
      const record = staff({ n: 1, department: 'ICU' });
      state.receive([inDept(3, record, { ICU: 1 })]);

      const restored = new LocalState();
      restored.restore(state.export());

      expect(restored.departments).toEqual(['ICU']);
      expect(restored.deptSeqs).toEqual({ ICU: 1 });
      expect(restored.staff.get(record.id)).toEqual(record);
      restored.follow(['Ward']);
      expect(restored.deptSeqs).toEqual({ Ward: 0 });
      expect(restored.lastSeq).toBe(0);
    });
  });
});
