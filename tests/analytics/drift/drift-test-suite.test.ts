import { describe, expect, it } from 'vitest';
import { chiSquareContingency } from '../../../src/analytics/drift/chi-square-contingency.js';
import { DriftTestSpecError, runDriftTests } from '../../../src/analytics/drift/drift-test-suite.js';
import type { ColumnSample } from '../../../src/analytics/drift/column-drift.js';

const numeric = (values: number[]): ColumnSample => ({ kind: 'numeric', values });
const categorical = (counts: Record<string, number>): ColumnSample => ({ kind: 'categorical', counts: new Map(Object.entries(counts)) });
const counts = (o: Record<string, number>) => new Map(Object.entries(o));

/** scipy.spatial.distance.jensenshannon(p, q, base) written out: sqrt((KL(p‖m) + KL(q‖m)) / 2). */
function js(p: number[], q: number[], base: number): number {
  const sp = p.reduce((a, b) => a + b, 0);
  const sq = q.reduce((a, b) => a + b, 0);
  const P = p.map((x) => x / sp);
  const Q = q.map((x) => x / sq);
  const kl = (a: number[], m: number[]) => a.reduce((s, x, i) => s + (x > 0 ? x * Math.log(x / m[i]!) : 0), 0);
  const M = P.map((x, i) => (x + Q[i]!) / 2);
  return Math.sqrt((kl(P, M) + kl(Q, M)) / 2 / Math.log(base));
}

describe('scipy.stats.chi2_contingency on reference and current counts', () => {
  it('2 × 3: expected = row × column / N, dof 2, p = exp(−χ²/2)', () => {
    // rows (10 20 30) and (30 20 10): every expected count is 20; χ² = 2 (100 + 0 + 100) / 20 = 20
    const r = chiSquareContingency(counts({ a: 10, b: 20, c: 30 }), counts({ a: 30, b: 20, c: 10 }));
    expect(r.statistic).toBeCloseTo(20, 12);
    expect(r.dof).toBe(2);
    expect(r.pValue).toBeCloseTo(Math.exp(-10), 14);
    expect(r.correction).toBe(false); // Yates applies to dof 1 only
  });

  it('2 × 2 with and without Yates’ correction', () => {
    // (10 20; 20 10): E = 15 everywhere; plain 4 · 25 / 15, Yates 4 · 4.5² / 15 = 5.4
    expect(chiSquareContingency(counts({ a: 10, b: 20 }), counts({ a: 20, b: 10 }), false).statistic).toBeCloseTo(20 / 3, 12);
    const yates = chiSquareContingency(counts({ a: 10, b: 20 }), counts({ a: 20, b: 10 }));
    expect(yates.statistic).toBeCloseTo(5.4, 12);
    expect(yates.correction).toBe(true);
    // |E − O| = 10/21·… < 0.5 in every cell: the correction stops at E (scipy gh-13875), χ² = 0, p = 1
    const small = chiSquareContingency(counts({ a: 5, b: 5 }), counts({ a: 5, b: 6 }));
    expect(small.statistic).toBeCloseTo(0, 12);
    expect(small.pValue).toBeCloseTo(1, 12);
  });
});

