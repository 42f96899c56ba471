import type { CellValue } from './export-document.js';

/** First characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection"). */
const FORMULA_START = new Set(['=', '+', '-', '@', '\t', '\r']);

/**
 * A text cell as a spreadsheet may safely open it: a leading `'` on text that would start a
 * formula (OWASP CSV injection), so `=HYPERLINK(…)` from an event reads as text. Numbers are
 * written as numbers and never prefixed.
 */
export const neutraliseFormula = (text: string): string => (text.length > 0 && FORMULA_START.has(text[0]!) ? `'${text}` : text);

const NEEDS_QUOTES = /[",\r\n]/;

/** One field per RFC 4180 §2: quoted when it holds a comma, quote, CR or LF; quotes doubled. */
export function csvField(value: CellValue): string {
  if (value === null) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const text = neutraliseFormula(value instanceof Date ? value.toISOString() : value);
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One record, CRLF-terminated (RFC 4180 §2.1). */
export const csvRecord = (values: readonly CellValue[]): string => values.map(csvField).join(',') + '\r\n';
