/**
 * Distributions of the one-sample Kolmogorov–Smirnov statistics, as scipy computes them:
 * - `kolmogorovSurvival(x)`: the limiting distribution P(√n·D_n > x) (scipy.special.kolmogorov,
 *   scipy.stats.kstwobign.sf), Kolmogorov 1933.
 * - `smirnovSurvival(n, d)`: the exact one-sided P(D⁺_n ≥ d) (scipy.special.smirnov), summed with
 *   the Birnbaum–Tingey (1951) formula in log space.
 * - `kolmogorovNSurvival(n, d)`: the exact two-sided P(D_n > d) for finite n (scipy.stats.kstwo.sf),
 *   following scipy's `_kolmogn` branch for branch (Simard & L'Ecuyer 2011): Ruben–Gambino closed
 *   forms at the ends, 2·smirnov in the upper tail, the Durbin matrix (Marsaglia, Tsang & Wang 2003)
 *   for small n and small statistics, and the Pelz–Good (1976) expansion otherwise.
 */

const PI2 = Math.PI * Math.PI;
const PI4 = PI2 * PI2;
const PI6 = PI4 * PI2;
const SQRT_2PI = Math.sqrt(2 * Math.PI);
const SQRT3 = Math.sqrt(3);
const MIN_LOG = Math.log(Number.MIN_VALUE);

/** P(K > x) for the Kolmogorov distribution K = sup|B(t)| of the Brownian bridge. */
export function kolmogorovSurvival(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x <= 0) return 1;
  if (x < 1) {
    // Jacobi-theta form of the CDF converges fast for small x: √(2π)/x Σ exp(-(2k-1)²π²/(8x²)).
    const w = -PI2 / (8 * x * x);
    let cdf = 0;
    for (let k = 1; k < 50; k++) {
      const term = Math.exp((2 * k - 1) * (2 * k - 1) * w);
      cdf += term;
      if (term < 1e-17 * cdf) break;
    }
    return 1 - (SQRT_2PI / x) * cdf;
  }
  // 2 Σ_{k≥1} (-1)^{k-1} exp(-2k²x²)
  let sf = 0;
  for (let k = 1; k < 100; k++) {
    const term = Math.exp(-2 * k * k * x * x);
    sf += k % 2 === 1 ? term : -term;
    if (term < 1e-17 * sf) break;
  }
  return Math.min(1, Math.max(0, 2 * sf));
}

/**
 * P(D⁺_n ≥ d) = d Σ_{j=0}^{⌊n(1-d)⌋} C(n,j) (1 - d - j/n)^{n-j} (d + j/n)^{j-1}
 * (Birnbaum & Tingey 1951). Every term is positive, so the log-space sum has no cancellation.
 */
export function smirnovSurvival(n: number, d: number): number {
  if (d <= 0) return 1;
  if (d >= 1) return 0;
  const jMax = Math.floor(n * (1 - d) + 1e-12);
  const logs = new Float64Array(jMax + 1);
  let logBinom = 0;
  let maxLog = Number.NEGATIVE_INFINITY;
  for (let j = 0; j <= jMax; j++) {
    if (j > 0) logBinom += Math.log(n - j + 1) - Math.log(j);
    const a = 1 - d - j / n;
    const la = a > 0 ? (n - j) * Math.log(a) : n - j === 0 ? 0 : Number.NEGATIVE_INFINITY;
    const l = logBinom + la + (j - 1) * Math.log(d + j / n);
    logs[j] = l;
    if (l > maxLog) maxLog = l;
  }
  if (maxLog === Number.NEGATIVE_INFINITY) return 0;
  let sum = 0;
  for (let j = 0; j <= jMax; j++) sum += Math.exp(logs[j]! - maxLog);
  return Math.min(1, Math.max(0, d * sum * Math.exp(maxLog)));
}

function multiply(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const c = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < m; k++) {
      const aik = a[i * m + k]!;
      if (aik === 0) continue;
      for (let j = 0; j < m; j++) c[i * m + j]! += aik * b[k * m + j]!;
    }
  }
  return c;
}

/** Matrix power with a separate base-10 exponent, as in Marsaglia, Tsang & Wang's mPower. */
function matrixPower(a: Float64Array, m: number, n: number): { v: Float64Array; e: number } {
  if (n === 1) return { v: a.slice(), e: 0 };
  const half = matrixPower(a, m, Math.floor(n / 2));
  let v = multiply(half.v, half.v, m);
  let e = 2 * half.e;
  if (n % 2 === 1) v = multiply(a, v, m);
  const centre = Math.floor(m / 2);
  if (v[centre * m + centre]! > 1e140) {
    for (let i = 0; i < v.length; i++) v[i]! *= 1e-140;
    e += 140;
  }
  return { v, e };
}

