/** Number formatting and plain-text tables for the terminal. */
import type { Table } from './types';

/** A number with sensible precision: 3 significant digits below 100, thousands separated above. */
export function fmt(value: number | string | undefined, unit = ''): string {
  if (value === undefined) return '—';
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value)) return '—';
  const abs = Math.abs(value);
  let text: string;
  if (abs === 0) text = '0';
  else if (abs >= 100 || Number.isInteger(value)) text = Math.round(value).toLocaleString('en-US');
  else if (abs >= 10) text = value.toFixed(1);
  else if (abs >= 1) text = value.toFixed(2);
  else if (abs >= 0.01) text = value.toFixed(3);
  else text = value.toPrecision(2);
  return unit ? `${text} ${unit}` : text;
}

/** Dollars: cents precision from $1, more digits below. */
export function usd(value: number): string {
  if (!Number.isFinite(value)) return '—';
  if (Math.abs(value) >= 1) return `$${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  if (value === 0) return '$0';
  return `$${value.toPrecision(3)}`;
}

export const kb = (bytes: number): string => fmt(bytes / 1024, 'KB');

const isNumeric = (cell: string): boolean => /^[-+$]?[\d,.]+/.test(cell) || cell === '—';

export function renderTable(table: Table): string {
  const cells = table.rows.map((row) => row.map((cell) => (typeof cell === 'number' ? fmt(cell) : cell)));
  const widths = table.columns.map((column, i) => Math.max(column.length, ...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: readonly string[], header = false): string =>
    row
      .map((cell, i) => {
        const width = widths[i] ?? 0;
        return !header && i > 0 && isNumeric(cell) ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [table.title, line(table.columns, true), rule, ...cells.map((row) => line(row))].join('\n');
}
