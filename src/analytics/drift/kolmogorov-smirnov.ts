import { kolmogorovNSurvival } from './kolmogorov-distribution.js';
import { sortFloat64 } from './sort-float64.js';

/**
 * Two-sample, two-sided Kolmogorov–Smirnov test following scipy.stats.ks_2samp (scipy ≥ 1.5,
 * `_stats_py.py`): D = sup |F₁ - F₂| over the pooled sample (right-continuous ECDFs); with
 * method 'auto' the p-value is exact when max(n₁, n₂) ≤ 10 000, otherwise asymptotic.
 * Exact: n₁ = n₂ by `_compute_prob_outside_square` (the alternating binomial sum in Horner form);
 * n₁ ≠ n₂ by `_compute_outer_prob_inside_method` (Hodges 1958 lattice-path recursion, rewritten
 * for 1 - p by Viehmann 2021, arXiv:2102.08037). If the exact value is not a probability scipy
 * falls back to the asymptotic one, and so do we.
 * Asymptotic: kstwo.sf(D, round(n₁n₂/(n₁+n₂))), the finite-n two-sided Kolmogorov distribution
 * at the effective size.
 */

export type KsMethod = 'auto' | 'exact' | 'asymp';
export type KsResult = {
  statistic: number;
  pValue: number;
  method: 'exact' | 'asymp';
  /** Where the ECDF gap is largest, and its sign (+1 when F₁ > F₂ there), as scipy reports. */
  statisticLocation: number;
  statisticSign: 1 | -1;
  n1: number;
  n2: number;
};

const MAX_AUTO_N = 10_000;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** numpy's round: half to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** P(D_{n,n} ≥ h/n) (scipy `_compute_prob_outside_square`). */
export function probOutsideSquare(n: number, h: number): number {
  let p = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    p = p1 * (1 - p);
  }
  return 2 * p;
}

/** Share of lattice paths (0,0)→(m,n) leaving |x/m - y/n| < h/lcm(m,n) (scipy `_compute_outer_prob_inside_method`). */
export function outerProbInside(m0: number, n0: number, g: number, h: number): number {
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(Math.max(lenA, n + 1)).fill(1);
  for (let j = minj; j < maxj; j++) A[j] = 0;
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (A[jj + minj - lastminj]! * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) for (let x = maxj - minj; x < maxj - minj + (lastlen - curlen); x++) A[x] = 1;
  }
  return A[maxj - minj - 1]!;
}

function isSorted(x: ArrayLike<number>): boolean {
  for (let i = 1; i < x.length; i++) if (x[i - 1]! > x[i]!) return false;
  return true;
}

function sortedCopy(x: ArrayLike<number>): Float64Array {
  const out = x instanceof Float64Array ? x.slice() : Float64Array.from(x);
  if (!isSorted(out)) sortFloat64(out);
  return out;
}

/** Exact two-sided p-value for D = h/lcm(n1, n2) (scipy `_attempt_exact_2kssamp`); NaN when not a probability. */
export function ksExactPValue(n1: number, n2: number, h: number): number {
  if (h === 0) return 1;
  const g = gcd(n1, n2);
  const p = n1 === n2 ? probOutsideSquare(n1, h) : outerProbInside(n1, n2, g, h);
  return p >= 0 && p <= 1 ? p : Number.NaN;
}

/** Two-sample KS test; inputs need not be sorted (a sorted Float64Array is used as is). NaNs must be removed first. */
export function ksTwoSample(a: ArrayLike<number>, b: ArrayLike<number>, options: { method?: KsMethod } = {}): KsResult {
  return ksTwoSampleSorted(sortedCopy(a), sortedCopy(b), options);
}

/** ksTwoSample on two samples already sorted ascending (no NaN), without copying them. */
export function ksTwoSampleSorted(x: ArrayLike<number>, y: ArrayLike<number>, options: { method?: KsMethod } = {}): KsResult {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('ksTwoSample needs two non-empty samples');
  // Walk the pooled values in order; gap = n2·c1 - n1·c2 is an exact integer below 2^53.
  let i = 0;
  let j = 0;
  let maxGap = 0;
  let minGap = 0;
  let maxAt = x[0]!;
  let minAt = x[0]!;
  while (i < n1 || j < n2) {
    const v = j >= n2 || (i < n1 && x[i]! <= y[j]!) ? x[i]! : y[j]!;
    while (i < n1 && x[i]! <= v) i++;
    while (j < n2 && y[j]! <= v) j++;
    const gap = n2 * i - n1 * j;
    if (gap > maxGap) [maxGap, maxAt] = [gap, v];
    if (gap < minGap) [minGap, minAt] = [gap, v];
  }
  const useMin = -minGap > maxGap;
  const gapAbs = useMin ? -minGap : maxGap;
  const statistic = gapAbs / (n1 * n2);
  const method = options.method ?? 'auto';
  let chosen: 'exact' | 'asymp' = method === 'asymp' || (method === 'auto' && Math.max(n1, n2) > MAX_AUTO_N) ? 'asymp' : 'exact';
  let pValue = Number.NaN;
  if (chosen === 'exact') {
    const g = gcd(n1, n2);
    pValue = ksExactPValue(n1, n2, gapAbs / g);
    if (Number.isNaN(pValue)) chosen = 'asymp';
  }
  if (chosen === 'asymp') {
    const en = (n1 * n2) / (n1 + n2);
    pValue = kolmogorovNSurvival(roundHalfEven(en), statistic);
  }
  return {
    statistic,
    pValue: Math.min(1, Math.max(0, pValue)),
    method: chosen,
    statisticLocation: useMin ? minAt : maxAt,
    statisticSign: useMin ? -1 : 1,
    n1,
    n2,
  };
}
