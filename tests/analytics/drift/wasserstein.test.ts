import { describe, expect, it } from 'vitest';
import {
  normalizedWassersteinDistance,
  normalizedWassersteinDistanceSorted,
  normalizeWasserstein,
  pooledWalkSorted,
  wassersteinDistance,
  wassersteinDistanceSorted,
} from '../../../src/analytics/drift/wasserstein.js';

describe('Wasserstein-1 against scipy.stats.wasserstein_distance', () => {
  it('sorts unsorted samples of different sizes', () => {
    expect(wassersteinDistance([3, 1, 2], [10, 0])).toBeCloseTo(4.333333333333333, 14);
    expect(wassersteinDistance(Float64Array.of(0.5, -1, 4, 2), [1, 1, 1, 7, 0])).toBeCloseTo(1.425, 14);
    expect(wassersteinDistanceSorted([-1, 0.5, 2, 4], [0, 1, 1, 1, 7])).toBeCloseTo(1.425, 14);
  });

  it('leaves its inputs as they were', () => {
    const u = Float64Array.of(3, 1, 2);
    wassersteinDistance(u, [0]);
    expect(Array.from(u)).toEqual([3, 1, 2]);
  });

  it('refuses an empty sample', () => {
    expect(() => wassersteinDistanceSorted([], [1])).toThrow(new RangeError('wassersteinDistance needs two non-empty samples'));
    expect(() => wassersteinDistance([1], [])).toThrow(RangeError);
  });

  it('counts distinct pooled values in the same walk', () => {
    expect(pooledWalkSorted([1, 2, 2, 3], [2, 4])).toEqual({ wasserstein: expect.closeTo(wassersteinDistance([1, 2, 2, 3], [2, 4]), 14), distinct: 4 });
    expect(pooledWalkSorted([5], [5]).distinct).toBe(1);
  });
});

describe('normalised Wasserstein (Evidently)', () => {
  it('divides by the population std of the reference (numpy.std, ddof 0)', () => {
    // std([3, 1, 2]) = 0.816496580927726.
    expect(normalizedWassersteinDistance([3, 1, 2], [10, 0])).toBeCloseTo(4.333333333333333 / 0.816496580927726, 12);
    expect(normalizedWassersteinDistanceSorted([-1, 0.5, 2, 4], [0, 1, 1, 1, 7])).toBeCloseTo(1.425 / 1.8498310733685928, 12);
    expect(normalizeWasserstein(2, [-1, 0.5, 2, 4])).toBeCloseTo(2 / 1.8498310733685928, 12);
  });

  it('floors the std at 0.001', () => {
    expect(normalizeWasserstein(1, [4, 4, 4])).toBeCloseTo(1000, 9);
    expect(normalizeWasserstein(1, [0, 0.0001])).toBeCloseTo(1000, 9); // std 0.00005
    expect(normalizeWasserstein(1, [0, 0.004])).toBeCloseTo(500, 9); // std 0.002
    expect(normalizeWasserstein(3, [])).toBeCloseTo(3000, 9);
  });
});
