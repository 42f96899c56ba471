import { describe, expect, it } from 'vitest';
import { columnDrift } from '../../../src/analytics/drift/column-drift.js';
import { numericPsi, numericPsiSorted, quantileBinEdges } from '../../../src/analytics/drift/population-stability-index.js';
import { sortFloat64 } from '../../../src/analytics/drift/sort-float64.js';
import { pooledWalkSorted, wassersteinDistance } from '../../../src/analytics/drift/wasserstein.js';
import { mulberry32 } from '../../../src/analytics/seeded-random.js';

/** Index of the first element whose bit pattern differs (-1 when none): distinguishes -0 from 0. */
function firstBitDifference(x: Float64Array, y: Float64Array): number {
  if (x.length !== y.length) return Math.min(x.length, y.length);
  const a = new Uint32Array(x.buffer, x.byteOffset, 2 * x.length);
  const b = new Uint32Array(y.buffer, y.byteOffset, 2 * y.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i >>> 1;
  return -1;
}

function sample(n: number, seed: number, draw: (u: () => number) => number): Float64Array {
  const random = mulberry32(seed);
  return Float64Array.from({ length: n }, () => draw(random));
}

const awkward = (u: () => number) => {
  const p = u();
  if (p < 0.02) return -0;
  if (p < 0.04) return 0;
  if (p < 0.05) return Number.POSITIVE_INFINITY;
  if (p < 0.06) return Number.NEGATIVE_INFINITY;
  if (p < 0.08) return 5e-324 * Math.floor(u() * 50) * (u() < 0.5 ? -1 : 1);
  return (u() - 0.5) * 10 ** Math.floor(u() * 30 - 15);
};

describe('sortFloat64 (radix sort)', () => {
  it('orders exactly as Float64Array.prototype.sort, -0 before 0, at every size and digit width', () => {
    const draws: Record<string, (u: () => number) => number> = {
      awkward,
      integers: (u) => Math.floor(u() * 100) - 30,
      decimals: (u) => Number((u() * 40 - 10).toFixed(3)),
      constant: () => 7.25,
    };
    // Already ascending, except for a 0 before a -0 that the built-in sort swaps.
    const ascending = Float64Array.from({ length: 5000 }, (_, i) => i - 2500);
    expect(firstBitDifference(sortFloat64(ascending.slice()), ascending)).toBe(-1);
    const zeros = ascending.slice();
    zeros[2499] = 0;
    zeros[2500] = -0;
    expect(firstBitDifference(sortFloat64(zeros.slice()), zeros.slice().sort())).toBe(-1);
    expect(Object.is(sortFloat64(zeros.slice())[2499], -0)).toBe(true);
    for (const [name, draw] of Object.entries(draws)) {
      for (const n of [0, 1, 17, 2047, 2048, 9000, 300_000]) {
        const values = sample(n, n + name.length, draw);
        const expected = values.slice().sort();
        expect(firstBitDifference(sortFloat64(values), expected), `${name} n=${n}`).toBe(-1);
      }
    }
  });

  it('sorts a subarray in place with a caller scratch buffer, and leaves NaNs to the built-in sort', () => {
    const backing = sample(12_000, 5, awkward);
    const view = backing.subarray(1000, 11_000);
    const expected = view.slice().sort();
    const before = backing.slice(0, 1000);
    sortFloat64(view, new Float64Array(20_000));
    expect(firstBitDifference(view, expected)).toBe(-1);
    expect(firstBitDifference(backing.subarray(0, 1000), before)).toBe(-1);

    const withNaN = sample(5000, 6, (u) => (u() < 0.01 ? Number.NaN : u() - 0.5));
    const sortedNaN = withNaN.slice().sort();
    expect(Array.from(sortFloat64(withNaN))).toEqual(Array.from(sortedNaN));
  });
});

describe('sorted numeric path', () => {
  /** The per-value binning numericPsi has always done: bins (-∞, e₀], (e₀, e₁], …, (e_k, ∞). */
  function naiveBinCounts(values: ArrayLike<number>, edges: Float64Array): number[] {
    const counts = Array.from({ length: edges.length + 1 }, () => 0);
    for (let i = 0; i < values.length; i++) {
      let b = 0;
      while (b < edges.length && !(values[i]! <= edges[b]!)) b++;
      counts[b]!++;
    }
    return counts;
  }

  it('PSI bin counts by binary search at the edges equal per-value binning, ties on edges included', () => {
    // Few distinct values: many values sit exactly on the quantile edges.
    const reference = sample(20_000, 11, (u) => Math.floor(u() * 7)).sort();
    const current = sample(15_000, 12, (u) => Math.floor(u() * 9) - 1).sort();
    const edges = quantileBinEdges(reference, 10);
    const sorted = numericPsiSorted(reference, current, 10);
    expect(sorted.bins.map((b) => Math.round(b.reference * reference.length))).toEqual(naiveBinCounts(reference, edges));
    expect(sorted.bins.map((b) => Math.round(b.current * current.length))).toEqual(naiveBinCounts(current, edges));
    // The unsorted entry point gives the same result.
    const shuffled = sample(15_000, 12, (u) => Math.floor(u() * 9) - 1);
    expect(numericPsi(reference, shuffled, 10)).toEqual(sorted);
  });

  it('PSI with infinite reference values (a NaN quantile edge) still bins value by value', () => {
    const reference = Float64Array.of(Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY, 1, 2, 3, Number.POSITIVE_INFINITY).sort();
    const current = Float64Array.of(-5, 0, 1, 2, 2, 9).sort();
    const edges = quantileBinEdges(reference, 10);
    const r = numericPsiSorted(reference, current, 10);
    expect(r.bins.map((b) => Math.round(b.current * current.length))).toEqual(naiveBinCounts(current, edges));
    expect(r.bins.map((b) => Math.round(b.reference * reference.length))).toEqual(naiveBinCounts(reference, edges));
  });

  it('one merge walk gives W₁ and the number of distinct pooled values (-0 and 0 as one)', () => {
    const a = sample(5000, 21, (u) => (u() < 0.1 ? -0 : Math.floor(u() * 40) / 4)).sort();
    const b = sample(3000, 22, (u) => (u() < 0.1 ? 0 : Math.floor(u() * 50) / 4 - 1)).sort();
    const walk = pooledWalkSorted(a, b);
    // scipy's formulation: pooled sorted values, ECDFs by counting, Σ |F_a - F_b| · Δ.
    const pooled = [...a, ...b].sort((x, y) => x - y);
    const cdf = (s: Float64Array, t: number) => s.filter((x) => x <= t).length / s.length;
    let expected = 0;
    for (let k = 0; k + 1 < pooled.length; k++) if (pooled[k + 1]! > pooled[k]!) expected += Math.abs(cdf(a, pooled[k]!) - cdf(b, pooled[k]!)) * (pooled[k + 1]! - pooled[k]!);
    expect(walk.wasserstein).toBeCloseTo(expected, 12);
    expect(walk.distinct).toBe(new Set([...a, ...b].map((x) => (Object.is(x, -0) ? 0 : x))).size);
  });

  it('column results do not depend on the sample container (number[] or Float64Array) or on value order', () => {
    const random = mulberry32(31);
    const refValues = Array.from({ length: 30_000 }, () => (random() < 0.02 ? Number.NaN : Number((Math.exp(10 + random()) * 1.0).toFixed(2))));
    const curValues = Array.from({ length: 25_000 }, () => (random() < 0.02 ? Number.NaN : Number((Math.exp(10.05 + random()) * 1.0).toFixed(2))));
    const fromArrays = columnDrift({ kind: 'numeric', values: refValues }, { kind: 'numeric', values: curValues });
    const fromTyped = columnDrift({ kind: 'numeric', values: Float64Array.from(refValues) }, { kind: 'numeric', values: Float64Array.from(curValues) });
    const reversed = columnDrift({ kind: 'numeric', values: [...refValues].reverse() }, { kind: 'numeric', values: [...curValues].reverse() });
    expect(fromArrays.test).toBe('wasserstein');
    expect(fromTyped).toEqual(fromArrays);
    expect(reversed).toEqual(fromArrays);
    expect(fromArrays.referenceMissing + fromArrays.referenceSize).toBe(30_000);
    // The Wasserstein score is the normalised distance of the non-missing values.
    const finite = (v: number[]) => v.filter((x) => !Number.isNaN(x));
    const ref = finite(refValues);
    const mean = ref.reduce((s, x) => s + x, 0) / ref.length;
    const std = Math.sqrt(ref.reduce((s, x) => s + (x - mean) ** 2, 0) / ref.length);
    expect(fromArrays.score).toBeCloseTo(wassersteinDistance(ref, finite(curValues)) / std, 12);
  });

  it('value counts of a numeric column merge -0 and 0 under one key, as String does', () => {
    const numeric = columnDrift({ kind: 'numeric', values: [-0, 0, 0, 1, 1, 2, -0] }, { kind: 'numeric', values: [0, 1, 2, 2, 2, -0] });
    const categorical = columnDrift(
      {
        kind: 'categorical',
        counts: new Map([
          ['0', 4],
          ['1', 2],
          ['2', 1],
        ]),
      },
      {
        kind: 'categorical',
        counts: new Map([
          ['0', 2],
          ['1', 1],
          ['2', 3],
        ]),
      },
    );
    expect(numeric.test).toBe('chisquare');
    expect(numeric.distinctValues).toBe(3);
    expect(numeric.score).toBe(categorical.score);
    expect(numeric.statistic).toBe(categorical.statistic);
  });
});
