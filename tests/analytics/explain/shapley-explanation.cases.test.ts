import { describe, expect, it } from 'vitest';
import { additivityGap, valuesAsRows, type ShapleyExplanation } from '../../../src/analytics/explain/shapley-explanation.js';

describe('additivityGap', () => {
  // Three rows of two features, base value 1.
  const values = Float64Array.from([0.5, 0.25, -1, 2, 0, 0.125]);
  // sums + base: row 0 = 1.75, row 1 = 2, row 2 = 1.125.

  it('is the largest |base + sum(values) - output| over the rows, wherever that row is', () => {
    // |1.75 - 1.5| = 0.25, |2 - 3| = 1, |1.125 - 1| = 0.125: the middle row is the largest.
    expect(additivityGap(values, 1, Float64Array.from([1.5, 3, 1]), 3, 2)).toBe(1);
    // |1.75 - 2.25| = 0.5 first, then 0 and 0.25: the first row is the largest.
    expect(additivityGap(values, 1, Float64Array.from([2.25, 2, 0.875]), 3, 2)).toBe(0.5);
  });

  it('is 0 when every row is exactly additive', () => {
    expect(additivityGap(values, 1, Float64Array.from([1.75, 2, 1.125]), 3, 2)).toBe(0);
  });

  it('is NaN when any row’s output is NaN, even if later rows are finite', () => {
    expect(additivityGap(values, 1, Float64Array.from([Number.NaN, 3, 1]), 3, 2)).toBeNaN();
    expect(additivityGap(values, 1, Float64Array.from([1.5, 3, Number.NaN]), 3, 2)).toBeNaN();
  });
});

describe('valuesAsRows', () => {
  it('splits the row-major values into nRows arrays of nFeatures', () => {
    const e: ShapleyExplanation = { baseValue: 0, values: Float64Array.from([1, 2, 3, 4, 5, 6]), outputs: new Float64Array(2), nRows: 2, nFeatures: 3, additivityGap: 0 };
    expect(valuesAsRows(e)).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  it('gives one row per explained row for a single feature', () => {
    const e: ShapleyExplanation = { baseValue: 0, values: Float64Array.from([7, 8, 9]), outputs: new Float64Array(3), nRows: 3, nFeatures: 1, additivityGap: 0 };
    expect(valuesAsRows(e)).toEqual([[7], [8], [9]]);
  });
});
