import { describe, expect, it } from 'vitest';
import { ksExactPValue, ksTwoSample } from '../../../src/analytics/drift/kolmogorov-smirnov.js';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
const A = (n: number, s = 0) => Float64Array.from({ length: n }, (_, i) => Math.sin(i * 0.7) * 3 + i * 0.001 + s);
const B = (n: number, s = 0) => Float64Array.from({ length: n }, (_, i) => Math.cos(i * 1.3) * 2.5 + 0.2 + s);

/** Brute force: enumerate every lattice path (every way to interleave the two samples) and count those with max gap ≥ h. */
function bruteForcePValue(n1: number, n2: number, h: number): number {
  let outside = 0;
  let total = 0;
  const walk = (i: number, j: number, maxGap: number) => {
    if (i === n1 && j === n2) {
      total++;
      if (maxGap >= h) outside++;
      return;
    }
    if (i < n1) walk(i + 1, j, Math.max(maxGap, Math.abs((i + 1) * n2 - j * n1)));
    if (j < n2) walk(i, j + 1, Math.max(maxGap, Math.abs(i * n2 - (j + 1) * n1)));
  };
  walk(0, 0, 0);
  return outside / total;
}

describe('two-sample Kolmogorov–Smirnov', () => {
  it('computes the statistic by hand: disjoint samples give D = 1, interleaved ones D = 1/3', () => {
    expect(ksTwoSample([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]).statistic).toBe(1);
    // ECDF gaps at 1, 1.5, 2, 2.5, 3: 1/3, 1/12, 5/12, 1/6, 1/2 (F1 = 1, F2 = 1/2), then falling
    expect(ksTwoSample([1, 2, 3], [1.5, 2.5, 3.5, 4.5]).statistic).toBeCloseTo(0.5, 15);
    // ties: the ECDFs jump together
    expect(ksTwoSample([1, 1, 2, 2], [1, 2, 2, 2]).statistic).toBeCloseTo(0.25, 15);
  });

  it('gives exact p-values equal to lattice-path enumeration (n1 = n2 and n1 ≠ n2)', () => {
    for (const [n1, n2] of [
      [5, 5],
      [6, 6],
      [4, 7],
      [6, 9],
      [3, 8],
    ] as const) {
      const g = gcdOf(n1, n2);
      for (let gap = g; gap <= n1 * n2; gap += g) {
        const h = gap / g;
        const exact = ksExactPValue(n1, n2, h);
        // scipy's recursion can overshoot 1 by an ulp at the smallest gaps; like scipy we then report NaN and fall back to asymp
        if (Number.isNaN(exact)) {
          expect(bruteForcePValue(n1, n2, gap)).toBe(1);
          continue;
        }
        expect(Math.abs(ksExactPValue(n1, n2, h) - bruteForcePValue(n1, n2, gap))).toBeLessThan(1e-12);
      }
    }
    // C(10,5) = 252 interleavings, 2 of them give D = 1
    expect(ksTwoSample([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]).pValue).toBeCloseTo(2 / 252, 15);
  });

  it('falls back to the asymptotic p-value where scipy does (n = 5, D = 1/5 overshoots 1)', () => {
    const r = ksTwoSample([1, 3, 5, 7, 9], [2, 4, 6, 8, 10]);
    expect(r.statistic).toBeCloseTo(0.2, 15);
    expect(r.method).toBe('asymp');
    expect(r.pValue).toBe(1);
  });

  it('matches scipy.stats.ks_2samp (scipy 1.17.1) on exact and asymptotic paths', () => {
    const cases: [number, number, number, number, number, 'exact' | 'asymp'][] = [
      [50, 50, 0, 0.2, 0.2719135601522248, 'exact'],
      [1000, 900, 0, 0.234, 3.110374579614446e-23, 'exact'],
      [500, 700, 2, 0.438, 7.985650930926811e-51, 'exact'],
      [7, 13, 0.8, 0.23076923076923078, 0.9248968008255932, 'exact'],
      [200, 12000, 0.3, 0.22, 7.459836922814442e-9, 'asymp'],
      [30, 20000, 0.5, 0.269, 0.0208501402311132, 'asymp'],
    ];
    for (const [n1, n2, shift, d, p, method] of cases) {
      const r = ksTwoSample(A(n1), B(n2, shift));
      expect(r.statistic).toBeCloseTo(d, 12);
      expect(r.method).toBe(method);
      expect(rel(r.pValue, p)).toBeLessThan(1e-8);
    }
  });
});

function gcdOf(a: number, b: number): number {
  return b === 0 ? a : gcdOf(b, a % b);
}
