/**
 * Paired permutation (sign-flip) test of the mean difference, two-sided. Under the null hypothesis
 * each difference is as likely to have either sign, so the reference distribution is that of
 * Σ s_i·|d_i| over sign vectors s. Exact (all 2^n sign vectors, Gray-code order so each costs one
 * addition) for n <= 20: p = #{|S| >= |S_obs|} / 2^n. Above that, B seeded Monte Carlo sign vectors
 * and p = (#{|S| >= |S_obs|} + 1) / (B + 1) (Phipson & Smyth 2010: never 0, valid). Sums within
 * 1e-9·Σ|d| of |S_obs| count as at least as extreme (floating noise must not decide the tail).
 */
import { mulberry32 } from '../../seeded-random.js';

export type PermutationResult = { test: 'sign-flip-permutation'; mode: 'exact' | 'monte-carlo'; n: number; statistic: number; permutations: number; pValue: number; seed: number | null };

export const PERMUTATION_EXACT_MAX_N = 20;
export const DEFAULT_PERMUTATION_RESAMPLES = 10000;

export function signFlipPermutationTest(differences: ArrayLike<number>, options: { seed: number; resamples?: number }): PermutationResult {
  const n = differences.length;
  let observed = 0;
  let absoluteSum = 0;
  for (let i = 0; i < n; i++) {
    observed += differences[i]!;
    absoluteSum += Math.abs(differences[i]!);
  }
  const statistic = n > 0 ? observed / n : 0;
  const threshold = Math.abs(observed) - 1e-9 * absoluteSum;
  if (n <= PERMUTATION_EXACT_MAX_N) {
    // Start from all signs +; flipping element i changes the sum by -2·s_i·d_i.
    const signs = new Int8Array(n).fill(1);
    let sum = absoluteSum;
    const magnitudes = new Float64Array(n);
    for (let i = 0; i < n; i++) magnitudes[i] = Math.abs(differences[i]!);
    const total = 2 ** n;
    let extreme = Math.abs(sum) >= threshold ? 1 : 0;
    for (let step = 1; step < total; step++) {
      // Gray code: the bit that changes between step-1 and step is the lowest set bit of step.
      const i = 31 - Math.clz32(step & -step);
      sum -= 2 * signs[i]! * magnitudes[i]!;
      signs[i] = -signs[i]! as -1 | 1;
      if (Math.abs(sum) >= threshold) extreme++;
    }
    return { test: 'sign-flip-permutation', mode: 'exact', n, statistic, permutations: total, pValue: extreme / total, seed: null };
  }
  const B = options.resamples ?? DEFAULT_PERMUTATION_RESAMPLES;
  if (!Number.isInteger(B) || B < 1) throw new RangeError(`resamples must be a positive integer, got ${B}`);
  const random = mulberry32(options.seed);
  let extreme = 0;
  for (let r = 0; r < B; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += random() < 0.5 ? -Math.abs(differences[i]!) : Math.abs(differences[i]!);
    if (Math.abs(sum) >= threshold) extreme++;
  }
  return { test: 'sign-flip-permutation', mode: 'monte-carlo', n, statistic, permutations: B, pValue: (extreme + 1) / (B + 1), seed: options.seed };
}
