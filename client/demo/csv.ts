/**
 * The demo's "Import CSV": RFC 4180 text (quoted fields, "" escapes, CRLF or LF) with a header row
 * naming staff fields, as StaffInput rows. Unknown columns are reported, not guessed at; empty
 * cells are left out so the server's defaults apply. Field rules stay the server's to check.
 */
import type { StaffInput } from '../src';

const TEXT_FIELDS = ['name', 'email', 'phone', 'position', 'department', 'employmentType', 'status', 'startDate', 'endDate'] as const;
const COLUMNS: readonly string[] = [...TEXT_FIELDS, 'displayOrder'];

/** The cells of every record of a CSV text. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ',') {
      record.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      record.push(cell);
      records.push(record);
      record = [];
      cell = '';
    } else cell += c;
  }
  if (cell !== '' || record.length > 0) {
    record.push(cell);
    records.push(record);
  }
  return records.filter((cells) => cells.some((value) => value.trim() !== ''));
}

export interface CsvStaff {
  readonly rows: StaffInput[];
  /** Problems with the file itself (not with a record's fields). */
  readonly problems: string[];
}

/** Staff rows from a CSV whose header names the fields (`name` required; see COLUMNS). */
export function staffFromCsv(text: string): CsvStaff {
  const [header, ...records] = parseCsv(text.replace(/^\uFEFF/, ''));
  if (!header) return { rows: [], problems: ['the file is empty'] };
  const columns = header.map((name) => name.trim());
  const problems = columns.filter((name) => !COLUMNS.includes(name)).map((name) => `unknown column "${name}" (known: ${COLUMNS.join(', ')})`);
  if (!columns.includes('name')) problems.push('no "name" column');
  const rows = records.map((cells) => {
    const staff: Record<string, unknown> = {};
    columns.forEach((column, i) => {
      const value = cells[i]?.trim() ?? '';
      if (value === '' || !COLUMNS.includes(column)) return;
      staff[column] = column === 'displayOrder' ? Number(value) : value;
    });
    return staff as StaffInput;
  });
  return { rows, problems };
}
