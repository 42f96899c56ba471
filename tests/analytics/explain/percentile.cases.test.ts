import { describe, expect, it } from 'vitest';
import { percentileOfSorted } from '../../../src/analytics/explain/percentile.js';

// numpy.percentile's default ("linear", Hyndman & Fan type 7): pos = q (n - 1),
// result = x[floor(pos)] + (pos - floor(pos)) (x[floor(pos) + 1] - x[floor(pos)]).
describe('percentileOfSorted (numpy linear interpolation)', () => {
  const x = Float64Array.of(1, 2, 4, 8);

  it('interpolates upwards between the two neighbouring order statistics', () => {
    // q = 0.5: pos = 1.5 -> 2 + 0.5 (4 - 2) = 3  (np.percentile([1, 2, 4, 8], 50) == 3.0)
    expect(percentileOfSorted(x, 0.5)).toBe(3);
    // q = 0.25: pos = 0.75 -> 1 + 0.75 (2 - 1) = 1.75  (np.percentile(..., 25) == 1.75)
    expect(percentileOfSorted(x, 0.25)).toBe(1.75);
    // q = 0.9: pos = 2.7 -> 4 + 0.7 (8 - 4) = 6.8
    expect(percentileOfSorted(x, 0.9)).toBeCloseTo(6.8, 12);
  });

  it('returns the extremes exactly at q = 0 and q = 1 (no neighbour past the end)', () => {
    expect(percentileOfSorted(x, 0)).toBe(1);
    // q = 1: pos = 3 is the last index; there is no x[4] to interpolate towards.
    expect(percentileOfSorted(x, 1)).toBe(8);
  });

  it('hits order statistics exactly at q = k / (n - 1)', () => {
    // n = 4: q = 1/3 -> pos = 1 -> x[1] = 2; q = 2/3 -> pos = 2 -> x[2] = 4
    expect(percentileOfSorted(x, 1 / 3)).toBeCloseTo(2, 12);
    expect(percentileOfSorted(x, 2 / 3)).toBeCloseTo(4, 12);
  });

  it('returns the single value of a one-element array for any q', () => {
    const one = Float64Array.of(7);
    expect(percentileOfSorted(one, 0)).toBe(7);
    expect(percentileOfSorted(one, 0.5)).toBe(7);
    expect(percentileOfSorted(one, 1)).toBe(7);
  });
});
