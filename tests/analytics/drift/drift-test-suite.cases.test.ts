import { describe, expect, it } from 'vitest';
import type { ColumnSample } from '../../../src/analytics/drift/column-drift.js';
import { chi2sf1, erf } from './chi-square-closed-forms.js';
import { DriftTestSpecError, runDriftTests, type DriftTestOutcome, type DriftTestSpec } from '../../../src/analytics/drift/drift-test-suite.js';

const numeric = (values: number[]): ColumnSample => ({ kind: 'numeric', values });
const categorical = (counts: Record<string, number>): ColumnSample => ({ kind: 'categorical', counts: new Map(Object.entries(counts)) });
const one = (reference: ColumnSample, current: ColumnSample, spec: DriftTestSpec): DriftTestOutcome => {
  const outcomes = runDriftTests(reference, current, [spec]);
  expect(outcomes).toHaveLength(1);
  return outcomes[0]!;
};
const close = (v: number): unknown => expect.closeTo(v, 12);

/** scipy.spatial.distance.jensenshannon(p, q, base) written out: √((KL(p‖m) + KL(q‖m)) / 2). */
function js(p: number[], q: number[], base = 2): number {
  const sp = p.reduce((a, b) => a + b, 0);
  const sq = q.reduce((a, b) => a + b, 0);
  const P = p.map((x) => x / sp);
  const Q = q.map((x) => x / sq);
  const M = P.map((x, i) => (x + Q[i]!) / 2);
  const kl = (a: number[]) => a.reduce((s, x, i) => s + (x > 0 ? x * Math.log(x / M[i]!) : 0), 0);
  return Math.sqrt((kl(P) + kl(Q)) / 2 / Math.log(base));
}

/** Count of each distinct value over the union of both samples, first-seen order (brute force). */
function perValue(ref: number[], cur: number[]): [number[], number[]] {
  const keys = [...new Set([...ref, ...cur])];
  return [keys.map((k) => ref.filter((v) => v === k).length), keys.map((k) => cur.filter((v) => v === k).length)];
}

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('did not throw');
}

describe('runDriftTests: samples', () => {
  it('refuses samples of different kinds with a plain RangeError', () => {
    for (const [a, b] of [
      [numeric([1]), categorical({ a: 1 })],
      [categorical({ a: 1 }), numeric([1])],
    ] as const) {
      const e = thrown(() => runDriftTests(a, b, [{ method: 'psi' }]));
      expect(e.constructor).toBe(RangeError);
      expect(e.message).toBe('reference and current samples are of different kinds');
    }
  });

  it('gives no outcomes when either sample is empty or all missing', () => {
    const spec: DriftTestSpec[] = [{ method: 'psi' }];
    expect(runDriftTests(numeric([]), numeric([1]), spec)).toEqual([]);
    expect(runDriftTests(numeric([1]), numeric([]), spec)).toEqual([]);
    expect(runDriftTests(numeric([Number.NaN]), numeric([1]), spec)).toEqual([]);
    expect(runDriftTests(categorical({ a: 0, b: 0 }), categorical({ a: 1 }), spec)).toEqual([]);
    expect(runDriftTests(categorical({ a: 1 }), categorical({}), spec)).toEqual([]);
    // a zero count beside non-zero ones is not an empty sample
    expect(runDriftTests(categorical({ a: 0, b: 3 }), categorical({ a: 1 }), spec)).toHaveLength(1);
  });

  it('runs every spec in order', () => {
    const outcomes = runDriftTests(numeric([0, 4]), numeric([2, 6]), [{ method: 'wasserstein' }, { method: 'ks' }, { method: 'psi' }]);
    expect(outcomes.map((o) => o.method)).toEqual(['wasserstein', 'ks', 'psi']);
  });
});