describe('several drift tests of one column, each naming its parameters', () => {
  it('KS as scipy.ks_2samp: exact p, statistic location and sign; the asymptotic method on request', () => {
    const [exact, asymp] = runDriftTests(numeric([1, 2, 3]), numeric([4, 5, 6]), [{ method: 'ks', mode: 'exact' }, { method: 'ks', mode: 'asymp' }]);
    expect(exact).toMatchObject({ method: 'ks', parameters: { mode: 'exact', alternative: 'two-sided', threshold: 0.05 }, statistic: 1, scoreKind: 'p_value' });
    expect(exact!.pValue).toBeCloseTo(2 / 20, 12); // the two most extreme of C(6, 3) arrangements
    expect(exact!.details).toMatchObject({ methodUsed: 'exact', statisticLocation: 3, statisticSign: 1 }); // F_ref − F_cur = 1 at 3
    expect(asymp!.details!.methodUsed).toBe('asymp');
    expect(exact!.drifted).toBe(false);
  });

  it('Wasserstein raw and normalised by the reference std (ddof 0)', () => {
    const [norm, raw] = runDriftTests(numeric([0, 1, 2]), numeric([1, 2, 3]), [{ method: 'wasserstein' }, { method: 'wasserstein', normalised: false }]);
    expect(raw!.score).toBeCloseTo(1, 12);
    expect(raw!.drifted).toBeNull(); // no threshold given for a raw distance
    expect(norm!.score).toBeCloseTo(1 / Math.sqrt(2 / 3), 12);
    expect(norm!.parameters).toEqual({ normalised: true, threshold: 0.1 });
  });

  it('Jensen–Shannon with a chosen base, equal-width or reference-quantile bins', () => {
    const [equal, quantile, natural] = runDriftTests(numeric([0, 0, 1, 1]), numeric([0, 1, 1, 1]), [
      { method: 'jensenshannon', binning: 'equal-width', bins: 2 },
      { method: 'jensenshannon', binning: 'quantile', bins: 2 },
      { method: 'jensenshannon', binning: 'equal-width', bins: 2, base: Math.E },
    ]);
    expect(equal!.score).toBeCloseTo(js([2, 2], [1, 3], 2), 12);
    expect(equal!.parameters).toEqual({ base: 2, binning: 'equal-width', bins: 2, threshold: 0.1 });
    // reference median 0.5 splits both samples the same way here
    expect(quantile!.score).toBeCloseTo(js([2, 2], [1, 3], 2), 12);
    expect(natural!.score).toBeCloseTo(js([2, 2], [1, 3], Math.E), 12);
    const ten = Array.from({ length: 10 }, (_, i) => i + 1);
    const [q] = runDriftTests(numeric(ten), numeric([6, 7, 8, 9, 10, 6, 7, 8, 9, 10]), [{ method: 'jensenshannon', binning: 'quantile', bins: 2 }]);
    expect(q!.score).toBeCloseTo(js([5, 5], [0, 10], 2), 12); // inner edge: the reference median 5.5
  });

  it('PSI on equal-width bins over the reference range, and on reference quantiles', () => {
    const [equal, quantile] = runDriftTests(numeric([0, 1, 2, 3]), numeric([0, 0, 0, 3]), [{ method: 'psi', binning: 'equal-width', bins: 2 }, { method: 'psi', bins: 2 }]);
    // bins (−∞, 1.5], (1.5, ∞): reference (0.5, 0.5), current (0.75, 0.25)
    const expected = (0.5 - 0.75) * Math.log(0.5 / 0.75) + (0.5 - 0.25) * Math.log(0.5 / 0.25);
    expect(equal!.score).toBeCloseTo(expected, 12);
    expect(quantile!.score).toBeCloseTo(expected, 12); // the reference median is 1.5 too
    expect(equal!.parameters).toEqual({ binning: 'equal-width', bins: 2, threshold: 0.1 });
  });

  it('runs categorical tests, and refuses numeric-only tests and binning on categories', () => {
    const outcomes = runDriftTests(categorical({ a: 10, b: 20, c: 30 }), categorical({ a: 30, b: 20, c: 10 }), [{ method: 'chisquare', variant: 'contingency' }, { method: 'chisquare' }, { method: 'psi' }, { method: 'jensenshannon' }]);
    expect(outcomes.map((o) => o.method)).toEqual(['chisquare', 'chisquare', 'psi', 'jensenshannon']);
    expect(outcomes[0]!.statistic).toBeCloseTo(20, 12);
    // goodness of fit: expected current = reference × 60 / 60: (30−10)²/10 + 0 + (10−30)²/30
    expect(outcomes[1]!.statistic).toBeCloseTo(400 / 10 + 400 / 30, 12);
    expect(outcomes[3]!.parameters.binning).toBe('categories');
    expect(() => runDriftTests(categorical({ a: 1 }), categorical({ a: 2 }), [{ method: 'ks' }])).toThrow(DriftTestSpecError);
    expect(() => runDriftTests(categorical({ a: 1 }), categorical({ a: 2 }), [{ method: 'psi', binning: 'equal-width' }])).toThrow(DriftTestSpecError);
    expect(runDriftTests(numeric([]), numeric([1]), [{ method: 'ks' }])).toEqual([]);
  });
});
