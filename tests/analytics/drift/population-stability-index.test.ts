import { describe, expect, it } from 'vitest';
import { categoricalPsi, fillZeroProportions, numericPsi, numericPsiSorted, quantileBinEdges, quantileSortedLinear } from '../../../src/analytics/drift/population-stability-index.js';

// Reference 1..10: numpy.quantile edges 1.9, 2.8, …, 9.1. Current 15, 1, 2, 1, 2, 3, 11, 12, 13, 14:
// proportions .2 .2 .1 0 0 0 0 0 0 .5 against .1 each; the empty bins filled with 1e-4.
// PSI computed with numpy by the same definition: 4.922913115307522.
const reference = Float64Array.from({ length: 10 }, (_, i) => i + 1);
const current = [15, 1, 2, 1, 2, 3, 11, 12, 13, 14];
const PSI = 4.922913115307522;
const EMPTY_BIN = (0.1 - 1e-4) * Math.log(0.1 / 1e-4);

describe('numeric PSI on reference-quantile bins', () => {
  it('matches numpy, unsorted or sorted current sample', () => {
    for (const r of [numericPsi(reference, current), numericPsiSorted(reference, Float64Array.from(current).sort())]) {
      expect(r.psi).toBeCloseTo(PSI, 12);
      expect(r.bins.map((b) => b.current)).toEqual([0.2, 0.2, 0.1, 0, 0, 0, 0, 0, 0, 0.5]);
      expect(r.bins.every((b) => b.reference === 0.1)).toBe(true);
      expect(r.bins[0]).toEqual({ lower: -Infinity, upper: 1.9, reference: 0.1, current: 0.2, contribution: expect.closeTo(0.1 * Math.log(2), 14) });
      expect(r.bins[2]!.contribution).toBe(0);
      expect(r.bins[3]!.contribution).toBeCloseTo(EMPTY_BIN, 14);
      expect(r.bins[9]).toEqual({ lower: 9.1, upper: Infinity, reference: 0.1, current: 0.5, contribution: expect.closeTo(-0.4 * Math.log(0.2), 14) });
      expect(r.bins[4]!.lower).toBe(r.bins[3]!.upper);
    }
  });

  it('puts a value equal to an edge in the bin that edge closes', () => {
    // Edges of 1..10 with 2 bins: the median 5.5. 5.5 belongs to (-∞, 5.5].
    const r = numericPsi(reference, [5.5, 5.6], 2);
    expect(r.bins.map((b) => b.current)).toEqual([0.5, 0.5]);
    // With ten bins 5.5 is the fifth edge: it closes (4.6, 5.5]; 5.6 opens the next bin.
    expect(numericPsi(reference, [5.6, 5.5]).bins.map((b) => b.current)).toEqual([0, 0, 0, 0, 0.5, 0.5, 0, 0, 0, 0]);
    const sorted = numericPsiSorted(reference, [5.5, 5.6], 2);
    expect(sorted.bins.map((b) => b.current)).toEqual([0.5, 0.5]);
    expect(numericPsi(reference, [5.6, 5.5], 2).bins.map((b) => b.current)).toEqual([0.5, 0.5]);
  });

  it('drops repeated quantile edges', () => {
    // numpy.quantile([0×8, 1, 2], .1….9) = 0 (×7), .2, 1.1.
    const edges = quantileBinEdges(Float64Array.of(0, 0, 0, 0, 0, 0, 0, 0, 1, 2));
    expect(edges).toHaveLength(3);
    expect(edges[0]).toBe(0);
    expect(edges[1]).toBeCloseTo(0.2, 14);
    expect(edges[2]).toBeCloseTo(1.1, 14);
    expect(Array.from(quantileBinEdges(reference, 4))).toEqual([3.25, 5.5, 7.75]);
  });

  it('interpolates quantiles linearly between order statistics (numpy "linear")', () => {
    expect(quantileSortedLinear([1, 2, 4, 8], 0.3)).toBeCloseTo(1.9, 14);
    expect(quantileSortedLinear([1, 2, 4, 8], 0.5)).toBe(3);
    expect(quantileSortedLinear([1, 2, 4, 8], 1)).toBe(8);
    expect(quantileSortedLinear([1, 2, 4, 8], 0)).toBe(1);
    expect(quantileSortedLinear([7], 0.4)).toBe(7);
  });
});

describe('zero proportions (Evidently feel_zeroes)', () => {
  it('fills with 1e-4, or with the smallest non-zero proportion over 1e6 when that is at most 1e-4', () => {
    expect(Array.from(fillZeroProportions(Float64Array.of(0, 0.5, 0.5)))).toEqual([1e-4, 0.5, 0.5]);
    expect(Array.from(fillZeroProportions(Float64Array.of(0, 5e-5, 1 - 5e-5)))).toEqual([5e-5 / 1e6, 5e-5, 1 - 5e-5]);
    expect(Array.from(fillZeroProportions(Float64Array.of(0, 1e-4, 1 - 1e-4)))).toEqual([1e-4 / 1e6, 1e-4, 1 - 1e-4]);
    expect(Array.from(fillZeroProportions(Float64Array.of(0, 1.0001e-4, 0.5)))).toEqual([1e-4, 1.0001e-4, 0.5]);
  });
});

describe('categorical PSI', () => {
  it('uses the union of categories with their proportions and contributions', () => {
    const r = categoricalPsi(new Map([['a', 30], ['b', 10]]), new Map([['b', 5], ['c', 15]]));
    expect(r.categories.map((c) => [c.category, c.reference, c.current])).toEqual([
      ['a', 0.75, 0],
      ['b', 0.25, 0.25],
      ['c', 0, 0.75],
    ]);
    const a = (0.75 - 1e-4) * Math.log(0.75 / 1e-4);
    expect(r.categories.map((c) => c.contribution)).toEqual([expect.closeTo(a, 12), 0, expect.closeTo(a, 12)]);
    expect(r.psi).toBeCloseTo(2 * a, 12);
  });
});
