import { describe, expect, it } from 'vitest';
import { columnDrift, type ColumnSample } from '../../../src/analytics/drift/column-drift.js';

// Every expected number below is worked by hand from the definitions the module cites
// (scipy.stats.ks_2samp, scipy.stats.chisquare, Evidently's PSI and Jensen–Shannon binning).

const numeric = (values: ArrayLike<number>): ColumnSample => ({ kind: 'numeric', values });
const categorical = (entries: [string, number][]): ColumnSample => ({ kind: 'categorical', counts: new Map(entries) });

describe('columnDrift on small numeric samples worked by hand', () => {
  it('runs KS on unsorted samples, leaves the caller arrays untouched and bins PSI on reference quantiles', () => {
    const reference = Float64Array.of(4, 1, 3, 2);
    const current = [7, 2.5, 6, 5];
    const r = columnDrift(numeric(reference), numeric(current));
    // Sorted: 1 2 3 4 against 2.5 5 6 7. ECDF gap after 4: F₁ = 1, F₂ = 1/4, so D = 3/4.
    // n = m = 4, exact p = P(D ≥ 3/4): of the C(8, 4) = 70 lattice paths, C(8, 7) = 8 reach a gap of +3
    // and 8 a gap of -3 (reflection), none both: p = 16/70 = 8/35 > 0.05, no drift.
    expect(r).toMatchObject({ kind: 'numeric', test: 'ks', scoreKind: 'p_value', threshold: 0.05, drifted: false });
    expect(r).toMatchObject({ referenceSize: 4, currentSize: 4, referenceMissing: 0, currentMissing: 0, distinctValues: 8 });
    expect(r.statistic).toBeCloseTo(0.75, 14);
    expect(r.score).toBeCloseTo(8 / 35, 12);
    // Sorting works on copies.
    expect(Array.from(reference)).toEqual([4, 1, 3, 2]);
    expect(current).toEqual([7, 2.5, 6, 5]);
    // PSI edges: numpy quantiles of 1..4 at 0.1 … 0.9 = 1 + 3q: 1.3 1.6 1.9 2.2 2.5 2.8 3.1 3.4 3.7.
    // Reference 1, 2, 3, 4 fall in bins 0, 3, 6, 9; current 2.5 (on the edge, bins are right-closed) in
    // bin 4 and 5, 6, 7 in bin 9. Zero shares become 1e-4 in each sample.
    // PSI = 3·(0.25 - 1e-4)·ln(0.25/1e-4) + (1e-4 - 0.25)·ln(1e-4/0.25) + (0.25 - 0.75)·ln(0.25/0.75)
    //     = 0.9996·ln 2500 + 0.5·ln 3.
    expect(r.psi).toBeCloseTo(0.9996 * Math.log(2500) + 0.5 * Math.log(3), 12);
    // The bins report the observed shares; the 1e-4 fill only enters the PSI terms.
    expect(r.psiBins!.map((b) => b.reference * 4)).toEqual([1, 0, 0, 1, 0, 0, 1, 0, 0, 1]);
    expect(r.psiBins!.map((b) => b.current * 4)).toEqual([0, 0, 0, 0, 1, 0, 0, 0, 0, 3]);
    expect(r.psiBins!.map((b) => b.upper)).toEqual([...[1.3, 1.6, 1.9, 2.2, 2.5, 2.8, 3.1, 3.4, 3.7].map((e) => expect.closeTo(e, 12)), Number.POSITIVE_INFINITY]);
    expect(Object.keys(r).sort()).toEqual(['currentMissing', 'currentSize', 'distinctValues', 'drifted', 'kind', 'psi', 'psiBins', 'referenceMissing', 'referenceSize', 'score', 'scoreKind', 'statistic', 'test', 'threshold']);
  });

  it('gives KS p = 2/C(2n, n) for two samples that do not overlap, drifting at the default 0.05', () => {
    // 1..4 against 5..8: D = 1, reached only by the two extreme lattice paths: p = 2/70 = 1/35.
    const r = columnDrift(numeric([3, 4, 1, 2]), numeric(Float64Array.of(8, 6, 7, 5)));
    expect(r.test).toBe('ks');
    expect(r.statistic).toBe(1);
    expect(r.score).toBeCloseTo(1 / 35, 14);
    expect(r.drifted).toBe(true);
  });

  it('runs chi-square on the value counts of a numeric column with 3 distinct values, counting its NaNs', () => {
    // Reference 1,1,2,2,3,3 (and one NaN), current 1,1,1,1,2,3: expected 2 2 2, observed 4 1 1.
    // χ² = 4/2 + 1/2 + 1/2 = 3 with 2 degrees of freedom, p = e^{-3/2} ≈ 0.223.
    const r = columnDrift(numeric([3, 1, 2, 3, Number.NaN, 1, 2]), numeric([1, 3, 1, 2, 1, 1]));
    expect(r).toMatchObject({ test: 'chisquare', scoreKind: 'p_value', distinctValues: 3, referenceSize: 6, referenceMissing: 1, currentSize: 6, currentMissing: 0, drifted: false });
    expect(r.statistic).toBeCloseTo(3, 12);
    expect(r.score).toBeCloseTo(Math.exp(-1.5), 12);
  });

  it('chooses Wasserstein once the reference exceeds smallReferenceLimit, normalised by the reference std', () => {
    // Reference 0 2 4 6 (mean 3, population variance (9+1+1+9)/4 = 5), current shifted by 1: W₁ = 1.
    // 8 distinct pooled values (> 5): KS while 4 ≤ limit, Wasserstein when 4 > limit.
    const reference = numeric([6, 0, 4, 2]);
    const current = numeric(Float64Array.of(7, 1, 5, 3));
    const w = columnDrift(reference, current, { smallReferenceLimit: 3 });
    expect(w).toMatchObject({ test: 'wasserstein', scoreKind: 'distance', threshold: 0.1, drifted: true, distinctValues: 8 });
    expect(w.score).toBeCloseTo(1 / Math.sqrt(5), 14);
    expect(w.statistic).toBe(w.score);
    // A distance drifts at score ≥ threshold.
    expect(columnDrift(reference, current, { smallReferenceLimit: 3, threshold: 1 / Math.sqrt(5) }).drifted).toBe(true);
    expect(columnDrift(reference, current, { smallReferenceLimit: 3, threshold: 0.5 }).drifted).toBe(false);
    expect(columnDrift(reference, current, { smallReferenceLimit: 4 }).test).toBe('ks');
    // Numeric columns need more than 5 distinct pooled values for KS or Wasserstein.
    const five = numeric([5, 1, 4, 2, 3]);
    expect(columnDrift(five, numeric([1, 2, 3, 4, 5]), { smallReferenceLimit: 4 }).test).toBe('jensenshannon');
    expect(columnDrift(five, numeric([1, 2, 3, 4, 5]), { smallReferenceLimit: 5 }).test).toBe('chisquare');
    expect(columnDrift(five, numeric([1, 2, 3, 4, 6]), { smallReferenceLimit: 4 }).test).toBe('wasserstein');
    expect(columnDrift(five, numeric([1, 2, 3, 4, 6]), { smallReferenceLimit: 5 }).test).toBe('ks');
    // A constant reference has std 0: Evidently divides by 0.001 instead. W₁(2,2,2 ; 2.5,2.5,2.5) = 0.5.
    expect(columnDrift(numeric([2, 2, 2]), numeric([2.5, 2.5, 2.5]), { test: 'wasserstein' }).score).toBeCloseTo(500, 9);
  });
});

