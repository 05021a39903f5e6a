import { parseCsv, staffFromCsv } from '../../../client/demo/csv';

describe('the demo CSV import', () => {
  it('reads quoted cells, escaped quotes and either line ending', () => {
    expect(parseCsv('a,b\r\n"x, y","say ""hi"""\n\nlast,\n')).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"'],
      ['last', ''],
    ]);
  });

  it('maps the header to staff fields and leaves empty cells to the server defaults', () => {
    expect(staffFromCsv('\uFEFFname,department,displayOrder,email\nAda, ICU ,3,\nGrace,,,g@example.com')).toEqual({
      rows: [
        { name: 'Ada', department: 'ICU', displayOrder: 3 },
        { name: 'Grace', email: 'g@example.com' },
      ],
      problems: [],
    });
  });

  it('reports unknown columns and a missing name column', () => {
    expect(staffFromCsv('fullname,salary\nAda,1').problems).toEqual([
      expect.stringContaining('unknown column "fullname"'),
      expect.stringContaining('unknown column "salary"'),
      'no "name" column',
    ]);
    expect(staffFromCsv('').problems).toEqual(['the file is empty']);
  });
});
