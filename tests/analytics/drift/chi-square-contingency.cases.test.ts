import { describe, expect, it } from 'vitest';
import { chiSquareContingency } from '../../../src/analytics/drift/chi-square-contingency.js';
import { chi2sf1, chi2sf2, chi2sf3 } from './chi-square-closed-forms.js';

const counts = (o: Record<string, number>): Map<string, number> => new Map(Object.entries(o));

describe('chiSquareContingency: scipy.stats.chi2_contingency on the 2 × k table', () => {
  it('2 × 2 with unequal row totals: expected counts, Yates-corrected statistic by default', () => {
    // rows (10 20 | 30) and (15 5 | 20), N = 50, column totals 25 25:
    // E reference = 30·25/50 = 15, 15; E current = 20·25/50 = 10, 10; |O − E| = 5 in every cell.
    // Yates: (5 − 0.5)² (1/15 + 1/15 + 1/10 + 1/10) = 20.25 · 1/3 = 6.75
    const r = chiSquareContingency(counts({ a: 10, b: 20 }), counts({ a: 15, b: 5 }));
    expect(r.expected.reference).toEqual([expect.closeTo(15, 12), expect.closeTo(15, 12)]);
    expect(r.expected.current).toEqual([expect.closeTo(10, 12), expect.closeTo(10, 12)]);
    expect(r.statistic).toBeCloseTo(6.75, 12);
    expect(r.dof).toBe(1);
    expect(r.correction).toBe(true);
    expect(r.pValue).toBeCloseTo(chi2sf1(6.75), 12);
  });

  it('2 × 2 without the correction: Σ (O − E)² / E', () => {
    // same table: 25 (1/15 + 1/15 + 1/10 + 1/10) = 25/3
    const r = chiSquareContingency(counts({ a: 10, b: 20 }), counts({ a: 15, b: 5 }), false);
    expect(r.statistic).toBeCloseTo(25 / 3, 12);
    expect(r.correction).toBe(false);
    expect(r.dof).toBe(1);
    expect(r.pValue).toBeCloseTo(chi2sf1(25 / 3), 12);
  });

  it('2 × 3 with unequal rows: dof 2, p = exp(−χ²/2), no correction even when asked for', () => {
    // rows (6 9 15 | 30), (14 1 5 | 20), N = 50, column totals 20 10 20
    // E reference 12 6 12, E current 8 4 8; O − E = (−6 3 3), (6 −3 −3)
    // χ² = 36/12 + 9/6 + 9/12 + 36/8 + 9/4 + 9/8 = 3 + 1.5 + 0.75 + 4.5 + 2.25 + 1.125 = 13.125
    const r = chiSquareContingency(counts({ a: 6, b: 9, c: 15 }), counts({ a: 14, b: 1, c: 5 }), true);
    expect(r.expected.reference).toEqual([12, 6, 12].map((v) => expect.closeTo(v, 12)));
    expect(r.expected.current).toEqual([8, 4, 8].map((v) => expect.closeTo(v, 12)));
    expect(r.statistic).toBeCloseTo(13.125, 12);
    expect(r.dof).toBe(2);
    expect(r.correction).toBe(false);
    expect(r.pValue).toBeCloseTo(chi2sf2(13.125), 14);
  });

  it('2 × 4 with an empty cell: dof 3', () => {
    // rows (5 5 5 5 | 20), (10 0 5 5 | 20), column totals 15 5 10 10: E = 7.5 2.5 5 5 in both rows
    // χ² = 2 · 2.5²/7.5 + 2 · 2.5²/2.5 + 0 = 5/3 + 5 = 20/3
    const r = chiSquareContingency(counts({ a: 5, b: 5, c: 5, d: 5 }), counts({ a: 10, b: 0, c: 5, d: 5 }));
    expect(r.statistic).toBeCloseTo(20 / 3, 12);
    expect(r.dof).toBe(3);
    expect(r.correction).toBe(false);
    expect(r.pValue).toBeCloseTo(chi2sf3(20 / 3), 12);
  });

  it('takes the union of categories, a category missing from one sample counting 0', () => {
    // keys a (both), b (current only): rows (10 0 | 10), (5 5 | 10), column totals 15 5
    // E = 7.5 2.5 in both rows, |O − E| = 2.5; Yates 2² (2/7.5 + 2/2.5) = 16/15 + 16/5 = 64/15
    const r = chiSquareContingency(counts({ a: 10 }), counts({ a: 5, b: 5 }));
    expect(r.expected.reference).toEqual([expect.closeTo(7.5, 12), expect.closeTo(2.5, 12)]);
    expect(r.expected.current).toEqual([expect.closeTo(7.5, 12), expect.closeTo(2.5, 12)]);
    expect(r.statistic).toBeCloseTo(64 / 15, 12);
    // a category only in the reference: rows (5 5), (10 0), the same table transposed in rows
    expect(chiSquareContingency(counts({ a: 5, b: 5 }), counts({ a: 10 }), false).statistic).toBeCloseTo(6.25 * (2 / 7.5 + 2 / 2.5), 12);
  });

  it('Yates moves each count towards E by at most |E − O| (scipy gh-13875)', () => {
    // rows (5 5 | 10), (5 6 | 11), N = 21, column totals 10 11: E = 100/21 110/21; 110/21 121/21
    // |O − E| = 5/21 < 0.5 everywhere: each O stops at E, χ² = 0, p = 1
    const r = chiSquareContingency(counts({ a: 5, b: 5 }), counts({ a: 5, b: 6 }));
    expect(r.expected.reference).toEqual([expect.closeTo(100 / 21, 12), expect.closeTo(110 / 21, 12)]);
    expect(r.expected.current).toEqual([expect.closeTo(110 / 21, 12), expect.closeTo(121 / 21, 12)]);
    expect(r.statistic).toBeCloseTo(0, 12);
    expect(r.pValue).toBeCloseTo(1, 12);
    expect(r.correction).toBe(true);
  });

  it('one category in all: dof 0, statistic 0, p 1, no correction', () => {
    // rows (3), (7): E = 3·10/10 = 3 and 7
    expect(chiSquareContingency(counts({ a: 3 }), counts({ a: 7 }))).toEqual({ statistic: 0, dof: 0, pValue: 1, correction: false, expected: { reference: [3], current: [7] } });
  });
});