describe('Jensen–Shannon binning of a numeric column (Evidently: more than 20 distinct reference values)', () => {
  it('uses value counts when the reference has exactly 20 distinct values, however many rows', () => {
    // Reference 0..19 twice each (p = 1/20 each), current 40 zeros (q = 1 on 0).
    // m = 21/40 on 0, 1/40 elsewhere. KL(p‖m) = (1/20) ln(2/21) + (19/20) ln 2; KL(q‖m) = ln(40/21).
    // Sum = ln 80 - (21/20) ln 21, JSD = half of it (nats); distance = √(JSD / ln 2) ≈ 0.9247.
    // (Sturges bins — 8 over [0, 19] — would give the first bin p = 6/40 instead of 2/40.)
    const reference = Float64Array.from({ length: 40 }, (_, i) => (7 * i) % 20);
    const current = new Float64Array(40);
    const r = columnDrift(numeric(reference), numeric(current), { test: 'jensenshannon' });
    expect(r.distinctValues).toBe(20);
    expect(r.score).toBeCloseTo(Math.sqrt((0.5 * (Math.log(80) - (21 / 20) * Math.log(21))) / Math.LN2), 12);
    expect(r).toMatchObject({ scoreKind: 'distance', threshold: 0.1, drifted: true });
  });

  it('bins on Sturges edges over the pooled range when the reference has 21 distinct values', () => {
    // Reference 0..20, current 21 zeros: pooled n = 42, ⌈log₂ 42 + 1⌉ = 7 bins of width 20/7 over [0, 20];
    // the reference puts 3 values in each (p = 1/7 each), the current all in the first (q = 1, 0, …).
    // m = 4/7, 1/14 ×6. KL(p‖m) = (1/7) ln(1/4) + (6/7) ln 2 = (4/7) ln 2; KL(q‖m) = ln(7/4).
    // JSD in bits = ½(4/7 + log₂(7/4)); distance ≈ 0.8303. (Value counts would give p = 1/21 each.)
    const reference = Float64Array.from({ length: 21 }, (_, i) => 20 - i);
    const current = new Float64Array(21);
    const r = columnDrift(numeric(reference), numeric(current), { test: 'jensenshannon' });
    expect(r.score).toBeCloseTo(Math.sqrt(0.5 * (4 / 7 + Math.log2(7 / 4))), 12);
    expect(r.statistic).toBe(r.score);
  });
});

