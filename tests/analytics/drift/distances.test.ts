import { describe, expect, it } from 'vitest';
import { jensenShannonDistance } from '../../../src/analytics/drift/jensen-shannon.js';
import { categoricalPsi, numericPsi, psiFromProportions } from '../../../src/analytics/drift/population-stability-index.js';
import { normalizedWassersteinDistance, wassersteinDistance } from '../../../src/analytics/drift/wasserstein.js';

describe('Wasserstein-1', () => {
  it('is the shift between translated samples and the area between ECDFs', () => {
    expect(wassersteinDistance([0, 1, 3], [5, 6, 8])).toBeCloseTo(5, 14);
    // F_u - F_v: on [1,2) 1/4 - 2/3, [2,3) 1/2 - 2/3, [3,4) 3/4 - 2/3, [4,5) 1 - 2/3 → 5/12+1/6+1/12+1/3 = 1
    expect(wassersteinDistance([1, 2, 3, 4], [1, 1, 5])).toBeCloseTo(1, 14);
    expect(wassersteinDistance([1, 2, 3], [1, 2, 3])).toBe(0);
  });

  it('normalises by the reference population std with a 0.001 floor, as Evidently', () => {
    // reference [0, 2]: std = 1; current shifted by 0.5
    expect(normalizedWassersteinDistance([0, 2], [0.5, 2.5])).toBeCloseTo(0.5, 14);
    expect(normalizedWassersteinDistance([1, 1], [2, 2])).toBeCloseTo(1000, 9);
  });
});

describe('Jensen–Shannon distance', () => {
  it('is 0 for identical and √(ln 2) for disjoint distributions with natural logs (1 in base 2)', () => {
    expect(jensenShannonDistance([1, 2, 3], [2, 4, 6])).toBe(0);
    expect(jensenShannonDistance([1, 0], [0, 1], Math.E)).toBeCloseTo(Math.sqrt(Math.LN2), 15);
    expect(jensenShannonDistance([1, 0], [0, 1])).toBeCloseTo(1, 15);
  });

  it('matches scipy.spatial.distance.jensenshannon', () => {
    expect(jensenShannonDistance([1, 2, 3, 4], [4, 3, 2, 1], 2)).toBeCloseTo(0.3918681606471551, 14);
    expect(jensenShannonDistance([0.2, 0.3, 0.5], [0.5, 0.3, 0.2], Math.E)).toBeCloseTo(0.25770974832606103, 14);
  });
});

describe('population stability index', () => {
  it('sums (r - c) ln(r/c) over bins', () => {
    const r = psiFromProportions(Float64Array.of(0.5, 0.5), Float64Array.of(0.25, 0.75));
    expect(r.psi).toBeCloseTo(0.25 * Math.log(2) + -0.25 * Math.log(0.5 / 0.75), 15);
  });

  it('fills empty bins with 1e-4', () => {
    const r = psiFromProportions(Float64Array.of(0.5, 0.5, 0), Float64Array.of(0.5, 0.4, 0.1));
    expect(r.psi).toBeCloseTo(0.1 * Math.log(0.5 / 0.4) + (1e-4 - 0.1) * Math.log(1e-4 / 0.1), 14);
  });

  it('uses ten reference-quantile bins: a copy of the reference has PSI 0, a shifted sample more', () => {
    const ref = Float64Array.from({ length: 100 }, (_, i) => i).sort();
    const same = numericPsi(ref, ref);
    expect(same.bins).toHaveLength(10);
    expect(same.psi).toBe(0);
    for (const b of same.bins) expect(b.reference).toBeCloseTo(0.1, 15);
    // every current value above the reference's 90th percentile edge (89.1): all mass in the last bin
    const shifted = numericPsi(ref, Float64Array.from({ length: 50 }, () => 95));
    expect(shifted.psi).toBeCloseTo(9 * (0.1 - 1e-4) * Math.log(0.1 / 1e-4) + (0.1 - 1) * Math.log(0.1), 10);
  });

  it('reports a per-category PSI', () => {
    const r = categoricalPsi(
      new Map([
        ['a', 50],
        ['b', 50],
      ]),
      new Map([
        ['a', 25],
        ['b', 75],
      ]),
    );
    expect(r.categories.map((c) => c.category)).toEqual(['a', 'b']);
    expect(r.categories[0]!.contribution).toBeCloseTo(0.25 * Math.log(2), 15);
  });
});
