import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { csvField, csvRecord, neutraliseFormula } from '../../../src/processors/exports/csv-format.js';

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
});
