import { describe, expect, it } from 'vitest';
import { chiSquareGoodnessOfFit, chiSquareSurvival } from '../../../src/analytics/drift/chi-square.js';
import { logGamma, regularizedGammaP, regularizedGammaQ } from '../../../src/analytics/drift/incomplete-gamma.js';
import { kolmogorovNSurvival, kolmogorovSurvival } from '../../../src/analytics/drift/kolmogorov-distribution.js';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

/** Closed form for even dof: Q(k/2, x/2) = e^{-x/2} Σ_{i<k/2} (x/2)^i / i!. */
function evenDofSurvival(x: number, dof: number): number {
  let term = 1;
  let sum = 0;
  for (let i = 0; i < dof / 2; i++) {
    sum += term;
    term *= x / 2 / (i + 1);
  }
  return Math.exp(-x / 2) * sum;
}

describe('chi-square survival', () => {
  it('gives 0.05 at the 95th percentile of chi2(1)', () => {
    expect(rel(chiSquareSurvival(3.841458820694124, 1), 0.05)).toBeLessThan(1e-12);
  });

  it('matches the even-dof closed form deep in the tail to 1e-10 relative', () => {
    for (const [x, k] of [
      [100, 10],
      [1000, 10],
      [400, 50],
      [30, 4],
      [0.2, 6],
      [250, 200],
    ] as const) {
      expect(rel(chiSquareSurvival(x, k), evenDofSurvival(x, k))).toBeLessThan(1e-10);
    }
    expect(chiSquareSurvival(100, 10)).toBeCloseTo(5.4497019829205e-17, 28);
  });

  it('matches scipy.stats.chi2.sf (scipy 1.17.1) at odd dof', () => {
    expect(rel(chiSquareSurvival(0.5, 7), 0.9994464813904249)).toBeLessThan(1e-12);
    expect(rel(chiSquareSurvival(30, 3), 1.3800570312932553e-6)).toBeLessThan(1e-10);
    expect(rel(chiSquareSurvival(1e-3, 1), 0.9747728793699604)).toBeLessThan(1e-12);
  });

  it('keeps P + Q = 1 and Γ(n) = (n-1)!', () => {
    for (const [a, x] of [
      [0.5, 0.1],
      [3, 2],
      [10, 15],
      [50, 40],
    ] as const)
      expect(regularizedGammaP(a, x) + regularizedGammaQ(a, x)).toBeCloseTo(1, 14);
    expect(Math.exp(logGamma(6))).toBeCloseTo(120, 10);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 14);
  });

  it('computes Pearson statistic and p-value on a hand case (χ² = 1 + 1 + 0 = 2, p = e^{-1})', () => {
    const r = chiSquareGoodnessOfFit([30, 20, 50], [25, 25, 50]);
    expect(r.statistic).toBeCloseTo(2, 12);
    expect(r.dof).toBe(2);
    expect(rel(r.pValue, Math.exp(-1))).toBeLessThan(1e-12);
  });
});

describe('Kolmogorov distributions', () => {
  it('has the tabulated limiting survival K(1.36) ≈ 0.0494 and K(1.22) ≈ 0.10', () => {
    expect(kolmogorovSurvival(1.36)).toBeCloseTo(0.049485876755377876, 14);
    expect(kolmogorovSurvival(1.224)).toBeCloseTo(0.1, 3);
    expect(kolmogorovSurvival(0.5)).toBeCloseTo(0.9639452436648751, 14);
  });

  it('matches scipy.stats.kstwo.sf on every branch', () => {
    const cases: [number, number, number][] = [
      [1000, 0.05, 0.013012074781090332],
      [200, 0.1, 0.03411035080315383],
      [5000, 0.02, 0.03613941395325637],
      [50, 0.2, 0.03143877776953241],
      [100, 0.45, 5.324995419657099e-19],
      [196, 0.3, 3.854969695332846e-16],
    ];
    for (const [n, d, expected] of cases) expect(rel(kolmogorovNSurvival(n, d), expected)).toBeLessThan(1e-8);
    expect(kolmogorovNSurvival(300, 0.004)).toBe(1);
  });
});
