/**
 * Wilcoxon signed-rank test of paired differences, two-sided, as scipy.stats.wilcoxon defines it
 * with zero_method='wilcox' (zero differences dropped before ranking): |d| ranked with mid-ranks
 * for ties, R+ and R- the rank sums of positive and negative differences, statistic
 * T = min(R+, R-).
 * - exact (n <= 25 nonzero differences and no tied |d|): the null distribution of R+ is that of a
 *   sum of a random subset of {1..n}; p = min(1, 2·P(R+ <= T)) (scipy's method='exact');
 * - otherwise the normal approximation with tie correction and continuity correction (scipy's
 *   method='approx', correction=True): μ = n(n+1)/4, σ² = [n(n+1)(2n+1) - ½·Σ t(t²-1)]/24 over
 *   groups of t tied |d|, z = (T - μ + ½)/σ when T < μ (the ½ moves T toward μ), p = 2·(1 - Φ(|z|)).
 * Differences within 1e-12·max|d| of each other count as tied, and within that of 0 as zero, so
 * floating noise in a score does not break ties that are equal by construction.
 */
import { normalTwoSidedPValue } from './normal-distribution.js';

export type WilcoxonResult = {
  test: 'wilcoxon';
  mode: 'exact' | 'normal-approximation';
  /** Nonzero differences used. */
  n: number;
  zeros: number;
  statistic: number;
  rankSumPositive: number;
  rankSumNegative: number;
  z: number | null;
  pValue: number;
};

export const WILCOXON_EXACT_MAX_N = 25;

/** Number of subsets of {1..n} with each sum 0..n(n+1)/2. */
export function signedRankCounts(n: number): Float64Array {
  const max = (n * (n + 1)) / 2;
  const counts = new Float64Array(max + 1);
  counts[0] = 1;
  for (let k = 1; k <= n; k++) for (let s = max; s >= k; s--) counts[s]! += counts[s - k]!;
  return counts;
}

export function wilcoxonSignedRank(differences: ArrayLike<number>): WilcoxonResult {
  let scale = 0;
  for (let i = 0; i < differences.length; i++) scale = Math.max(scale, Math.abs(differences[i]!));
  const tolerance = 1e-12 * scale;
  const kept: number[] = [];
  for (let i = 0; i < differences.length; i++) if (Math.abs(differences[i]!) > tolerance) kept.push(differences[i]!);
  const n = kept.length;
  const zeros = differences.length - n;
  if (n === 0) return { test: 'wilcoxon', mode: 'exact', n, zeros, statistic: 0, rankSumPositive: 0, rankSumNegative: 0, z: null, pValue: 1 };
  const order = kept.map((_, i) => i).sort((i, j) => Math.abs(kept[i]!) - Math.abs(kept[j]!));
  let rankSumPositive = 0;
  let rankSumNegative = 0;
  let tieTerm = 0;
  let ties = false;
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && Math.abs(kept[order[end]!]!) - Math.abs(kept[order[start]!]!) <= tolerance) end++;
    const t = end - start;
    const midRank = (start + 1 + end) / 2;
    if (t > 1) {
      ties = true;
      tieTerm += t * (t * t - 1);
    }
    for (let i = start; i < end; i++) {
      if (kept[order[i]!]! > 0) rankSumPositive += midRank;
      else rankSumNegative += midRank;
    }
    start = end;
  }
  const statistic = Math.min(rankSumPositive, rankSumNegative);
  const base = { test: 'wilcoxon' as const, n, zeros, statistic, rankSumPositive, rankSumNegative };
  if (n <= WILCOXON_EXACT_MAX_N && !ties) {
    const counts = signedRankCounts(n);
    let below = 0;
    for (let s = 0; s <= statistic; s++) below += counts[s]!;
    return { ...base, mode: 'exact', z: null, pValue: Math.min(1, (2 * below) / Math.pow(2, n)) };
  }
  const mean = (n * (n + 1)) / 4;
  const variance = (n * (n + 1) * (2 * n + 1) - 0.5 * tieTerm) / 24;
  const correction = 0.5 * Math.sign(statistic - mean);
  const z = variance > 0 ? (statistic - mean - correction) / Math.sqrt(variance) : 0;
  return { ...base, mode: 'normal-approximation', z, pValue: normalTwoSidedPValue(z) };
}
