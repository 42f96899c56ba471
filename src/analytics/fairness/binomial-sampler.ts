import type { Random } from './seeded-random.js';

/**
 * An exact Binomial(n, p) variate. For n·min(p, 1-p) < 10, sequential-search inversion of the
 * CDF (Devroye 1986, X.4.3); otherwise Hörmann's BTRD, transformed rejection with decomposition
 * (W. Hörmann, "The generation of binomial random variates", J. Statist. Comput. Simul. 46, 1993,
 * 101-110). Both are exact: no normal or Poisson approximation is involved.
 */
export function sampleBinomial(n: number, p: number, random: Random): number {
  if (n <= 0 || !(p > 0)) return 0;
  if (p >= 1) return n;
  if (p > 0.5) return n - sampleBinomial(n, 1 - p, random);
  return n * p < 10 ? binomialInversion(n, p, random) : binomialBtrd(n, p, random);
}

/**
 * Multinomial(total; probabilities) written into `out`, by sequential conditional binomials:
 * X_i | X_1..X_{i-1} ~ Binomial(total - Σ_{j<i} X_j, p_i / Σ_{j≥i} p_j) (e.g. Devroye 1986, XI.1).
 * `probabilities` need not be normalised; zero entries get zero.
 */
export function sampleMultinomial(total: number, probabilities: Float64Array, out: Float64Array, random: Random): void {
  const k = probabilities.length;
  let remainingMass = 0;
  let last = -1;
  for (let i = 0; i < k; i++) {
    remainingMass += probabilities[i]!;
    if (probabilities[i]! > 0) last = i;
  }
  let remaining = total;
  for (let i = 0; i < k; i++) {
    const p = probabilities[i]!;
    if (remaining === 0 || p <= 0) {
      out[i] = 0;
      continue;
    }
    // The last cell with mass takes the rest, so rounding in the running mass never loses draws.
    const x = i === last ? remaining : sampleBinomial(remaining, Math.min(1, p / remainingMass), random);
    out[i] = x;
    remaining -= x;
    remainingMass -= p;
  }
}

/** Inversion by sequential search from 0, using f(k+1) = f(k)·(n-k)/(k+1)·p/q. Expected cost O(np). */
function binomialInversion(n: number, p: number, random: Random): number {
  const q = 1 - p;
  const s = p / q;
  let f = Math.pow(q, n);
  let u = random();
  let k = 0;
  while (u > f && k < n) {
    u -= f;
    k += 1;
    f *= ((n - k + 1) / k) * s;
  }
  return k;
}

/** Stirling series correction fc(k) = ln k! - [(k+½)ln(k+1) - (k+1) + ½ln 2π] (Hörmann 1993, table for k ≤ 9). */
const FC_TABLE = [
  0.08106146679532726, 0.04134069595540929, 0.02767792568499834, 0.02079067210376509, 0.01664469118982119, 0.01387612882307075,
  0.01189670994589177, 0.01041126526197209, 0.009255462182712733, 0.008330563433362871,
];
function fc(k: number): number {
  if (k < 10) return FC_TABLE[k]!;
  const r = 1 / (k + 1);
  const r2 = r * r;
  return (1 / 12 - (1 / 360 - r2 / 1260) * r2) * r;
}

/** Hörmann 1993, algorithm BTRD, steps 0-3.4, for p ≤ ½ and np ≥ 10. */
function binomialBtrd(n: number, p: number, random: Random): number {
  // Step 0: setup.
  const q = 1 - p;
  const m = Math.floor((n + 1) * p);
  const r = p / q;
  const nr = (n + 1) * r;
  const npq = n * p * q;
  const sqrtNpq = Math.sqrt(npq);
  const b = 1.15 + 2.53 * sqrtNpq;
  const a = -0.0873 + 0.0248 * b + 0.01 * p;
  const c = n * p + 0.5;
  const alpha = (2.83 + 5.1 / b) * sqrtNpq;
  const vr = 0.92 - 4.2 / b;
  const urvr = 0.86 * vr;
  for (;;) {
    // Step 1: the inner box, accepted immediately (~86% of draws).
    let v = random();
    let u: number;
    if (v <= urvr) {
      u = v / vr - 0.43;
      return Math.floor(((2 * a) / (0.5 - Math.abs(u)) + b) * u + c);
    }
    // Step 2: a point in the remaining region.
    if (v >= vr) {
      u = random() - 0.5;
    } else {
      u = v / vr - 0.93;
      u = Math.sign(u) * 0.5 - u;
      v = random() * vr;
    }
    // Step 3.0
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + c);
    if (k < 0 || k > n) continue;
    v = (v * alpha) / (a / (us * us) + b);
    const km = Math.abs(k - m);
    if (km <= 15) {
      // Step 3.1: recursive evaluation of f(k)/f(m).
      let f = 1;
      if (m < k) {
        for (let i = m + 1; i <= k; i++) f *= nr / i - r;
      } else if (m > k) {
        for (let i = k + 1; i <= m; i++) v *= nr / i - r;
      }
      if (v <= f) return k;
      continue;
    }
    // Step 3.2: squeeze on the log scale.
    v = Math.log(v);
    const rho = (km / npq) * (((km / 3 + 0.625) * km + 1 / 6) / npq + 0.5);
    const t = (-km * km) / (2 * npq);
    if (v < t - rho) return k;
    if (v > t + rho) continue;
    // Steps 3.3-3.4: the final acceptance test with Stirling corrections.
    const nm = n - m + 1;
    const h = (m + 0.5) * Math.log((m + 1) / (r * nm)) + fc(m) + fc(n - m);
    const nk = n - k + 1;
    if (v <= h + (n + 1) * Math.log(nm / nk) + (k + 0.5) * Math.log((nk * r) / (k + 1)) - fc(k) - fc(n - k)) return k;
  }
}
