import { describe, expect, it } from 'vitest';
import { histogramCounts, sturgesEdges } from '../../../src/analytics/drift/histogram-binning.js';

describe('Sturges binning (numpy.histogram_bin_edges(bins="sturges"), numpy.histogram)', () => {
  it('makes ⌈log₂ n + 1⌉ equal-width bins over [min, max]', () => {
    // numpy: 8 values in [0.1, 4] → edges 0.1, 1.075, 2.05, 3.025, 4; counts 3, 2, 0, 3.
    const values = [0.5, 1.0, 1.7, 2.0, 3.3, 4.0, 4.0, 0.1];
    const edges = sturgesEdges(0.1, 4, 8);
    expect(edges).toHaveLength(5);
    [0.1, 1.075, 2.05, 3.025, 4].forEach((e, i) => expect(edges[i]).toBeCloseTo(e, 14));
    expect(Array.from(histogramCounts(values, edges))).toEqual([3, 2, 0, 3]);
    // 32 values 1..32 → 6 bins (numpy counts 6, 5, 5, 5, 5, 6).
    const thirtyTwo = Array.from({ length: 32 }, (_, i) => i + 1);
    const e32 = sturgesEdges(1, 32, 32);
    expect(e32).toHaveLength(7);
    expect(e32[6]).toBe(32);
    expect(e32[2]).toBeCloseTo(11.333333333333334, 13);
    expect(Array.from(histogramCounts(thirtyTwo, e32))).toEqual([6, 5, 5, 5, 5, 6]);
    // 2 values: log₂ 2 + 1 = 2 bins.
    expect(Array.from(sturgesEdges(-2, 5, 2))).toEqual([-2, 1.5, 5]);
    // 5 values: ⌈log₂ 5 + 1⌉ = ⌈3.32⌉ = 4 bins.
    expect(sturgesEdges(0, 1, 5)).toHaveLength(5);
    // A single value: one bin.
    expect(Array.from(sturgesEdges(0, 1, 1))).toEqual([0, 1]);
  });

  it('widens a degenerate range to [v − ½, v + ½] as numpy does', () => {
    expect(Array.from(sturgesEdges(3, 3, 3))).toEqual([2.5, 3.5]);
    expect(Array.from(histogramCounts([3, 3, 3], sturgesEdges(3, 3, 3)))).toEqual([3]);
  });

  it('closes only the last bin on the right and ignores values outside the edges', () => {
    const edges = Float64Array.of(0, 1, 2, 3);
    expect(Array.from(histogramCounts([0, 0.999, 1, 2, 2.5, 3, -0.001, 3.001, NaN], edges))).toEqual([2, 1, 3]);
    expect(Array.from(histogramCounts([], edges))).toEqual([0, 0, 0]);
  });
});
