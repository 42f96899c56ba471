import { describe, expect, it } from 'vitest';
import { percentileInterval } from '../../../src/analytics/fairness/bootstrap-intervals.js';

describe('bootstrap percentile interval', () => {
  it('cuts (1 - level) / 2 from each tail: a 95 % interval of 0..100 is [2.5, 97.5]', () => {
    // Replicates 0..100 in scrambled order; type-7 quantiles at 2.5 % and 97.5 % fall half-way between order statistics.
    const values = Float64Array.from({ length: 101 }, (_, i) => (i * 37) % 101);
    const ci = percentileInterval(values, 0.95);
    expect(ci.lower).toBeCloseTo(2.5, 12);
    expect(ci.upper).toBeCloseTo(97.5, 12);
    expect(ci).toMatchObject({ level: 0.95, resamples: 101, undefinedResamples: 0 });
  });

  it('interpolates between order statistics as numpy.percentile does', () => {
    // numpy.percentile([1, 2, 4, 8, 16], [5, 95]) == [1.2, 14.4]: positions 0.2 and 3.8 of the sorted values.
    const ci = percentileInterval(Float64Array.from([16, 1, 8, 2, 4]), 0.9);
    expect(ci.lower).toBeCloseTo(1.2, 12);
    expect(ci.upper).toBeCloseTo(14.4, 12);
  });

  it('leaves out and counts replicates where the statistic is undefined', () => {
    const ci = percentileInterval(Float64Array.from([NaN, 3, 1, NaN, 2]), 0.5);
    // Defined replicates 1, 2, 3: the 25th and 75th percentiles are 1.5 and 2.5.
    expect(ci.lower).toBeCloseTo(1.5, 12);
    expect(ci.upper).toBeCloseTo(2.5, 12);
    expect(ci).toMatchObject({ level: 0.5, resamples: 5, undefinedResamples: 2 });
    expect(percentileInterval(Float64Array.from([NaN, NaN]), 0.95)).toEqual({ lower: null, upper: null, level: 0.95, resamples: 2, undefinedResamples: 2 });
  });
});

describe('bootstrap percentile interval edges', () => {
  it('gives a point interval from a single defined replicate', () => {
    expect(percentileInterval(Float64Array.of(NaN, 4, NaN), 0.95)).toEqual({ lower: 4, upper: 4, level: 0.95, resamples: 3, undefinedResamples: 2 });
  });

  it('sorts numerically, negatives and all, in place', () => {
    // numpy.percentile([-10, -2, 1, 3, 20], [5, 95]) = [-8.4, 16.6].
    const values = Float64Array.of(3, -2, 20, -10, 1);
    const ci = percentileInterval(values, 0.9);
    expect(ci.lower).toBeCloseTo(-8.4, 12);
    expect(ci.upper).toBeCloseTo(16.6, 12);
    expect(Array.from(values)).toEqual([-10, -2, 1, 3, 20]);
  });

  it('narrows as the level falls', () => {
    // 0..100 at 50 %: the 25th and 75th percentiles.
    const values = Float64Array.from({ length: 101 }, (_, i) => 100 - i);
    expect(percentileInterval(values, 0.5)).toMatchObject({ lower: 25, upper: 75 });
  });
});
