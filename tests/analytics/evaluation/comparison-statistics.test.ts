import { describe, expect, it } from 'vitest';
import { comparisonVerdict } from '../../../src/analytics/evaluation/comparison/comparison-verdict.js';
import { holmAdjust } from '../../../src/analytics/evaluation/comparison/holm-adjustment.js';
import { mcnemarFromCounts, mcnemarTest } from '../../../src/analytics/evaluation/comparison/mcnemar-test.js';
import { pairedBootstrapMeanDifference } from '../../../src/analytics/evaluation/comparison/paired-bootstrap.js';
import { comparePairedMetrics } from '../../../src/analytics/evaluation/comparison/paired-metric-comparison.js';
import { signFlipPermutationTest } from '../../../src/analytics/evaluation/comparison/sign-flip-permutation-test.js';
import { wilcoxonSignedRank } from '../../../src/analytics/evaluation/comparison/wilcoxon-signed-rank.js';
import { metricDefinition } from '../../../src/analytics/evaluation/metric-registry.js';

/** 2·(1 - Φ(|z|)) by composite Simpson integration of the normal density on [0, |z|]: independent of the incomplete gamma. */
function twoSidedNormalBySimpson(z: number): number {
  const steps = 20000;
  const h = Math.abs(z) / steps;
  const pdf = (x: number): number => Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);
  let s = pdf(0) + pdf(Math.abs(z));
  for (let i = 1; i < steps; i++) s += (i % 2 === 1 ? 4 : 2) * pdf(i * h);
  return 2 * (0.5 - (s * h) / 3);
}

describe('McNemar', () => {
  it('exact below 25 discordant pairs: b = 1, c = 6 → 2·(C(7,0) + C(7,1))/2^7 = 16/128', () => {
    expect(mcnemarFromCounts(1, 6)).toMatchObject({ mode: 'exact', pValue: 0.125 });
    // symmetric table: p capped at 1 (2·P(X <= 3) for n = 6 is 2·42/64 > 1)
    expect(mcnemarFromCounts(3, 3).pValue).toBe(1);
    expect(mcnemarFromCounts(0, 0).pValue).toBe(1);
  });

  it('counts discordant pairs from 0/1 outcomes', () => {
    // pairs (A, B): (1,0) twice → b = 2; (0,1) once → c = 1; concordant pairs ignored
    expect(mcnemarTest([1, 1, 0, 1, 0], [0, 0, 1, 1, 0])).toMatchObject({ b: 2, c: 1 });
    expect(() => mcnemarTest([0.5], [1])).toThrow(RangeError);
  });

  it('chi-square with continuity correction from 25 discordant pairs: b = 10, c = 20 → (|10-20|-1)²/30 = 2.7', () => {
    const r = mcnemarFromCounts(10, 20);
    expect(r.mode).toBe('chi-square-corrected');
    expect(r.statistic).toBeCloseTo(2.7, 12);
    // χ²₁ survival at 2.7 = 2·(1 - Φ(√2.7)) ≈ 0.10035
    expect(r.pValue).toBeCloseTo(twoSidedNormalBySimpson(Math.sqrt(2.7)), 8);
  });
});