describe('ks', () => {
  it('sorts the samples and drops NaN; defaults mode auto, two-sided, threshold 0.05', () => {
    // sorted (1 2 3) against (4 5 6): D = 1 at 3 (F_ref − F_cur = 1), exact p = 2 / C(6, 3) = 0.1
    const o = one(numeric([3, Number.NaN, 1, 2]), numeric([6, 4, Number.NaN, 5]), { method: 'ks' });
    expect(o).toEqual({
      method: 'ks',
      parameters: { mode: 'auto', alternative: 'two-sided', threshold: 0.05 },
      statistic: 1,
      pValue: close(0.1),
      score: close(0.1),
      scoreKind: 'p_value',
      threshold: 0.05,
      drifted: false,
      details: { methodUsed: 'exact', statisticLocation: 3, statisticSign: 1 },
    });
  });

  it('drift when p ≤ threshold: above, below and at it', () => {
    const a = numeric([1, 2, 3]);
    expect(one(a, numeric([4, 5, 6]), { method: 'ks', threshold: 0.15 }).drifted).toBe(true); // p 0.1
    expect(one(a, numeric([4, 5, 6]), { method: 'ks', threshold: 0.09 }).drifted).toBe(false);
    // identical samples: D = 0, p = 1; p ≤ 1 counts as drift for KS (not strict)
    const same = one(a, numeric([1, 2, 3]), { method: 'ks', threshold: 1, mode: 'asymp' });
    expect(same.pValue).toBe(1);
    expect(same.drifted).toBe(true);
    expect(same.parameters).toEqual({ mode: 'asymp', alternative: 'two-sided', threshold: 1 });
    expect(same.details!.methodUsed).toBe('asymp');
  });

  it('refuses categorical columns', () => {
    const e = thrown(() => runDriftTests(categorical({ a: 1 }), categorical({ a: 2 }), [{ method: 'ks' }]));
    expect(e).toBeInstanceOf(DriftTestSpecError);
    expect(e.name).toBe('DriftTestSpecError');
    expect(e.message).toBe('ks applies to numeric columns only');
  });
});

describe('wasserstein', () => {
  // sorted reference (0 4), current (2 6): W₁ = 2 (a shift by 2), reference std (ddof 0) = 2
  const ref = numeric([4, Number.NaN, 0]);
  const cur = numeric([6, 2]);

  it('normalised by default: W₁ / std = 1, threshold 0.1', () => {
    expect(one(ref, cur, { method: 'wasserstein' })).toEqual({
      method: 'wasserstein',
      parameters: { normalised: true, threshold: 0.1 },
      statistic: close(1),
      pValue: null,
      score: close(1),
      scoreKind: 'distance',
      threshold: 0.1,
      drifted: true,
      details: { raw: close(2) },
    });
  });

  it('raw: no threshold, no decision; with a threshold, drift at or above it', () => {
    const raw = one(ref, cur, { method: 'wasserstein', normalised: false });
    expect(raw).toMatchObject({ parameters: { normalised: false, threshold: null }, statistic: 2, score: 2, threshold: null, drifted: null, details: { raw: 2 } });
    expect(one(ref, cur, { method: 'wasserstein', normalised: false, threshold: 2 })).toMatchObject({ parameters: { normalised: false, threshold: 2 }, threshold: 2, drifted: true });
    expect(one(ref, cur, { method: 'wasserstein', normalised: false, threshold: 2.5 }).drifted).toBe(false);
    expect(one(ref, cur, { method: 'wasserstein', threshold: 1.5 })).toMatchObject({ parameters: { normalised: true, threshold: 1.5 }, drifted: false });
  });

  it('refuses categorical columns', () => {
    const e = thrown(() => runDriftTests(categorical({ a: 1 }), categorical({ a: 2 }), [{ method: 'wasserstein' }]));
    expect(e).toBeInstanceOf(DriftTestSpecError);
    expect(e.message).toBe('wasserstein applies to numeric columns only');
  });
});

