/**
 * McNemar's test for paired pass/fail outcomes. Only discordant pairs count: b = A passed and B
 * failed, c = A failed and B passed. With b + c < 25 the exact test (binomial, n = b + c, p = 1/2,
 * two-sided: p = min(1, 2·P(X <= min(b, c)))), statsmodels' mcnemar(exact=True); otherwise the
 * χ² statistic with Edwards' continuity correction (|b - c| - 1)² / (b + c), one degree of freedom,
 * statsmodels' mcnemar(exact=False, correction=True).
 */
import { chiSquareSurvival } from '../../drift/chi-square.js';

export type McNemarResult = { test: 'mcnemar'; mode: 'exact' | 'chi-square-corrected'; b: number; c: number; statistic: number; pValue: number };

export const MCNEMAR_EXACT_BELOW = 25;

export function mcnemarTest(a: ArrayLike<number>, bOutcomes: ArrayLike<number>): McNemarResult {
  if (a.length !== bOutcomes.length) throw new RangeError('paired outcomes differ in length');
  let b = 0;
  let c = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = bOutcomes[i]!;
    if ((x !== 0 && x !== 1) || (y !== 0 && y !== 1)) throw new RangeError(`pass/fail outcomes must be 0 or 1 (pair ${i})`);
    if (x === 1 && y === 0) b++;
    else if (x === 0 && y === 1) c++;
  }
  return mcnemarFromCounts(b, c);
}

export function mcnemarFromCounts(b: number, c: number): McNemarResult {
  const n = b + c;
  if (n < MCNEMAR_EXACT_BELOW) {
    const k = Math.min(b, c);
    // P(X <= k) for X ~ Binomial(n, 1/2), summing C(n, i) / 2^n with the ratio C(n, i+1) = C(n, i)(n-i)/(i+1).
    let term = Math.pow(0.5, n);
    let cdf = 0;
    for (let i = 0; i <= k; i++) {
      cdf += term;
      term = (term * (n - i)) / (i + 1);
    }
    return { test: 'mcnemar', mode: 'exact', b, c, statistic: k, pValue: Math.min(1, 2 * cdf) };
  }
  const statistic = (Math.abs(b - c) - 1) ** 2 / n;
  return { test: 'mcnemar', mode: 'chi-square-corrected', b, c, statistic, pValue: chiSquareSurvival(statistic, 1) };
}