describe('columnDrift on categories worked by hand', () => {
  it('chi-square on a small categorical reference: the whole result', () => {
    // Reference b 20, a 10, c 10; current a 20, b 10, c 10 (both 40): expected = reference counts.
    // χ² = (20-10)²/10 + (10-20)²/20 + 0 = 15, 2 degrees of freedom: p = e^{-7.5} < 0.05, drift.
    // PSI over categories in first-seen order b, a, c: (0.5 - 0.25) ln 2 + (0.25 - 0.5) ln ½ + 0 = ½ ln 2.
    const r = columnDrift(categorical([['b', 20], ['a', 10], ['c', 10]]), categorical([['a', 20], ['b', 10], ['c', 10]]));
    expect(r).toStrictEqual({
      kind: 'categorical',
      test: 'chisquare',
      scoreKind: 'p_value',
      threshold: 0.05,
      referenceSize: 40,
      currentSize: 40,
      referenceMissing: 0,
      currentMissing: 0,
      distinctValues: 3,
      score: expect.closeTo(Math.exp(-7.5), 15),
      statistic: expect.closeTo(15, 12),
      drifted: true,
      psi: expect.closeTo(0.5 * Math.LN2, 14),
      psiCategories: [
        { category: 'b', reference: 0.5, current: 0.25, contribution: expect.closeTo(0.25 * Math.LN2, 14) },
        { category: 'a', reference: 0.25, current: 0.5, contribution: expect.closeTo(0.25 * Math.LN2, 14) },
        { category: 'c', reference: 0.25, current: 0.25, contribution: 0 },
      ],
    });
  });

  it('switches from chi-square to Jensen–Shannon when the summed reference counts pass 1000', () => {
    const current = categorical([['a', 1], ['b', 1], ['c', 1]]);
    const atLimit = columnDrift(categorical([['a', 600], ['b', 399], ['c', 1]]), current);
    expect(atLimit).toMatchObject({ test: 'chisquare', referenceSize: 1000, currentSize: 3, distinctValues: 3 });
    const above = columnDrift(categorical([['a', 600], ['b', 400], ['c', 1]]), current);
    expect(above).toMatchObject({ test: 'jensenshannon', referenceSize: 1001, scoreKind: 'distance', threshold: 0.1 });
    // Categories seen in only one sample count as distinct values: a | b → 2 → z-test.
    expect(columnDrift(categorical([['a', 5]]), categorical([['b', 5]]))).toMatchObject({ test: 'z', distinctValues: 2, drifted: true });
  });

  it('gives the Jensen–Shannon distance of two categorical samples in base 2, or the base asked for', () => {
    // p = (½, ½, 0), q = (0, ½, ½) over a b c; m = (¼, ½, ¼). KL(p‖m) = KL(q‖m) = ½ ln 2, JSD = ½ ln 2 nats
    // = ½ bit: distance √½. In nats the distance is √(½ ln 2).
    const reference = categorical([['a', 1], ['b', 1]]);
    const current = categorical([['b', 1], ['c', 1]]);
    const r = columnDrift(reference, current, { smallReferenceLimit: 1 });
    expect(r).toMatchObject({ test: 'jensenshannon', drifted: true, distinctValues: 3 });
    expect(r.score).toBeCloseTo(Math.SQRT1_2, 14);
    expect(columnDrift(reference, current, { smallReferenceLimit: 1, jsBase: Math.E }).score).toBeCloseTo(Math.sqrt(0.5 * Math.LN2), 14);
    expect(Object.keys(r)).toContain('psiCategories');
    expect(Object.keys(r)).not.toContain('psiBins');
    expect(Object.keys(r)).not.toContain('skipped');
  });
});