describe('chisquare', () => {
  // reference (10 10), current (15 5)
  const ref = categorical({ a: 10, b: 10 });
  const cur = categorical({ a: 15, b: 5 });

  it('goodness of fit by default: expected current = reference × 20/20 = (10 10), χ² = 25/10 + 25/10 = 5', () => {
    expect(one(ref, cur, { method: 'chisquare' })).toEqual({
      method: 'chisquare',
      parameters: { variant: 'goodness-of-fit', threshold: 0.05 },
      statistic: close(5),
      pValue: close(chi2sf1(5)), // ≈ 0.0253
      score: close(chi2sf1(5)),
      scoreKind: 'p_value',
      threshold: 0.05,
      drifted: true,
      details: { dof: 1 },
    });
    expect(one(ref, cur, { method: 'chisquare', threshold: 0.02 }).drifted).toBe(false);
  });

  it('contingency with Yates by default: E = 12.5 7.5 in both rows, χ² = 2² (2/12.5 + 2/7.5) = 128/75', () => {
    expect(one(ref, cur, { method: 'chisquare', variant: 'contingency' })).toEqual({
      method: 'chisquare',
      parameters: { variant: 'contingency', correction: true, threshold: 0.05 },
      statistic: close(128 / 75),
      pValue: close(chi2sf1(128 / 75)),
      score: close(chi2sf1(128 / 75)),
      scoreKind: 'p_value',
      threshold: 0.05,
      drifted: false,
      details: { dof: 1, yatesApplied: 1 },
    });
  });

  it('contingency without the correction: 2.5² (2/12.5 + 2/7.5) = 8/3', () => {
    const o = one(ref, cur, { method: 'chisquare', variant: 'contingency', correction: false, threshold: 0.2 });
    expect(o).toMatchObject({ parameters: { variant: 'contingency', correction: false, threshold: 0.2 }, details: { dof: 1, yatesApplied: 0 }, drifted: true });
    expect(o.statistic).toBeCloseTo(8 / 3, 12);
    expect(o.pValue).toBeCloseTo(chi2sf1(8 / 3), 12); // ≈ 0.1025
    // 2 × 3: no Yates whatever was asked
    const wide = one(categorical({ a: 1, b: 2, c: 3 }), categorical({ a: 3, b: 2, c: 1 }), { method: 'chisquare', variant: 'contingency' });
    expect(wide.details).toEqual({ dof: 2, yatesApplied: 0 });
  });

  it('counts the values of a numeric column', () => {
    // reference (1 1 2 2 2): 1→2, 2→3; current (1 1 1 1 2): 1→4, 2→1; E = 3 2 in both rows, |O − E| = 1
    const r = numeric([2, 1, 2, 1, 2]);
    const c = numeric([1, 1, 2, 1, 1]);
    expect(one(r, c, { method: 'chisquare', variant: 'contingency' }).statistic).toBeCloseTo(0.25 * (2 / 3 + 2 / 2), 12);
    expect(one(r, c, { method: 'chisquare', variant: 'contingency', correction: false }).statistic).toBeCloseTo(2 / 3 + 2 / 2, 12);
    // goodness of fit: expected current = (2 3), observed (4 1): 4/2 + 4/3
    expect(one(r, c, { method: 'chisquare' }).statistic).toBeCloseTo(2 + 4 / 3, 12);
  });

  it('drift only when p < threshold (strict): p = 1 at threshold 1 is no drift', () => {
    // one category: dof 0, p 1
    const dof0 = one(categorical({ a: 3 }), categorical({ a: 7 }), { method: 'chisquare', variant: 'contingency', threshold: 1 });
    expect(dof0.pValue).toBe(1);
    expect(dof0.drifted).toBe(false);
    // same proportions: goodness of fit χ² = 0, p = 1
    const gof = one(categorical({ a: 1, b: 1 }), categorical({ a: 2, b: 2 }), { method: 'chisquare', threshold: 1 });
    expect(gof.statistic).toBe(0);
    expect(gof.pValue).toBe(1);
    expect(gof.drifted).toBe(false);
  });

  it('refuses a correction for goodness of fit', () => {
    for (const correction of [true, false]) {
      const e = thrown(() => runDriftTests(ref, cur, [{ method: 'chisquare', correction }]));
      expect(e).toBeInstanceOf(DriftTestSpecError);
      expect(e.message).toBe('correction applies to the contingency variant only');
    }
  });
});

describe('z', () => {
  it('two-proportion z: shares of the non-first category 0.4 and 0.6, pooled 0.5, z = −0.2/√(0.25·0.2) = −√0.8', () => {
    const expected = {
      method: 'z',
      parameters: { threshold: 0.05 },
      statistic: close(-Math.sqrt(0.8)),
      pValue: close(1 - erf(Math.sqrt(0.4))), // 2(1 − Φ(|z|)) = erfc(|z|/√2) ≈ 0.371
      score: close(1 - erf(Math.sqrt(0.4))),
      scoreKind: 'p_value',
      threshold: 0.05,
      drifted: false,
    };
    expect(one(categorical({ a: 6, b: 4 }), categorical({ a: 4, b: 6 }), { method: 'z' })).toEqual(expected);
    // a numeric 0/1 column: value counts, first key "0"
    expect(one(numeric([0, 0, 0, 0, 0, 0, 1, 1, 1, 1]), numeric([1, 1, 1, 1, 1, 1, 0, 0, 0, 0]), { method: 'z' })).toEqual(expected);
    expect(one(categorical({ a: 6, b: 4 }), categorical({ a: 4, b: 6 }), { method: 'z', threshold: 0.5 })).toMatchObject({ parameters: { threshold: 0.5 }, drifted: true });
  });

  it('strict at the threshold: one category, p = 1, threshold 1 is no drift', () => {
    const o = one(categorical({ a: 3 }), categorical({ a: 7 }), { method: 'z', threshold: 1 });
    expect(o.pValue).toBe(1);
    expect(o.drifted).toBe(false);
  });
});

