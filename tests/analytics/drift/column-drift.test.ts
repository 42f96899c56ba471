import { describe, expect, it } from 'vitest';
import { chiSquareSurvival } from '../../../src/analytics/drift/chi-square.js';
import { columnDrift, DEFAULT_THRESHOLDS, defaultDriftTest, DriftTestNotApplicable, type ColumnSample } from '../../../src/analytics/drift/column-drift.js';

const numeric = (values: ArrayLike<number>): ColumnSample => ({ kind: 'numeric', values });
const categorical = (entries: [string, number][]): ColumnSample => ({ kind: 'categorical', counts: new Map(entries) });
const range = (from: number, to: number) => Float64Array.from({ length: to - from }, (_, i) => from + i);

describe('columnDrift', () => {
  it('matches scipy.stats.ks_2samp on 0..29 against 10..39 (D = 1/3, exact p)', () => {
    const r = columnDrift(numeric(range(0, 30)), numeric(range(10, 40)));
    expect(r).toMatchObject({ kind: 'numeric', test: 'ks', scoreKind: 'p_value', threshold: 0.05, referenceSize: 30, currentSize: 30, referenceMissing: 0, currentMissing: 0, distinctValues: 40, drifted: false });
    expect(r.statistic).toBeCloseTo(1 / 3, 14);
    expect(r.score).toBeCloseTo(0.07088798787114439, 12);
    expect(r.psiBins).toHaveLength(10);
    expect(r.psiCategories).toBeUndefined();
    expect(r.skipped).toBeUndefined();
  });

  it('bins by Sturges over the pooled sample for Jensen–Shannon on a numeric column with more than 20 reference values', () => {
    // numpy/scipy: 7 bins over [0, 39]; counts 6 6 5 6 5 2 0 and 0 2 5 6 5 6 6; jensenshannon(base 2) = 0.500325727379239.
    const r = columnDrift(numeric(range(0, 30)), numeric(range(10, 40)), { test: 'jensenshannon' });
    expect(r.score).toBeCloseTo(0.500325727379239, 12);
    expect(r.statistic).toBe(r.score);
    expect(r).toMatchObject({ scoreKind: 'distance', threshold: 0.1, drifted: true });
    // In natural logarithms the divergence is ln 2 times the one in bits, so the distance is √(ln 2) times.
    const natural = columnDrift(numeric(range(0, 30)), numeric(range(10, 40)), { test: 'jensenshannon', jsBase: Math.E });
    expect(natural.score).toBeCloseTo(0.500325727379239 * Math.sqrt(Math.LN2), 12);
  });

  it('counts values of a numeric column with few distinct values for chi-square and the z-test', () => {
    // Reference 1,1,2,2,3,3; current 1,1,1,2,3,3: expected 2, 2, 2, observed 3, 1, 2 → χ² = 1, p = e^{-1/2}.
    const r = columnDrift(numeric([1, 1, 2, 2, 3, 3]), numeric([1, 1, 1, 2, 3, 3]));
    expect(r).toMatchObject({ test: 'chisquare', distinctValues: 3, statistic: 1 });
    expect(r.score).toBeCloseTo(0.6065306597126334, 14);
    const binary = columnDrift(numeric([0, 0, 1, 1]), numeric([0, 1, 1, 1]));
    expect(binary.test).toBe('z');
    // Shares of 1: 1/2 and 3/4, pooled 5/8.
    expect(binary.statistic).toBeCloseTo((0.5 - 0.75) / Math.sqrt((5 / 8) * (3 / 8) * (1 / 4 + 1 / 4)), 12);
    // -0 and 0 are one value.
    expect(columnDrift(numeric([-0, 0, 1]), numeric([0, 1, 1])).distinctValues).toBe(2);
  });

  it('chooses Jensen–Shannon on value counts for a large reference with few distinct values', () => {
    const ref = Float64Array.from({ length: 2000 }, (_, i) => i % 2);
    const cur = Float64Array.from({ length: 1000 }, () => 1);
    const r = columnDrift(numeric(ref), numeric(cur));
    expect(r.test).toBe('jensenshannon');
    // p = (1/2, 1/2), q = (0, 1): JSD = ½·[½ ln(½/¼) + ½ ln(½/¾)] + ½·ln(1/¾), in bits.
    const js = (0.5 * (0.5 * Math.log(2) + 0.5 * Math.log(2 / 3)) + 0.5 * Math.log(4 / 3)) / Math.LN2;
    expect(r.score).toBeCloseTo(Math.sqrt(js), 12);
  });

  it('follows smallReferenceLimit and the thresholds in order: threshold, thresholds[test], default', () => {
    const ref = numeric(range(0, 30));
    const cur = numeric(range(10, 40));
    expect(columnDrift(ref, cur, { smallReferenceLimit: 29 }).test).toBe('wasserstein');
    expect(columnDrift(ref, cur, { smallReferenceLimit: 30 }).test).toBe('ks');
    expect(columnDrift(ref, cur, { thresholds: { ks: 0.1 } })).toMatchObject({ threshold: 0.1, drifted: true });
    expect(columnDrift(ref, cur, { threshold: 0.01, thresholds: { ks: 0.1 } })).toMatchObject({ threshold: 0.01, drifted: false });
    expect(columnDrift(ref, cur, { thresholds: { chisquare: 0.5 } }).threshold).toBe(DEFAULT_THRESHOLDS.ks);
    expect(DEFAULT_THRESHOLDS).toEqual({ ks: 0.05, chisquare: 0.05, z: 0.05, wasserstein: 0.1, jensenshannon: 0.1, psi: 0.1 });
  });

  it('drifts at p ≤ threshold for KS, p < threshold for chi-square and z, and distance ≥ threshold', () => {
    const ks = columnDrift(numeric(range(0, 30)), numeric(range(10, 40)));
    expect(columnDrift(numeric(range(0, 30)), numeric(range(10, 40)), { threshold: ks.score }).drifted).toBe(true);
    const chi = columnDrift(numeric([1, 1, 2, 2, 3, 3]), numeric([1, 1, 1, 2, 3, 3]));
    expect(columnDrift(numeric([1, 1, 2, 2, 3, 3]), numeric([1, 1, 1, 2, 3, 3]), { threshold: chi.score }).drifted).toBe(false);
    expect(columnDrift(numeric([1, 1, 2, 2, 3, 3]), numeric([1, 1, 1, 2, 3, 3]), { threshold: 0.61 }).drifted).toBe(true);
    const z = columnDrift(numeric([0, 0, 1, 1]), numeric([0, 1, 1, 1]));
    expect(columnDrift(numeric([0, 0, 1, 1]), numeric([0, 1, 1, 1]), { threshold: z.score }).drifted).toBe(false);
    const w = columnDrift(numeric([0, 2]), numeric([0.5, 2.5]), { test: 'wasserstein' }); // W₁ .5 / std 1
    expect(w.score).toBeCloseTo(0.5, 14);
    expect(columnDrift(numeric([0, 2]), numeric([0.5, 2.5]), { test: 'wasserstein', threshold: w.score }).drifted).toBe(true);
  });

  it('scores PSI when asked, with its bins or categories', () => {
    const r = columnDrift(numeric(range(0, 30)), numeric(range(0, 30)), { test: 'psi', psiBins: 5 });
    expect(r).toMatchObject({ test: 'psi', scoreKind: 'distance', score: 0, statistic: 0, psi: 0, drifted: false });
    expect(r.psiBins).toHaveLength(5);
    const c = columnDrift(categorical([['a', 50], ['b', 50]]), categorical([['a', 25], ['b', 75]]), { test: 'psi' });
    const psi = 0.25 * Math.log(0.5 / 0.25) + -0.25 * Math.log(0.5 / 0.75);
    expect(c.score).toBeCloseTo(psi, 14);
    expect(c.psi).toBeCloseTo(psi, 14);
    expect(c.psiCategories!.map((x) => x.category)).toEqual(['a', 'b']);
    expect(c.psiBins).toBeUndefined();
  });

  it('skips a column with an empty sample, counting its missing values', () => {
    const r = columnDrift(numeric([1, 2, NaN]), numeric([NaN, NaN]));
    expect(r).toMatchObject({ referenceSize: 2, currentSize: 0, referenceMissing: 1, currentMissing: 2, drifted: false, skipped: 'empty sample', distinctValues: 2 });
    expect([r.score, r.statistic, r.psi].every(Number.isNaN)).toBe(true);
    const typed = columnDrift(numeric(Float64Array.of(NaN, 1, 2, 3)), numeric(Float64Array.of(1, NaN)));
    expect(typed).toMatchObject({ referenceSize: 3, currentSize: 1, referenceMissing: 1, currentMissing: 1 });
    expect(columnDrift(categorical([['a', 3]]), categorical([]))).toMatchObject({ skipped: 'empty sample', referenceSize: 3, currentSize: 0, distinctValues: 1 });
  });

  it('refuses samples of different kinds and numeric-only tests on categories', () => {
    expect(() => columnDrift(numeric([1]), categorical([['a', 1]]))).toThrow(new RangeError('reference and current samples are of different kinds'));
    const error = (() => {
      try {
        columnDrift(categorical([['a', 1]]), categorical([['a', 1]]), { test: 'wasserstein' });
      } catch (e) {
        return e as DriftTestNotApplicable;
      }
      throw new Error('expected a refusal');
    })();
    expect(error).toBeInstanceOf(DriftTestNotApplicable);
    expect(error).toMatchObject({ name: 'DriftTestNotApplicable', test: 'wasserstein', kind: 'categorical', message: "drift test 'wasserstein' does not apply to categorical columns" });
    // The distance tests that are not numeric-only do run on categories.
    expect(columnDrift(categorical([['a', 1]]), categorical([['b', 1]]), { test: 'jensenshannon' }).score).toBeCloseTo(1, 14);
  });

  it('runs the z-test and chi-square on categories of a small reference', () => {
    const z = columnDrift(categorical([['a', 60], ['b', 40]]), categorical([['b', 30], ['a', 90]]));
    expect(z.test).toBe('z');
    expect(z.statistic).toBeCloseTo(2.378474901516276, 12);
    const chi = columnDrift(categorical([['a', 10], ['b', 30]]), categorical([['a', 12], ['b', 18], ['c', 0]]), { test: 'chisquare' });
    expect(chi.statistic).toBeCloseTo(3.6, 12);
    expect(chi.score).toBeCloseTo(chiSquareSurvival(3.6, 2), 14); // c adds a cell (0 expected, 0 observed)
    expect(chi.distinctValues).toBe(3);
  });
});

describe('defaultDriftTest at its edges', () => {
  it('switches at 5 and 2 distinct values and at the reference limit', () => {
    expect(defaultDriftTest('numeric', 100, 6)).toBe('ks');
    expect(defaultDriftTest('numeric', 100, 5)).toBe('chisquare');
    expect(defaultDriftTest('numeric', 100, 3)).toBe('chisquare');
    expect(defaultDriftTest('numeric', 100, 2)).toBe('z');
    expect(defaultDriftTest('categorical', 100, 6)).toBe('chisquare');
    expect(defaultDriftTest('numeric', 2000, 6)).toBe('wasserstein');
    expect(defaultDriftTest('numeric', 2000, 5)).toBe('jensenshannon');
    expect(defaultDriftTest('categorical', 2000, 60)).toBe('jensenshannon');
    expect(defaultDriftTest('numeric', 50, 100, 49)).toBe('wasserstein');
    expect(defaultDriftTest('numeric', 50, 100, 50)).toBe('ks');
  });
});
