import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { csvField, csvRecord, csvRecordBound, csvRecordInto, neutraliseFormula } from '../../../src/processors/exports/csv-format.js';
import type { CellValue } from '../../../src/processors/exports/export-document.js';

describe('CSV fields (RFC 4180, OWASP CSV injection)', () => {
  it('prefixes text that a spreadsheet would run as a formula, and only that', () => {
    for (const risky of ['=1+1', '+1', '-2+3', '@SUM(A1)', '\tx', '\rx', '=HYPERLINK("http://evil","x")']) expect(neutraliseFormula(risky)).toBe(`'${risky}`);
    for (const safe of ['', 'a=b', ' =x', "'quoted", '1-2']) expect(neutraliseFormula(safe)).toBe(safe);
    expect(csvField(-5)).toBe('-5');
    expect(csvField(1.25e-7)).toBe('1.25e-7');
    expect(csvField('-5')).toBe("'-5");
    expect(csvField(Number.NaN)).toBe('');
    expect(csvField(true)).toBe('true');
    expect(csvField(null)).toBe('');
    expect(csvField(new Date('2026-01-02T03:04:05.006Z'))).toBe('2026-01-02T03:04:05.006Z');
  });

  it('quotes only when needed, doubles quotes, ends records with CRLF; a real parser reads every value back', () => {
    const values = ['plain', 'a,b', 'say "hi"', 'two\nlines', 'cr\r\nlf', '', '  spaced  ', 'ünïcödé ✓', '=cmd|" /C calc"!A0'];
    const text = csvRecord(values) + csvRecord(['x', 'y', 'z', '1', '2', '3', '4', '5', '6']);
    expect(text.startsWith('plain,"a,b","say ""hi""","two\nlines","cr\r\nlf",,  spaced  ,ünïcödé ✓,')).toBe(true);
    expect(text.endsWith('\r\n')).toBe(true);
    const rows = parse(text, { record_delimiter: '\r\n', relax_quotes: false }) as string[][];
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual([...values.slice(0, -1), `'=cmd|" /C calc"!A0`]);
    expect(rows[1]).toEqual(['x', 'y', 'z', '1', '2', '3', '4', '5', '6']);
  });

  it('records written straight into a buffer are byte for byte the records csvRecord writes, within the bound', () => {
    const pieces = ['', 'a', ',', '"', '""', '\r', '\n', '=', '+', '-', '@', '\t', ' ', 'é', '✓', '😀', '{"k": "v, w"}', '0190a3f4-1234'];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const cell = (): CellValue => {
      const kind = next();
      if (kind < 0.1) return null;
      if (kind < 0.2) return [0, -5, 1.25e-7, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY][Math.floor(next() * 6)]!;
      if (kind < 0.25) return next() < 0.5;
      if (kind < 0.3) return new Date(Math.floor(next() * 4e12));
      return Array.from({ length: Math.floor(next() * 6) }, () => pieces[Math.floor(next() * pieces.length)]).join('');
    };
    const buf = Buffer.alloc(1 << 16);
    for (let r = 0; r < 3000; r++) {
      const values = Array.from({ length: 1 + Math.floor(next() * 8) }, cell);
      const end = csvRecordInto(buf, 0, values);
      expect(buf.subarray(0, end).toString('utf8')).toBe(csvRecord(values));
      expect(end).toBeLessThanOrEqual(csvRecordBound(values));
    }
    // Worst cases of the bound: all quotes, all three-byte characters.
    for (const text of ['"'.repeat(50), '✓'.repeat(50), `=${'"'.repeat(49)}`]) expect(csvRecordInto(buf, 0, [text])).toBeLessThanOrEqual(csvRecordBound([text]));
  });
});
