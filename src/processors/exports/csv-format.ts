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

const QUOTE = 0x22;
const APOSTROPHE = 0x27;

/** Most bytes `csvRecordInto` writes for these values: UTF-8 is at most 3 bytes a UTF-16 unit, doubled quotes 1 more. */
export function csvRecordBound(values: readonly CellValue[]): number {
  let bytes = 2;
  for (const v of values) bytes += typeof v === 'string' ? 4 * v.length + 4 : 32;
  return bytes;
}

/** A text field written into `buf` at `at`, as `csvField` writes it; returns the offset after it. */
function textInto(buf: Buffer, at: number, text: string): number {
  const neutralise = text.length > 0 && FORMULA_START.has(text[0]!);
  if (!NEEDS_QUOTES.test(text)) {
    if (neutralise) buf[at++] = APOSTROPHE;
    return at + buf.write(text, at);
  }
  buf[at++] = QUOTE;
  if (neutralise) buf[at++] = APOSTROPHE;
  const end = at + buf.write(text, at);
  let quotes = 0;
  for (let i = at; i < end; i++) if (buf[i] === QUOTE) quotes++;
  const doubledEnd = end + quotes;
  // Each quote doubled in place, from the end backwards (in UTF-8 a quote is one byte, never part of another character).
  let w = doubledEnd - 1;
  for (let r = end - 1; quotes > 0; r--) {
    const byte = buf[r]!;
    buf[w--] = byte;
    if (byte === QUOTE) {
      buf[w--] = QUOTE;
      quotes--;
    }
  }
  buf[doubledEnd] = QUOTE;
  return doubledEnd + 1;
}

/**
 * One record written into `buf` at `at` (room for `csvRecordBound(values)` bytes), byte for byte
 * what `csvRecord` returns, without building the text first: returns the offset after it.
 */
export function csvRecordInto(buf: Buffer, at: number, values: readonly CellValue[]): number {
  for (let i = 0; i < values.length; i++) {
    if (i > 0) buf[at++] = 0x2c;
    const v = values[i]!;
    if (v === null) continue;
    if (typeof v === 'string') at = textInto(buf, at, v);
    else if (typeof v === 'number') at += Number.isFinite(v) ? buf.write(String(v), at, 'latin1') : 0;
    else if (typeof v === 'boolean') at += buf.write(v ? 'true' : 'false', at, 'latin1');
    else at = textInto(buf, at, v.toISOString());
  }
  buf[at++] = 0x0d;
  buf[at++] = 0x0a;
  return at;
}
