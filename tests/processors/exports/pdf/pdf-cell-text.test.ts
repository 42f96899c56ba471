import { describe, expect, it } from 'vitest';
import { alignOf, cellText } from '../../../../src/processors/exports/pdf/pdf-cell-text.js';

describe('a table cell as the PDF shows it', () => {
  it('groups thousands and rounds numbers to 4 decimals', () => {
    expect(cellText(1284733, 'integer')).toBe('1,284,733');
    expect(cellText(1234.6, 'integer')).toBe('1,235');
    expect(cellText(0.123456, 'number')).toBe('0.1235');
    expect(cellText(-2.5)).toBe('-2.5');
  });

  it('reads percent columns as fractions', () => {
    expect(cellText(0.452, 'percent')).toBe('45.2%');
    expect(cellText(1, 'percent')).toBe('100%');
  });

  it('writes dates in UTC to the second, whatever the machine zone', () => {
    expect(cellText(new Date('2026-12-01T09:30:00.999+02:00'), 'date')).toBe('2026-12-01 07:30:00Z');
    expect(cellText(new Date(Number.NaN))).toBe('invalid date');
  });

  it('says yes/no, an em dash for null, and leaves text and non-finite numbers readable', () => {
    expect(cellText(true, 'boolean')).toBe('yes');
    expect(cellText(false)).toBe('no');
    expect(cellText(null)).toBe('—');
    expect(cellText('=SUM(A1)')).toBe('=SUM(A1)'); // a PDF runs no formulas: nothing to neutralise
    expect(cellText(Number.POSITIVE_INFINITY, 'number')).toBe('Infinity');
  });

  it('right-aligns numeric columns only', () => {
    expect(['number', 'integer', 'percent'].map((t) => alignOf(t as 'number'))).toEqual(['right', 'right', 'right']);
    expect(alignOf('date')).toBe('left');
    expect(alignOf(undefined)).toBe('left');
  });
});
