import { departmentsTouched, idPagesReached, reaches } from '../../../shared/subscriptions';

const whole = { connectionId: 'whole' };
const icu = { connectionId: 'icu', departments: ['ICU'] };
const wards = { connectionId: 'wards', departments: ['Ward 1', 'Ward 2'] };

describe('who a change reaches', () => {
  it('is every whole-org subscription, and a department subscription only when the change touches one of its departments', () => {
    const move = departmentsTouched([{ deptSeqs: { ICU: 4, 'Ward 2': 9 } }]);
    expect([whole, icu, wards].filter((r) => reaches(r, move)).map((r) => r.connectionId)).toEqual(['whole', 'icu', 'wards']);
    const ward1 = departmentsTouched([{ deptSeqs: { 'Ward 1': 3 } }]);
    expect([whole, icu, wards].filter((r) => reaches(r, ward1)).map((r) => r.connectionId)).toEqual(['whole', 'wards']);
  });

  it('leaves a record without a department to whole-org subscriptions, and sends frames that are not changes to all', () => {
    expect([whole, icu, wards].filter((r) => reaches(r, departmentsTouched([{ deptSeqs: {} }]))).map((r) => r.connectionId)).toEqual(['whole']);
    expect([whole, icu, wards].every((r) => reaches(r, undefined))).toBe(true);
  });

  it('handles a department named like an Object property', () => {
    const proto = departmentsTouched([{ deptSeqs: JSON.parse('{"__proto__": 1}') as Record<string, number> }]);
    expect(reaches({ connectionId: 'p', departments: ['__proto__'] }, proto)).toBe(true);
    expect(reaches({ connectionId: 'c', departments: ['constructor'] }, proto)).toBe(false);
  });

  it('pages only the ids reached, leaving out pages that reach none', async () => {
    async function* pages() {
      yield [whole, icu];
      yield [icu];
      yield [wards, { connectionId: 'whole-2' }];
    }
    const ids: string[][] = [];
    for await (const page of idPagesReached(pages(), departmentsTouched([{ deptSeqs: { 'Ward 1': 1 } }]))) ids.push(page);
    expect(ids).toEqual([['whole'], ['wards', 'whole-2']]);
  });
});