/** P(D_n < d) by the Durbin matrix (Marsaglia, Tsang & Wang 2003, J. Stat. Softw. 8(18)). */
export function durbinMatrixCdf(n: number, d: number): number {
  const k = Math.floor(n * d) + 1;
  const m = 2 * k - 1;
  const h = k - n * d;
  const H = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) H[i * m + j] = i - j + 1 < 0 ? 0 : 1;
  for (let i = 0; i < m; i++) {
    H[i * m]! -= h ** (i + 1);
    H[(m - 1) * m + i]! -= h ** (m - i);
  }
  H[(m - 1) * m]! += 2 * h - 1 > 0 ? (2 * h - 1) ** m : 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      if (i - j + 1 > 0) for (let g = 1; g <= i - j + 1; g++) H[i * m + j]! /= g;
    }
  }
  const { v, e } = matrixPower(H, m, n);
  let s = v[(k - 1) * m + k - 1]!;
  let eQ = e;
  for (let i = 1; i <= n; i++) {
    s = (s * i) / n;
    if (s < 1e-140) {
      s *= 1e140;
      eQ -= 140;
    }
  }
  return s * 10 ** eQ;
}

/** Pelz–Good (1976) approximation of P(D_n ≤ x), transcribed from scipy `_kolmogn_PelzGood`. */
export function pelzGoodCdf(n: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const z = Math.sqrt(n) * x;
  const z2 = z * z;
  const z3 = z2 * z;
  const z4 = z2 * z2;
  const z6 = z4 * z2;
  const qlog = -PI2 / 8 / z2;
  if (qlog < MIN_LOG) return 0;
  const q = Math.exp(qlog);
  const k1a = -z2;
  const k1b = PI2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * PI2) / 4;
  const k2c = (PI4 * (1 - 2 * z2)) / 16;
  const k3d = (PI6 * (5 - 30 * z2)) / 64;
  const k3c = (PI4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (PI2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z4 * z4;
  const K = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const m2 = m * m;
    const m4 = m2 * m2;
    const m6 = m4 * m2;
    const qp = q ** (8 * k);
    K[0] = K[0]! * qp + 1;
    K[1] = K[1]! * qp + k1a + k1b * m2;
    K[2] = K[2]! * qp + k2a + k2b * m2 + k2c * m4;
    K[3] = K[3]! * qp + k3a + k3b * m2 + k3c * m4 + k3d * m6;
  }
  const divisors = [z, 6 * z4, 72 * z4 * z3, 6480 * z4 * z6];
  for (let i = 0; i < 4; i++) K[i] = (K[i]! * q * SQRT_2PI) / divisors[i]!;
  const q2 = Math.exp(-PI2 / 2 / z2);
  let k2extra = 0;
  let k3extra = 0;
  const sqrt3z = SQRT3 * z;
  for (let k = maxk; k > 0; k--) {
    const k2 = k * k;
    const qk = q2 ** k2;
    k2extra += k2 * qk;
    const kspi = Math.PI * k;
    k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * k2 * qk;
  }
  K[2] = K[2]! + (k2extra * PI2 * SQRT_2PI) / (-36 * z3);
  K[3] = K[3]! + (k3extra * PI2 * SQRT_2PI) / (216 * z6);
  return K[0]! + K[1]! / Math.sqrt(n) + K[2]! / n + K[3]! / (n * Math.sqrt(n));
}

function logFactorialOverPower(n: number): number {
  let s = 0;
  for (let i = 1; i <= n; i++) s += Math.log(i / n);
  return s;
}

const clip = (p: number) => Math.min(1, Math.max(0, p));

/** P(D_n > d), two-sided, n integer ≥ 1: scipy.stats.kstwo.sf(d, n). */
export function kolmogorovNSurvival(n: number, d: number): number {
  if (!Number.isInteger(n) || n <= 0 || Number.isNaN(d)) return Number.NaN;
  if (d >= 1) return 0;
  if (d <= 0) return 1;
  const t = n * d;
  if (t <= 1) {
    if (t <= 0.5) return 1;
    return clip(1 - Math.exp(logFactorialOverPower(n) + n * Math.log(2 * t - 1)));
  }
  if (t >= n - 1) return clip(2 * (1 - d) ** n);
  if (d >= 0.5) return clip(2 * smirnovSurvival(n, d));
  const nx2 = t * d;
  if (n <= 140) {
    // scipy uses Pomeranz's recursion for 0.754693 < n·d² ≤ 4; the Durbin matrix is exact there too.
    if (nx2 <= 4) return clip(1 - durbinMatrixCdf(n, d));
    return clip(2 * smirnovSurvival(n, d));
  }
  if (nx2 >= 370) return 0;
  if (nx2 >= 2.2) return clip(2 * smirnovSurvival(n, d));
  if (nx2 >= 18) return 0;
  if (n <= 100_000 && n * d ** 1.5 <= 1.4) return clip(1 - durbinMatrixCdf(n, d));
  return clip(1 - pelzGoodCdf(n, d));
}
