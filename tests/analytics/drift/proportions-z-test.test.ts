import { describe, expect, it } from 'vitest';
import { proportionsZTest } from '../../../src/analytics/drift/proportions-z-test.js';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('two-proportion z-test (Evidently z_stattest)', () => {
  it('matches the pooled z statistic and 2·norm.sf(|z|) computed with scipy', () => {
    // Share of the non-first category: reference 40/100, current 30/120.
    const r = proportionsZTest(new Map([['a', 60], ['b', 40]]), new Map([['b', 30], ['a', 90]]));
    expect(r.statistic).toBeCloseTo(2.378474901516276, 12);
    expect(rel(r.pValue, 0.01738442035206615)).toBeLessThan(1e-10);
    // Deep in the tail the p-value keeps its relative accuracy.
    const tail = proportionsZTest(new Map([['no', 520], ['yes', 480]]), new Map([['no', 700], ['yes', 300]]));
    expect(tail.statistic).toBeCloseTo(8.252020273099301, 12);
    expect(rel(tail.pValue, 1.5573899428792314e-16)).toBeLessThan(1e-8);
  });

  it('takes the first category in sorted order whatever the insertion order', () => {
    const a = proportionsZTest(new Map([['y', 30], ['x', 70]]), new Map([['x', 50], ['y', 50]]));
    const b = proportionsZTest(new Map([['x', 70], ['y', 30]]), new Map([['y', 50], ['x', 50]]));
    expect(a).toEqual(b);
    // Non-first share: reference .3, current .5 → z < 0.
    expect(a.statistic).toBeLessThan(0);
  });

  it('counts a category missing from one sample as 0 there', () => {
    // Reference all a (share of b 0), current half b: pooled 10/40.
    const r = proportionsZTest(new Map([['a', 20]]), new Map([['a', 10], ['b', 10]]));
    const p = 10 / 40;
    expect(r.statistic).toBeCloseTo((0 - 0.5) / Math.sqrt(p * (1 - p) * (1 / 20 + 1 / 20)), 12);
  });

  it('compares two different single categories, and gives NaN for an empty sample', () => {
    // Shares of the non-first category: 0 and 1, pooled 3/5.
    const r = proportionsZTest(new Map([['a', 2]]), new Map([['b', 3]]));
    expect(r.statistic).toBeCloseTo(-1 / Math.sqrt(0.6 * 0.4 * (1 / 2 + 1 / 3)), 12);
    for (const [reference, current] of [
      [new Map<string, number>(), new Map([['a', 3]])],
      [new Map([['a', 2]]), new Map<string, number>()],
    ] as const) {
      const empty = proportionsZTest(reference, current);
      expect(empty.statistic).toBeNaN();
      expect(empty.pValue).toBeNaN();
    }
  });

  it('is 0 with p = 1 when both samples hold the same single category, NaN when the pooled share is 0', () => {
    expect(proportionsZTest(new Map([['a', 5]]), new Map([['a', 9]]))).toEqual({ statistic: 0, pValue: 1 });
    const degenerate = proportionsZTest(new Map([['a', 5]]), new Map([['a', 3], ['b', 0]]));
    expect(degenerate.statistic).toBeNaN();
    expect(degenerate.pValue).toBeNaN();
  });
});
