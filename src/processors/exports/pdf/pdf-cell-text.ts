import type { CellValue, TableColumn } from '../export-document.js';

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 4 });

/** 2026-12-06 10:05:53Z: UTC, to the second, the same on every machine. */
const isoSeconds = (d: Date): string => (Number.isNaN(d.getTime()) ? 'invalid date' : `${d.toISOString().slice(0, 19).replace('T', ' ')}Z`);

/**
 * A cell as a reader sees it. The exact value stays in the embedded document.json; this is the
 * display: numbers grouped and rounded to 4 decimals, percent columns hold fractions (0.452 is
 * 45.2%, as XLSX's percent format reads them), dates in UTC, empty cells as an em dash.
 */
export function cellText(value: CellValue, type: TableColumn['type'] = 'text'): string {
  if (value === null) return '—';
  if (value instanceof Date) return isoSeconds(value);
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return String(value);
    if (type === 'percent') return `${decimal.format(value * 100)}%`;
    if (type === 'integer') return integer.format(value);
    return decimal.format(value);
  }
  return value;
}

/** Numbers read best right-aligned, so their digits line up. */
export const alignOf = (type: TableColumn['type']): 'left' | 'right' => (type === 'number' || type === 'integer' || type === 'percent' ? 'right' : 'left');
