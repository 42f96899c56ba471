import { csvRecord } from '../exports/csv-format.js';

/** A cell of an exported table. */
export type CsvCell = string | number | boolean | null;

/** A table as RFC 4180 CSV (the exports' field rules: CRLF, quoting, formula-like text neutralised), header first. */
export function csvTable(header: readonly string[], rows: readonly (readonly CsvCell[])[]): string {
  return [header, ...rows].map(csvRecord).join('');
}
