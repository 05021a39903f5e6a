import { LocalState } from '../../../client/src/state';
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
    expect(state.highestSeen).toBe(3);
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
    const taken = state.finishSnapshot(10);

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
    state.finishSnapshot(8);

    expect(state.staff.get(newer.id)?.name).toBe('local v5');
    expect(state.staff.has(deleted.id)).toBe(false);
  });

  it('drops buffered changes a snapshot already covers', () => {
    const state = new LocalState();
    state.receive([change(5, staff({ n: 5 }))]);

    state.beginSnapshot();
    state.finishSnapshot(7);

    expect(state.hasGap).toBe(false);
    expect(state.lastSeq).toBe(7);
  });
});