describe('the drifted decision exactly at the threshold (identical samples: p = 1, distance = 0)', () => {
  it('KS drifts at p ≤ threshold, chi-square and z only at p < threshold', () => {
    // Identical samples: D = 0 and p = 1 for KS; χ² = 0 and p = 1; z = 0 and p = 1.
    const ks = columnDrift(numeric([1, 2, 3, 4, 5, 6]), numeric([6, 5, 4, 3, 2, 1]), { threshold: 1 });
    expect(ks).toMatchObject({ test: 'ks', statistic: 0, score: 1, drifted: true });
    const chi = columnDrift(categorical([['a', 2], ['b', 2], ['c', 2]]), categorical([['a', 1], ['b', 1], ['c', 1]]), { thresholds: { chisquare: 1 } });
    expect(chi).toMatchObject({ test: 'chisquare', statistic: 0, score: 1, threshold: 1, drifted: false });
    const z = columnDrift(categorical([['a', 2], ['b', 2]]), categorical([['a', 3], ['b', 3]]), { thresholds: { z: 1, chisquare: 0 } });
    expect(z).toMatchObject({ test: 'z', statistic: 0, score: 1, threshold: 1, drifted: false });
  });

  it('distances drift at score ≥ threshold, so a threshold of 0 flags identical samples', () => {
    const same = [1, 2, 3, 4, 5, 6];
    expect(columnDrift(numeric(same), numeric(same), { test: 'psi', thresholds: { psi: 0 } })).toMatchObject({ score: 0, threshold: 0, drifted: true });
    expect(columnDrift(numeric(same), numeric(same), { test: 'wasserstein', threshold: 0 })).toMatchObject({ score: 0, drifted: true });
    expect(columnDrift(numeric(same), numeric(same), { test: 'jensenshannon' })).toMatchObject({ score: 0, threshold: 0.1, drifted: false });
    // thresholds for another test leave the default of this one.
    expect(columnDrift(numeric(same), numeric(same), { test: 'psi', thresholds: { ks: 0 } })).toMatchObject({ threshold: 0.1, drifted: false });
  });
});

describe('columns with an empty sample are skipped, not tested', () => {
  it('counts distinct values and missing values of an all-missing reference against a current sample', () => {
    // Distinct pooled values 1 2 3 → the small-reference default for 3 values is chi-square.
    const r = columnDrift(numeric([Number.NaN, Number.NaN]), numeric([3, 1, 3, 2, Number.NaN]));
    expect(r).toStrictEqual({
      kind: 'numeric',
      test: 'chisquare',
      scoreKind: 'p_value',
      threshold: 0.05,
      referenceSize: 0,
      currentSize: 4,
      referenceMissing: 2,
      currentMissing: 1,
      distinctValues: 3,
      score: Number.NaN,
      statistic: Number.NaN,
      drifted: false,
      psi: Number.NaN,
      skipped: 'empty sample',
    });
  });

  it('counts repeated values once on either side, and nothing when both samples are empty', () => {
    expect(columnDrift(numeric([2, 2, 1]), numeric([]))).toMatchObject({ skipped: 'empty sample', referenceSize: 3, currentSize: 0, distinctValues: 2, test: 'z' });
    expect(columnDrift(numeric(Float64Array.of(Number.NaN)), numeric(Float64Array.of(5, 5, 4, 5)))).toMatchObject({ skipped: 'empty sample', referenceMissing: 1, currentSize: 4, distinctValues: 2 });
    expect(columnDrift(numeric([]), numeric([Number.NaN]))).toMatchObject({ skipped: 'empty sample', referenceSize: 0, currentSize: 0, currentMissing: 1, distinctValues: 0 });
  });

  it('treats categories whose counts sum to 0 as an empty sample', () => {
    const r = columnDrift(categorical([['a', 0], ['b', 0]]), categorical([['a', 4], ['c', 1]]));
    expect(r).toMatchObject({ skipped: 'empty sample', referenceSize: 0, currentSize: 5, distinctValues: 3, test: 'chisquare', drifted: false });
    expect(Object.keys(r)).not.toContain('psiCategories');
  });
});