describe('jensenshannon', () => {
  it('equal-width bins over the pooled range [min, max], last bin closed', () => {
    // reference (1 2 3), current (2 4 5): range [1, 5] (minimum from the reference, maximum from the
    // current), bins [1, 3) [3, 5]: reference (2 1), current (1 2)
    const o = one(numeric([1, 2, 3]), numeric([2, 4, 5]), { method: 'jensenshannon', binning: 'equal-width', bins: 2 });
    expect(o).toEqual({
      method: 'jensenshannon',
      parameters: { base: 2, binning: 'equal-width', bins: 2, threshold: 0.1 },
      statistic: close(js([2, 1], [1, 2])),
      pValue: null,
      score: close(js([2, 1], [1, 2])),
      scoreKind: 'distance',
      threshold: 0.1,
      drifted: true, // ≈ 0.34
      details: { binsUsed: 2 },
    });
    // the other way round: minimum from the current, maximum from the reference
    const swapped = one(numeric([2, 4, 5]), numeric([1, 2, 3]), { method: 'jensenshannon', binning: 'equal-width', bins: 2 });
    expect(swapped.score).toBeCloseTo(js([1, 2], [2, 1]), 12);
    expect(one(numeric([1, 2, 3]), numeric([2, 4, 5]), { method: 'jensenshannon', binning: 'equal-width', bins: 2, threshold: 0.5 }).drifted).toBe(false);
  });

  it('the last equal-width edge is the maximum itself', () => {
    // −48 + (7.19 + 48) rounds below 7.19 in floating point; the maximum must still be counted
    const o = one(numeric([-48, 7.19]), numeric([-48, -48, 7.19]), { method: 'jensenshannon', binning: 'equal-width', bins: 2 });
    expect(o.score).toBeCloseTo(js([1, 1], [2, 1]), 12);
  });

  it('equal-width: 10 bins by default; a constant column is one bin', () => {
    const ten = Array.from({ length: 11 }, (_, i) => i); // 0 … 10: edges 0 1 … 10
    const d = one(numeric(ten), numeric(ten), { method: 'jensenshannon', binning: 'equal-width' });
    expect(d).toMatchObject({ parameters: { base: 2, binning: 'equal-width', bins: 10, threshold: 0.1 }, score: 0, details: { binsUsed: 10 } });
    const flat = one(numeric([3, 3]), numeric([3, 3, 3]), { method: 'jensenshannon', binning: 'equal-width' });
    expect(flat).toMatchObject({ score: 0, details: { binsUsed: 1 } });
  });

  it('quantile bins: inner edges at reference quantiles, a value on an edge in the lower bin', () => {
    // reference (1 2 3 4 5): median 3, bins (−∞, 3] (3, ∞): reference (3 2), current (3 3 6): (2 1)
    const o = one(numeric([5, 4, 3, 2, 1]), numeric([3, 6, 3]), { method: 'jensenshannon', binning: 'quantile', bins: 2 });
    expect(o).toMatchObject({ parameters: { base: 2, binning: 'quantile', bins: 2, threshold: 0.1 }, details: { binsUsed: 2 } });
    expect(o.score).toBeCloseTo(js([3, 2], [2, 1]), 12);
  });

  it('quantile bins: repeated quantiles are one edge; 10 bins by default', () => {
    // reference (1 1 1 1 2), quartiles at positions 1 2 3 are all 1: one inner edge, bins (−∞, 1] (1, ∞)
    const o = one(numeric([1, 1, 1, 1, 2]), numeric([1, 2, 2]), { method: 'jensenshannon', binning: 'quantile', bins: 4 });
    expect(o.details).toEqual({ binsUsed: 2 });
    expect(o.score).toBeCloseTo(js([4, 1], [1, 2]), 12);
    // reference 1 … 10: deciles at 1.9, 2.8, …, 9.1, nine distinct edges
    const ten = Array.from({ length: 10 }, (_, i) => i + 1);
    const d = one(numeric(ten), numeric(ten), { method: 'jensenshannon', binning: 'quantile' });
    expect(d).toMatchObject({ parameters: { bins: 10 }, score: 0, details: { binsUsed: 10 } });
  });

  it('auto: each distinct value its own bin up to 20 distinct reference values', () => {
    const o = one(numeric([1, 2, 1]), numeric([2, 3]), { method: 'jensenshannon' });
    // values 1 2 3: reference (2 1 0), current (0 1 1)
    expect(o).toMatchObject({ parameters: { base: 2, binning: 'auto', bins: null, threshold: 0.1 }, details: { binsUsed: 3 } });
    expect(o.score).toBeCloseTo(js([2, 1, 0], [0, 1, 1]), 12);
    const cur = [...Array.from({ length: 15 }, (_, i) => i), 7, 7, 7, 7, 7, 7];
    const ref20 = Array.from({ length: 20 }, (_, i) => (i + 1) / 2); // 0.5 … 10: 20 distinct
    const [p, q] = perValue(ref20, cur);
    const at20 = one(numeric(ref20), numeric(cur), { method: 'jensenshannon' });
    expect(at20.details).toEqual({ binsUsed: 25 }); // 20 + 15 − the 10 integers 1 … 10 in both
    expect(at20.score).toBeCloseTo(js(p, q), 12);
  });

  it('auto: Sturges bins over the pooled range past 20 distinct reference values', () => {
    // reference 0.5 … 10.5 (21 distinct), current 0 … 14 and six more 7s: n = 42, ⌈log₂ 42 + 1⌉ = 7 bins
    // over [0, 14]: edges 0 2 4 … 14; reference (3 4 4 4 4 2 0), current (2 2 2 8 2 2 3)
    const ref = Array.from({ length: 21 }, (_, i) => (i + 1) / 2);
    const cur = [...Array.from({ length: 15 }, (_, i) => i), 7, 7, 7, 7, 7, 7];
    const o = one(numeric(ref), numeric(cur), { method: 'jensenshannon', base: Math.E });
    expect(o).toMatchObject({ parameters: { base: Math.E, binning: 'auto', bins: null, threshold: 0.1 }, details: { binsUsed: 7 } });
    expect(o.score).toBeCloseTo(js([3, 4, 4, 4, 4, 2, 0], [2, 2, 2, 8, 2, 2, 3], Math.E), 12);
  });

  it('auto: Sturges range with the maximum in the reference', () => {
    // reference 0, 0.5, …, 12 (25 distinct), current (1 3 3 5 11): n = 30, ⌈log₂ 30 + 1⌉ = 6 bins over
    // [0, 12]: edges 0 2 … 12; reference (4 4 4 4 4 5), current (1 2 1 0 0 1)
    const ref = Array.from({ length: 25 }, (_, i) => i / 2);
    const o = one(numeric(ref), numeric([11, 3, 1, 5, 3]), { method: 'jensenshannon' });
    expect(o.details).toEqual({ binsUsed: 6 });
    expect(o.score).toBeCloseTo(js([4, 4, 4, 4, 4, 5], [1, 2, 1, 0, 0, 1]), 12);
  });

  it('categories are their own bins; binning other than auto is refused', () => {
    // keys a b c: reference (1 3 0), current (0 2 2)
    const o = one(categorical({ a: 1, b: 3 }), categorical({ b: 2, c: 2 }), { method: 'jensenshannon', binning: 'auto' });
    expect(o).toMatchObject({ parameters: { base: 2, binning: 'categories', bins: null, threshold: 0.1 }, details: { binsUsed: 3 } });
    expect(o.score).toBeCloseTo(js([1, 3, 0], [0, 2, 2]), 12);
    expect(one(categorical({ a: 1, b: 3 }), categorical({ b: 2, c: 2 }), { method: 'jensenshannon' }).parameters.binning).toBe('categories');
    for (const binning of ['equal-width', 'quantile'] as const) {
      const e = thrown(() => runDriftTests(categorical({ a: 1 }), categorical({ a: 2 }), [{ method: 'jensenshannon', binning }]));
      expect(e).toBeInstanceOf(DriftTestSpecError);
      expect(e.message).toBe('binning applies to numeric columns; categories are their own bins');
    }
  });

  it('drift at or above the threshold: distance 0 at threshold 0 is drift', () => {
    expect(one(numeric([1, 2]), numeric([2, 1]), { method: 'jensenshannon', threshold: 0 })).toMatchObject({ score: 0, drifted: true });
  });
});