describe('Wilcoxon signed-rank', () => {
  it("scipy.stats.wilcoxon's documented example: statistic 24, p = 0.041259765625 (exact)", () => {
    // scipy docs (Cheng & Weerahandi data): differences in height of cross- and self-fertilised plants
    const d = [6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75];
    const r = wilcoxonSignedRank(d);
    expect(r.mode).toBe('exact');
    expect(r.statistic).toBe(24);
    expect(r.pValue).toBeCloseTo(0.041259765625, 14);
  });

  it('exact p-value equals brute-force enumeration of all 2^n sign assignments of the ranks', () => {
    const d = [0.3, -1.2, 2.5, 0.9, -0.1, 1.7, 3.1, -2.2, 0.45, 1.05];
    const r = wilcoxonSignedRank(d);
    const n = d.length;
    // ranks 1..n (no ties); count sign vectors whose positive-rank sum <= T, doubled
    let atMost = 0;
    for (let mask = 0; mask < 1 << n; mask++) {
      let s = 0;
      for (let k = 0; k < n; k++) if (mask & (1 << k)) s += k + 1;
      if (s <= r.statistic) atMost++;
    }
    expect(r.pValue).toBeCloseTo(Math.min(1, (2 * atMost) / 2 ** n), 14);
    // R+ + R- = n(n+1)/2
    expect(r.rankSumPositive + r.rankSumNegative).toBe(55);
  });

  it('drops zeros, uses mid-ranks for ties and the corrected normal approximation', () => {
    // d = [0, 1, -1, 2, 2, 3]: zero dropped → n = 5; |d| ranks: 1,1 → 1.5 each; 2,2 → 3.5 each; 3 → 5
    // R+ = 1.5 + 3.5 + 3.5 + 5 = 13.5, R- = 1.5, T = 1.5
    // μ = 5·6/4 = 7.5; σ² = (5·6·11 - ½·(2·3 + 2·3))/24 = (330 - 6)/24 = 13.5
    // z = (1.5 - 7.5 + 0.5)/√13.5 = -5.5/3.674235 = -1.496910
    const r = wilcoxonSignedRank([0, 1, -1, 2, 2, 3]);
    expect(r).toMatchObject({ mode: 'normal-approximation', n: 5, zeros: 1, statistic: 1.5, rankSumPositive: 13.5, rankSumNegative: 1.5 });
    expect(r.z).toBeCloseTo(-5.5 / Math.sqrt(13.5), 12);
    expect(r.pValue).toBeCloseTo(twoSidedNormalBySimpson(5.5 / Math.sqrt(13.5)), 8);
  });

  it('uses the normal approximation above 25 differences', () => {
    const d = Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? -(i + 1) : i + 1));
    const r = wilcoxonSignedRank(d);
    // negatives are 1, 4, 7, ..., 28: R- = Σ (3k+1), k = 0..9 = 3·45 + 10 = 145; R+ = 465 - 145 = 320
    expect(r).toMatchObject({ mode: 'normal-approximation', rankSumNegative: 145, rankSumPositive: 320, statistic: 145 });
    // μ = 30·31/4 = 232.5, σ² = 30·31·61/24 = 2363.75; z = (145 - 232.5 + 0.5)/√2363.75
    expect(r.z).toBeCloseTo(-87 / Math.sqrt(2363.75), 12);
  });

  it('all differences zero: p = 1', () => {
    expect(wilcoxonSignedRank([0, 0, 0]).pValue).toBe(1);
  });
});

describe('sign-flip permutation test', () => {
  it('exact for small n: d = [1, 2, 3] → sums ±1±2±3 = 6,4,2,0,0,-2,-4,-6; |S| >= 6 in 2 of 8', () => {
    const r = signFlipPermutationTest([1, 2, 3], { seed: 1 });
    expect(r).toMatchObject({ mode: 'exact', permutations: 8, pValue: 0.25, statistic: 2 });
  });

  it('exact p-value equals brute-force enumeration over sign masks (n = 12)', () => {
    const d = [0.5, -0.25, 1.5, 0.75, 2, -1, 0.1, 0.3, -0.6, 1.1, 0.9, 0.05];
    const observed = Math.abs(d.reduce((s, x) => s + x, 0));
    let extreme = 0;
    for (let mask = 0; mask < 1 << d.length; mask++) {
      let s = 0;
      for (let i = 0; i < d.length; i++) s += mask & (1 << i) ? -d[i]! : d[i]!;
      if (Math.abs(s) >= observed - 1e-9) extreme++;
    }
    expect(signFlipPermutationTest(d, { seed: 1 }).pValue).toBe(extreme / 4096);
  });

  it('Monte Carlo above 20 pairs: (count + 1)/(B + 1), reproducible from the seed', () => {
    const d = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 1 : -1) * (i + 1) * 0.1);
    const a = signFlipPermutationTest(d, { seed: 42, resamples: 999 });
    const b = signFlipPermutationTest(d, { seed: 42, resamples: 999 });
    expect(a.mode).toBe('monte-carlo');
    expect(a.pValue).toBe(b.pValue);
    // the p-value has the form (count + 1)/1000
    expect(Number.isInteger(Math.round(a.pValue * 1000 * 1e6) / 1e6)).toBe(true);
    expect(a.pValue).toBeGreaterThan(0);
    // all differences positive and equal: only the all-+ and all-- vectors reach |S|; none drawn in 999 → 1/1000
    expect(signFlipPermutationTest(new Array(40).fill(1), { seed: 3, resamples: 999 }).pValue).toBeCloseTo(1 / 1000, 12);
  });
});

describe('Holm step-down', () => {
  it('hand-worked: p = [0.01, 0.04, 0.03, 0.005]', () => {
    // sorted: 0.005·4 = 0.02; 0.01·3 = 0.03; 0.03·2 = 0.06; 0.04·1 = 0.04 → running max 0.06
    const adjusted = holmAdjust([0.01, 0.04, 0.03, 0.005]);
    [0.03, 0.06, 0.06, 0.02].forEach((expected, i) => expect(adjusted[i]).toBeCloseTo(expected, 12));
  });

  it('caps at 1 and leaves NaN out of m', () => {
    const adjusted = holmAdjust([0.4, Number.NaN, 0.3]);
    // m = 2: 0.3·2 = 0.6, then max(0.6, 0.4·1) = 0.6
    expect(adjusted[0]).toBeCloseTo(0.6, 12);
    expect(adjusted[1]).toBeNaN();
    expect(adjusted[2]).toBeCloseTo(0.6, 12);
    expect(holmAdjust([0.5, 0.6, 0.7])).toEqual([1, 1, 1]);
  });
});

