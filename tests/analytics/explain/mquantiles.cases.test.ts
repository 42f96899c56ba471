import { describe, expect, it } from 'vitest';
import { mquantileOfSorted } from '../../../src/analytics/explain/mquantiles.js';

describe('mquantileOfSorted (scipy.stats.mstats.mquantiles)', () => {
  it('refuses an empty sample with a RangeError instead of returning NaN', () => {
    // There is no order statistic to interpolate; scipy also fails on an empty array.
    expect(() => mquantileOfSorted(new Float64Array(0), 0.5)).toThrow(RangeError);
    expect(() => mquantileOfSorted(new Float64Array(0), 0.5)).toThrow('no values to take a quantile of');
  });

  it('follows the plotting-position formula on a small sample', () => {
    // x = [1, 2, 4, 8], n = 4, p = 0.5, alphap = betap = 0.4:
    // m = 0.4 + 0.5 (1 - 0.8) = 0.5, aleph = 2 + 0.5 = 2.5, k = 2, gamma = 0.5
    // q = 0.5 x[1] + 0.5 x[2] = 0.5 * 2 + 0.5 * 4 = 3
    expect(mquantileOfSorted(Float64Array.of(1, 2, 4, 8), 0.5)).toBeCloseTo(3, 12);
    // p = 0.25: m = 0.4 + 0.05 = 0.45, aleph = 1.45, k = 1, gamma = 0.45
    // q = 0.55 * 1 + 0.45 * 2 = 1.45
    expect(mquantileOfSorted(Float64Array.of(1, 2, 4, 8), 0.25)).toBeCloseTo(1.45, 12);
  });
});