describe('psi', () => {
  it('equal-width bins over the reference range, end bins open, a value on an edge in the lower bin', () => {
    // reference 0 … 4, 2 bins: inner edge 2, bins (−∞, 2] (2, ∞): reference (3 2)/5, current (−5 1 | 10 10) (2 2)/4
    // PSI = (0.6 − 0.5) ln(0.6/0.5) + (0.4 − 0.5) ln(0.4/0.5) = 0.1 ln 1.5
    const o = one(numeric([4, 3, 2, 1, 0]), numeric([10, -5, 1, 10]), { method: 'psi', binning: 'equal-width', bins: 2 });
    expect(o).toEqual({
      method: 'psi',
      parameters: { binning: 'equal-width', bins: 2, threshold: 0.1 },
      statistic: close(0.1 * Math.log(1.5)),
      pValue: null,
      score: close(0.1 * Math.log(1.5)),
      scoreKind: 'distance',
      threshold: 0.1,
      drifted: false,
      details: { binsUsed: 2 },
    });
    expect(one(numeric([4, 3, 2, 1, 0]), numeric([10, -5, 1, 10]), { method: 'psi', binning: 'equal-width', bins: 2, threshold: 0.04 }).drifted).toBe(true);
  });

  it('equal-width: 10 bins by default; a constant reference is one bin', () => {
    const ten = Array.from({ length: 11 }, (_, i) => i);
    expect(one(numeric(ten), numeric(ten), { method: 'psi', binning: 'equal-width' })).toMatchObject({ parameters: { binning: 'equal-width', bins: 10 }, score: 0, details: { binsUsed: 10 } });
    expect(one(numeric([3, 3, 3]), numeric([3, 4]), { method: 'psi', binning: 'equal-width' })).toMatchObject({ score: 0, details: { binsUsed: 1 } });
  });

  it('reference-quantile bins by default, 10 of them', () => {
    const ten = Array.from({ length: 10 }, (_, i) => i + 1);
    expect(one(numeric(ten), numeric(ten), { method: 'psi' })).toEqual({
      method: 'psi',
      parameters: { binning: 'quantile', bins: 10, threshold: 0.1 },
      statistic: 0,
      pValue: null,
      score: 0,
      scoreKind: 'distance',
      threshold: 0.1,
      drifted: false,
      details: { binsUsed: 10 },
    });
    // distance 0 at threshold 0 is drift
    expect(one(numeric(ten), numeric(ten), { method: 'psi', threshold: 0 }).drifted).toBe(true);
    // 2 bins: reference median 2.5, reference (0.5 0.5), current (0.75 0.25)
    const two = one(numeric([1, 2, 3, 4]), numeric([1, 1, 1, 4]), { method: 'psi', binning: 'quantile', bins: 2 });
    expect(two.score).toBeCloseTo(0.25 * Math.log(1.5) + 0.25 * Math.log(2), 12);
    expect(two.details).toEqual({ binsUsed: 2 });
    // reference (0 1 2 10): median 1.5, not the equal-width edge 5; reference (0.5 0.5), current (0 3 3 3) (0.25 0.75)
    const skew = one(numeric([0, 1, 2, 10]), numeric([0, 3, 3, 3]), { method: 'psi', bins: 2 });
    expect(skew.score).toBeCloseTo(0.25 * Math.log(2) + 0.25 * Math.log(1.5), 12);
  });

  it('categories: one bin per category, no binning accepted', () => {
    // reference (0.5 0.5), current (0.75 0.25): PSI = 0.25 ln 1.5 + 0.25 ln 2 = 0.25 ln 3
    const o = one(categorical({ a: 2, b: 2 }), categorical({ a: 3, b: 1 }), { method: 'psi' });
    expect(o).toMatchObject({ parameters: { binning: 'categories', bins: null, threshold: 0.1 }, drifted: true, details: { binsUsed: 2 } });
    expect(o.score).toBeCloseTo(0.25 * Math.log(3), 12);
    for (const binning of ['equal-width', 'quantile'] as const) {
      const e = thrown(() => runDriftTests(categorical({ a: 1 }), categorical({ a: 2 }), [{ method: 'psi', binning }]));
      expect(e).toBeInstanceOf(DriftTestSpecError);
      expect(e.message).toBe('binning applies to numeric columns; categories are their own bins');
    }
  });
});
