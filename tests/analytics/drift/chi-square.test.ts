import { describe, expect, it } from 'vitest';
import { chiSquareDriftTest, chiSquareGoodnessOfFit, chiSquareSurvival } from '../../../src/analytics/drift/chi-square.js';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('chi-square', () => {
  it('survival is undefined without degrees of freedom and 0 at infinity', () => {
    expect(chiSquareSurvival(1, 0)).toBeNaN();
    expect(chiSquareSurvival(1, -2)).toBeNaN();
    expect(chiSquareSurvival(Infinity, 3)).toBe(0);
    expect(chiSquareSurvival(0, 3)).toBe(1);
  });

  it('matches scipy.stats.chisquare([12, 30, 18], [20, 20, 20])', () => {
    const r = chiSquareGoodnessOfFit([12, 30, 18], [20, 20, 20]);
    expect(r.statistic).toBeCloseTo(8.4, 12);
    expect(r.dof).toBe(2);
    expect(rel(r.pValue, 0.014995576820477715)).toBeLessThan(1e-12);
  });

  it('makes the statistic infinite when a cell expected empty is not, and skips cells empty in both', () => {
    const infinite = chiSquareGoodnessOfFit([5, 1, 4], [5, 0, 5]);
    expect(infinite).toEqual({ statistic: Infinity, dof: 2, pValue: 0 });
    // (5−5)²/5 + (4−5)²/5 = 0.2, the middle cell contributes nothing.
    const skipped = chiSquareGoodnessOfFit([5, 0, 4], [5, 0, 5]);
    expect(skipped.statistic).toBeCloseTo(0.2, 14);
    expect(skipped.dof).toBe(2);
    // An infinite cell stays infinite whatever follows.
    expect(chiSquareGoodnessOfFit([1, 5], [0, 4]).statistic).toBe(Infinity);
  });

  it('gives p = 1 with a single cell and refuses arrays of different lengths', () => {
    expect(chiSquareGoodnessOfFit([7], [3])).toEqual({ statistic: 16 / 3, dof: 0, pValue: 1 });
    expect(() => chiSquareGoodnessOfFit([1, 2], [1])).toThrow(new RangeError('observed and expected differ in length'));
  });

  it('scales the reference counts to the current total over the union of categories (Evidently)', () => {
    // Reference a 20, b 20 (40), current a 10, b 30, c 20 (60): expected a 30, b 30, c 0 → c makes χ² infinite.
    const withNew = chiSquareDriftTest(new Map([['a', 20], ['b', 20]]), new Map([['a', 10], ['b', 30], ['c', 20]]));
    expect(withNew).toEqual({ statistic: Infinity, dof: 2, pValue: 0 });
    // Reference a 10, b 30 (40); current a 12, b 18 (30): expected 7.5 and 22.5 → 20.25/7.5 + 20.25/22.5 = 3.6, dof 1.
    const r = chiSquareDriftTest(new Map([['a', 10], ['b', 30]]), new Map([['b', 18], ['a', 12]]));
    expect(r.statistic).toBeCloseTo(3.6, 12);
    expect(r.dof).toBe(1);
    expect(rel(r.pValue, chiSquareSurvival(3.6, 1))).toBeLessThan(1e-15);
    // A category only in the reference counts with observed 0.
    const gone = chiSquareDriftTest(new Map([['a', 10], ['b', 10]]), new Map([['a', 10]]));
    expect(gone.statistic).toBeCloseTo(10, 12); // expected 5 and 5, observed 10 and 0
  });
});
