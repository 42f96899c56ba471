import { describe, expect, it } from 'vitest';
import { sampleBinomial, sampleMultinomial } from '../../../src/analytics/fairness/binomial-sampler.js';
import { createRandom } from '../../../src/analytics/fairness/seeded-random.js';

/**
 * A generator that throws once it has given `budget` numbers: both samplers use a few uniforms per
 * variate (BTRD ~1.2 on average), so a sampler that loops fails fast instead of hanging.
 */
function budgeted(random: () => number, budget: number): () => number {
  let left = budget;
  return () => {
    if (left-- <= 0) throw new Error(`more than ${budget} uniforms drawn`);
    return random();
  };
}

function moments(n: number, p: number, draws: number, seed: number) {
  const random = budgeted(createRandom(seed), 10 * draws);
  let sum = 0;
  let sumSq = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < draws; i++) {
    const x = sampleBinomial(n, p, random);
    sum += x;
    sumSq += x * x;
    min = Math.min(min, x);
    max = Math.max(max, x);
  }
  const mean = sum / draws;
  return { mean, variance: sumSq / draws - mean * mean, min, max };
}

/** C(n, k) p^k q^(n-k) for k = 0..n, from log C(n, k) built up as a sum of logs: an independent computation of the pmf. */
function binomialPmfs(n: number, p: number): Float64Array {
  const pmf = new Float64Array(n + 1);
  let logC = 0;
  for (let k = 0; k <= n; k++) {
    if (k > 0) logC += Math.log(n - k + 1) - Math.log(k);
    pmf[k] = Math.exp(logC + k * Math.log(p) + (n - k) * Math.log(1 - p));
  }
  return pmf;
}

describe('seeded random', () => {
  it('repeats its stream for a seed and differs across seeds', () => {
    const a = createRandom(1);
    const b = createRandom(1);
    const c = createRandom(2);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c())).not.toEqual(xs);
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true);
  });
});

describe('binomial sampler', () => {
  // Mean np and variance np(1-p); tolerances are ~5 standard errors of the estimates.
  it.each([
    [5, 0.3, 'inversion'],
    [40, 0.2, 'inversion (np = 8)'],
    [20, 0.5, 'BTRD at np = 10'],
    [60, 0.4, 'BTRD, |k - m| ≤ 15 path'],
    [1000, 0.3, 'BTRD'],
    [1_000_000, 0.02, 'BTRD, large n'],
    [2000, 0.9, 'BTRD on 1 - p'],
    [30, 0.97, 'inversion on 1 - p'],
  ])('Binomial(%i, %f) has mean np and variance np(1-p) (%s)', (n, p, _path) => {
    const draws = 200_000;
    const { mean, variance, min, max } = moments(n, p, draws, n + Math.round(p * 1000));
    const v = n * p * (1 - p);
    expect(Math.abs(mean - n * p)).toBeLessThan(5 * Math.sqrt(v / draws));
    // The variance of the sample variance is about 2v²/draws (plus a kurtosis term, small here).
    expect(Math.abs(variance - v)).toBeLessThan(6 * v * Math.sqrt(2 / draws) + 1e-9);
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThanOrEqual(n);
  });

  it.each([
    [20, 0.5],
    [100, 0.25],
    [12, 0.3],
    // Far tails of BTRD (|k − m| > 15): the log-scale squeeze and the Stirling-corrected final test.
    [5000, 0.4],
    [1000, 0.05],
  ])('Binomial(%i, %f) matches the exact pmf (chi-square)', (n, p) => {
    const draws = 200_000;
    const random = budgeted(createRandom(99), 10 * draws);
    const counts = new Float64Array(n + 1);
    for (let i = 0; i < draws; i++) counts[sampleBinomial(n, p, random)]! += 1;
    let chi2 = 0;
    let dof = -1;
    let pooledObserved = 0;
    let pooledExpected = 0;
    const pmf = binomialPmfs(n, p);
    for (let k = 0; k <= n; k++) {
      pooledObserved += counts[k]!;
      pooledExpected += draws * pmf[k]!;
      // Pool cells until the expected count is at least 20.
      if (pooledExpected >= 20 || k === n) {
        chi2 += (pooledObserved - pooledExpected) ** 2 / pooledExpected;
        dof++;
        pooledObserved = 0;
        pooledExpected = 0;
      }
    }
    // Mean of chi-square is dof, sd sqrt(2 dof); 6 sd is a generous bound for a seeded run.
    expect(chi2).toBeLessThan(dof + 6 * Math.sqrt(2 * dof));
  });

  it('handles the edges p = 0, p = 1 and n = 0', () => {
    const random = createRandom(3);
    expect(sampleBinomial(10, 0, random)).toBe(0);
    expect(sampleBinomial(10, 1, random)).toBe(10);
    expect(sampleBinomial(0, 0.5, random)).toBe(0);
  });

  it('multinomial draws sum to the total and have mean n·p per cell', () => {
    const random = createRandom(5);
    const probabilities = Float64Array.of(0.5, 0, 0.3, 0.15, 0.05);
    const out = new Float64Array(5);
    const sums = new Float64Array(5);
    const draws = 20_000;
    const n = 1000;
    for (let i = 0; i < draws; i++) {
      sampleMultinomial(n, probabilities, out, random);
      expect(out.reduce((a, b) => a + b, 0)).toBe(n);
      for (let k = 0; k < 5; k++) sums[k]! += out[k]!;
    }
    for (let k = 0; k < 5; k++) {
      const p = probabilities[k]!;
      const se = Math.sqrt((n * p * (1 - p)) / draws);
      expect(Math.abs(sums[k]! / draws - n * p)).toBeLessThanOrEqual(5 * se + 1e-12);
    }
  });

  it('multinomial accepts unnormalised masses', () => {
    const random = createRandom(6);
    const out = new Float64Array(2);
    let first = 0;
    for (let i = 0; i < 5000; i++) {
      sampleMultinomial(100, Float64Array.of(3, 1), out, random);
      first += out[0]!;
    }
    expect(Math.abs(first / 5000 - 75)).toBeLessThan(5 * Math.sqrt((100 * 0.75 * 0.25) / 5000));
  });
});