describe('paired bootstrap and verdict', () => {
  it('differences {0, 1}: resampled means 0, 0.5, 1 with probabilities 1/4, 1/2, 1/4', () => {
    // 40% interval reads the 0.3 and 0.7 quantiles: both inside the 0.5 mass
    const narrow = pairedBootstrapMeanDifference([0, 1], { seed: 9, resamples: 20000, level: 0.4 });
    expect(narrow.meanDifference).toBe(0.5);
    expect(narrow.interval.lower).toBe(0.5);
    expect(narrow.interval.upper).toBe(0.5);
    // 95% reads the 0.025 and 0.975 quantiles: inside the masses at 0 and 1
    const wide = pairedBootstrapMeanDifference([0, 1], { seed: 9, resamples: 20000, level: 0.95 });
    expect([wide.interval.lower, wide.interval.upper]).toEqual([0, 1]);
  });

  it('is reproducible from its seed and degenerate for constant differences', () => {
    const d = [0.1, -0.3, 0.5, 0.2, 0.05];
    expect(pairedBootstrapMeanDifference(d, { seed: 5 })).toEqual(pairedBootstrapMeanDifference(d, { seed: 5 }));
    const constant = pairedBootstrapMeanDifference([0.2, 0.2, 0.2], { seed: 1, resamples: 50 });
    expect(constant.interval.lower).toBeCloseTo(0.2, 12);
    expect(constant.interval.upper).toBeCloseTo(0.2, 12);
  });

  it('says B is better only when the interval excludes zero on the better side', () => {
    expect(comparisonVerdict({ lower: 0.01, upper: 0.2 }, 'higher-is-better')).toBe('b-better');
    expect(comparisonVerdict({ lower: 0.01, upper: 0.2 }, 'lower-is-better')).toBe('a-better');
    expect(comparisonVerdict({ lower: -0.2, upper: -0.01 }, 'lower-is-better')).toBe('b-better');
    expect(comparisonVerdict({ lower: 0, upper: 0.2 }, 'higher-is-better')).toBe('no-detectable-difference');
    expect(comparisonVerdict({ lower: -0.1, upper: 0.2 }, 'higher-is-better')).toBe('no-detectable-difference');
    expect(comparisonVerdict({ lower: null, upper: null }, 'higher-is-better')).toBe('no-detectable-difference');
  });

  it('compares several metrics: the test follows the scale, pairs with a missing side are dropped, p-values Holm-adjusted', () => {
    const exact = metricDefinition('exact_match')!;
    const f1 = metricDefinition('token_f1')!;
    const report = comparePairedMetrics(
      [
        { definition: exact, a: [1, 0, 0, 1, 0, 0, 1, 0], b: [1, 1, 1, 1, 1, 1, 1, null] },
        { definition: f1, a: [0.1, 0.2, 0.3, 0.4, 0.5], b: [0.6, 0.7, 0.8, 0.9, 1.0] },
      ],
      { seed: 11, nameA: 'base', nameB: 'candidate' },
    );
    const [em, tf] = report;
    // exact_match: the pair at index 7 has no B value and is dropped → 7 pairs; (A, B) = (0, 1) at 1, 2, 4, 5 → c = 4,
    // (1, 0) never → b = 0; exact McNemar p = 2·C(4,0)/2^4 = 0.125
    expect(em).toMatchObject({ pairs: 7, droppedPairs: 1, meanA: 3 / 7, meanB: 1 });
    expect(em!.test).toMatchObject({ test: 'mcnemar', b: 0, c: 4 });
    expect(em!.test!.pValue).toBe(0.125);
    // token_f1: all five differences 0.5 → tied |d| → normal approximation; bootstrap interval [0.5, 0.5]
    expect(tf!.test).toMatchObject({ test: 'wilcoxon', mode: 'normal-approximation' });
    expect(tf!.verdict).toBe('b-better');
    expect(tf!.statement).toBe('candidate is better than base');
    // Holm over two p-values
    const ps = [em!.test!.pValue, tf!.test!.pValue];
    const sorted = [...ps].sort((x, y) => x - y);
    expect(Math.max(em!.adjustedPValue!, tf!.adjustedPValue!)).toBeCloseTo(Math.min(1, Math.max(2 * sorted[0]!, sorted[1]!)), 12);
  });
});
