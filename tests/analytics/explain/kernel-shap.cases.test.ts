import { describe, expect, it } from 'vitest';
import { coalitionPlan, kernelShap } from '../../../src/analytics/explain/kernel-shap.js';
import type { FeatureMatrix } from '../../../src/analytics/explain/model-contract.js';
import { rowModel } from './row-model.js';
import { mulberry32, type Random } from '../../../src/analytics/seeded-random.js';

/** A generator that returns `values` in order, then whatever `then` returns. */
function scripted(values: number[], then: Random): Random {
  let i = 0;
  return () => (i < values.length ? values[i++]! : then());
}

/** Repeats `values` forever. */
function cycling(values: number[]): Random {
  let i = 0;
  return () => values[i++ % values.length]!;
}

const noRandom: Random = () => {
  throw new Error('no coalition should be sampled');
};

/** The plan as (features in the coalition, weight) pairs, in the plan's order. */
function planOf(plan: { masks: Uint8Array; weights: Float64Array; count: number }, m: number): { features: number[]; weight: number }[] {
  return Array.from({ length: plan.count }, (_, c) => ({
    features: Array.from({ length: m }, (_, j) => j).filter((j) => plan.masks[c * m + j] === 1),
    weight: plan.weights[c]!,
  }));
}

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - i + 1)) / i;
  return r;
}

/** The Shapley kernel of Lundberg & Lee (2017, Theorem 2): pi(S) = (M - 1) / (C(M, |S|) |S| (M - |S|)). */
function shapleyKernel(m: number, s: number): number {
  return (m - 1) / (binomial(m, s) * s * (m - s));
}

function expectPlan(actual: { features: number[]; weight: number }[], expected: [number[], number][]): void {
  expect(actual.map((c) => c.features)).toEqual(expected.map(([features]) => features));
  actual.forEach((c, i) => expect(c.weight, `coalition ${i}`).toBeCloseTo(expected[i]![1], 14));
}

describe('coalitionPlan: every coalition when the budget covers them (shap KernelExplainer)', () => {
  it('enumerates each of the 2^M - 2 proper non-empty coalitions once, weighted by the normalised Shapley kernel', () => {
    for (const m of [2, 3, 4, 5, 6, 7]) {
      const plan = coalitionPlan(m, 2 * m + 2048, noRandom);
      expect(plan.count).toBe(2 ** m - 2);
      let kernelTotal = 0;
      for (let s = 1; s < m; s++) kernelTotal += binomial(m, s) * shapleyKernel(m, s);
      const seen = new Set<string>();
      for (const { features, weight } of planOf(plan, m)) {
        const key = features.join(',');
        expect(seen.has(key), `M=${m}: ${key} twice`).toBe(false);
        seen.add(key);
        expect(features.length).toBeGreaterThan(0);
        expect(features.length).toBeLessThan(m);
        expect(weight, `M=${m} {${key}}`).toBeCloseTo(shapleyKernel(m, features.length) / kernelTotal, 14);
      }
    }
  });

  it('M = 4 by hand: sizes 1 and 3 weigh 1/11 each, size 2 weighs 1/22', () => {
    // pi(1) = pi(3) = 3 / (4 * 1 * 3) = 1/4, pi(2) = 3 / (6 * 2 * 2) = 1/8; total 8/4 + 6/8 = 11/4.
    const plan = planOf(coalitionPlan(4, 14, noRandom), 4);
    expectPlan(plan, [
      [[0], 1 / 11],
      [[1, 2, 3], 1 / 11],
      [[1], 1 / 11],
      [[0, 2, 3], 1 / 11],
      [[2], 1 / 11],
      [[0, 1, 3], 1 / 11],
      [[3], 1 / 11],
      [[0, 1, 2], 1 / 11],
      [[0, 1], 1 / 22],
      [[0, 2], 1 / 22],
      [[0, 3], 1 / 22],
      [[1, 2], 1 / 22],
      [[1, 3], 1 / 22],
      [[2, 3], 1 / 22],
    ]);
  });

  it('never plans more than the 2^M - 2 coalitions there are, however many are requested', () => {
    expect(coalitionPlan(3, 100, noRandom).count).toBe(6);
    expect(coalitionPlan(4, 1000, noRandom).count).toBe(14);
    expect(coalitionPlan(10, 5000, noRandom).count).toBe(1022);
  });
});

describe('coalitionPlan: sampled coalitions (sizes by kernel mass, complements paired, repeats add weight)', () => {
  it('M = 3, budget 4: a repeated draw adds weight to the coalition and its complement', () => {
    // M = 3 has one stratum, sizes {1, 2} paired, 6 coalitions > 4: all sampled, mass 1.
    // Each draw takes one number for the size (always 1 here) and one for the feature, floor(3u).
    const random = scripted([0.5, 0.1, 0.5, 0.2, 0.5, 0.5], noRandom);
    // {0} and {1,2}; {0} again (weights 2 and 2); {1} and {0,2}: budget spent. Weights 2,2,1,1 / 6.
    expectPlan(planOf(coalitionPlan(3, 4, random), 3), [
      [[0], 2 / 6],
      [[1, 2], 2 / 6],
      [[1], 1 / 6],
      [[0, 2], 1 / 6],
    ]);
  });

  it('M = 3, budget 5: the complement of the draw that spends the budget is left out', () => {
    // {0},{1,2} (3 left); {1},{0,2} (1 left); {2} (0 left): its complement {0,1} does not fit.
    const random = scripted([0.5, 0.1, 0.5, 0.5, 0.5, 0.9], noRandom);
    expectPlan(planOf(coalitionPlan(3, 5, random), 3), [
      [[0], 1 / 5],
      [[1, 2], 1 / 5],
      [[1], 1 / 5],
      [[0, 2], 1 / 5],
      [[2], 1 / 5],
    ]);
  });

  it('stops after 4 x (budget left) draws, as shap does, even if the budget is not spent', () => {
    // Budget 4 -> 16 draws, all of feature 0; the 17th would bring feature 1 but never happens.
    const draws = Array.from({ length: 16 }, () => [0.5, 0.1]).flat();
    const plan = coalitionPlan(3, 4, scripted(draws, cycling([0.5, 0.5])));
    expectPlan(planOf(plan, 3), [
      [[0], 0.5],
      [[1, 2], 0.5],
    ]);
  });

  it('M = 4, budget 10: sizes drawn by kernel mass (1: 8/11, 2: 3/11), the middle size unpaired', () => {
    // Size: u < 8/11 -> size 1, else size 2. Features by a partial Fisher-Yates: position i swaps
    // with i + floor(u (M - i)).
    const random = scripted(
      [
        ...[0.1, 0.6], // size 1, feature floor(2.4) = 2 -> {2}, {0,1,3}          (8 left)
        ...[0.9, 0, 0.9], // size 2: feature 0, then 1 + floor(2.7) = 3 -> {0,3}  (7 left; not paired)
        ...[0.9, 0, 0.9], // {0,3} again: its weight becomes 2, no complement added
        ...[0.9, 0.3, 0.4], // size 2: floor(1.2) = 1 -> (1,0,2,3), then 1 + floor(1.2) = 2 -> {1,2} (6 left)
        ...[0.1, 0], // {0}, {1,2,3}                                               (4 left)
        ...[0.1, 0.3], // {1}, {0,2,3}                                             (2 left)
        ...[0.1, 0.9], // {3}, {0,1,2}                                             (0 left)
      ],
      noRandom,
    );
    // 11 draws' worth of weight share the whole kernel mass 1.
    expectPlan(planOf(coalitionPlan(4, 10, random), 4), [
      [[2], 1 / 11],
      [[0, 1, 3], 1 / 11],
      [[0, 3], 2 / 11],
      [[1, 2], 1 / 11],
      [[0], 1 / 11],
      [[1, 2, 3], 1 / 11],
      [[1], 1 / 11],
      [[0, 2, 3], 1 / 11],
      [[3], 1 / 11],
      [[0, 1, 2], 1 / 11],
    ]);
  });

  it('a size draw exactly at the first cumulative mass falls in the next size (half-open, as numpy.random.choice)', () => {
    // M = 4: the size-1 stratum's share as the plan computes it, 2 / (2 + 0.75) = 8/11 as a double;
    // the masses sum to exactly 1, so u = 8/11 sits on the boundary: size 2, then {0, 1}.
    const boundary = 2 / 2.75;
    const plan = planOf(coalitionPlan(4, 10, scripted([boundary, 0, 0], mulberry32(1))), 4);
    expect(plan[0]!.features).toEqual([0, 1]);
  });

  it('M = 6, budget 30: size 1 enumerated, sizes 2 and 3 sampled in proportion to their remaining mass', () => {
    // Kernel masses per size pair: 1|5: 2, 2|4: 2 x 5/8 = 1.25, 3: 5/9; total 137/36, so the shares
    // are 72/137, 45/137 and 20/137. Size 1 needs 12 coalitions and 30 x 72/137 / 12 >= 1: enumerated,
    // each weighing 72/137 / 12 = 6/137. Size 2|4 (30 coalitions) would need 18 x (45/65) / 30 >= 1: no.
    // Sampled sizes: u x 65/137 < 45/137, i.e. u < 9/13 -> size 2, else size 3.
    const random = scripted(
      [
        ...[0.5, 0, 0], // size 2 -> {0,1} and its complement {2,3,4,5} (16 left)
        ...[0.9, 0, 0, 0], // size 3 -> {0,1,2}, unpaired (15 left)
      ],
      cycling([0.5, 0, 0]), // then {0,1} over and over until the 4 x 18 = 72 draws are used
    );
    const plan = planOf(coalitionPlan(6, 30, random), 6);
    expect(plan.length).toBe(15);
    for (let c = 0; c < 12; c++) expect(plan[c]!.weight).toBeCloseTo(6 / 137, 15);
    expect(plan.slice(0, 12).map((c) => c.features)).toEqual([[0], [1, 2, 3, 4, 5], [1], [0, 2, 3, 4, 5], [2], [0, 1, 3, 4, 5], [3], [0, 1, 2, 4, 5], [4], [0, 1, 2, 3, 5], [5], [0, 1, 2, 3, 4]]);
    // Draw counts 71, 71 and 1 (143 in all) share the mass 65/137: 71 x 65 / (143 x 137) = 355/1507.
    expectPlan(plan.slice(12), [
      [[0, 1], 355 / 1507],
      [[2, 3, 4, 5], 355 / 1507],
      [[0, 1, 2], 5 / 1507],
    ]);
    expect(plan.reduce((s, c) => s + c.weight, 0)).toBeCloseTo(1, 14);
  });

  it('a size draw at the very top of [0, 1) gives the largest size, even when rounding leaves it above the summed masses', () => {
    // M = 30, budget 300: size 1 (60 coalitions) is enumerated, sizes 2..15 are sampled; for
    // u = 1 - 2^-53 the running subtraction of the 14 masses ends a hair above 0 in doubles.
    const plan = coalitionPlan(30, 300, scripted([1 - 2 ** -53], mulberry32(2)));
    expect(plan.count).toBe(300);
    let firstSampled = 0;
    for (let j = 0; j < 30; j++) firstSampled += plan.masks[60 * 30 + j]!;
    expect(firstSampled).toBe(15);
  });
});

/** A 5-feature model with pairwise and three-way interactions and an intercept. */
const f5 = (x: ArrayLike<number>) => 4 + 2 * x[0]! * x[1]! - 1.5 * x[2]! * x[3]! + 3 * x[0]! * x[3]! * x[4]! + Math.max(x[1]!, x[4]!) + 0.5 * x[2]!;

function randomMatrix(nRows: number, nFeatures: number, seed: number): FeatureMatrix {
  const random = mulberry32(seed);
  return { data: Float64Array.from({ length: nRows * nFeatures }, () => random() * 2 - 1), nRows, nFeatures };
}

/** v(S) = mean_b f(x_S, z_b) by its definition. */
function value(f: (x: ArrayLike<number>) => number, x: ArrayLike<number>, inS: (j: number) => boolean, background: FeatureMatrix): number {
  const m = background.nFeatures;
  let s = 0;
  for (let b = 0; b < background.nRows; b++) s += f(Array.from({ length: m }, (_, j) => (inS(j) ? x[j]! : background.data[b * m + j]!)));
  return s / background.nRows;
}

/** Exact Shapley values by the definition: weighted marginal contributions over all coalitions. */
function exactShapley(f: (x: ArrayLike<number>) => number, x: ArrayLike<number>, background: FeatureMatrix): number[] {
  const m = background.nFeatures;
  const factorial = (n: number): number => (n <= 1 ? 1 : n * factorial(n - 1));
  return Array.from({ length: m }, (_, j) => {
    let phi = 0;
    for (let mask = 0; mask < 1 << m; mask++) {
      if (mask & (1 << j)) continue;
      let size = 0;
      for (let k = 0; k < m; k++) if (mask & (1 << k)) size++;
      const w = (factorial(size) * factorial(m - size - 1)) / factorial(m);
      phi += w * (value(f, x, (k) => k === j || Boolean(mask & (1 << k)), background) - value(f, x, (k) => Boolean(mask & (1 << k)), background));
    }
    return phi;
  });
}

/** Naive Gauss-Jordan elimination with partial pivoting, for the reference below. */
function gaussJordan(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[p]![c]!)) p = r;
    [M[c], M[p]] = [M[p]!, M[c]!];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const factor = M[r]![c]! / M[c]![c]!;
      for (let k = c; k <= n; k++) M[r]![k]! -= factor * M[c]![k]!;
    }
  }
  return M.map((row, i) => row[n]! / row[i]!);
}

/**
 * KernelSHAP's estimate by its definition (Lundberg & Lee 2017, Theorem 2): minimise
 * sum_c w_c (v(S_c) - phi_0 - sum_{j in S_c} phi_j)^2 subject to sum_j phi_j = f(x) - phi_0, solved
 * here through the KKT system [2 Z'WZ, 1; 1', 0] [phi; lambda] = [2 Z'W y; f(x) - phi_0] (a
 * Lagrange multiplier, not the substitution the implementation uses).
 */
function constrainedWls(masks: number[][], weights: number[], v: number[], phi0: number, total: number): number[] {
  const m = masks[0]!.length;
  const K = Array.from({ length: m + 1 }, () => new Array<number>(m + 1).fill(0));
  const rhs = new Array<number>(m + 1).fill(0);
  masks.forEach((z, c) => {
    for (let i = 0; i < m; i++) {
      rhs[i]! += 2 * weights[c]! * z[i]! * (v[c]! - phi0);
      for (let k = 0; k < m; k++) K[i]![k]! += 2 * weights[c]! * z[i]! * z[k]!;
    }
  });
  for (let i = 0; i < m; i++) K[i]![m] = K[m]![i] = 1;
  rhs[m] = total;
  return gaussJordan(K, rhs).slice(0, m);
}

describe('kernelShap: the weighted least-squares fit on the planned coalitions', () => {
  it('with every coalition enumerated, equals exact Shapley values (brute force) on a model with interactions, in as few calls as maxBatchRows allows', async () => {
    const background = randomMatrix(5, 4, 1);
    const rows = randomMatrix(2, 4, 2);
    const f4 = (x: ArrayLike<number>) => f5([x[0]!, x[1]!, x[2]!, x[3]!, 0.7]);
    const { predict, calls } = rowModel(4, f4);
    const result = await kernelShap(predict, rows, background, { random: noRandom });
    for (let r = 0; r < 2; r++) {
      const expected = exactShapley(f4, rows.data.subarray(r * 4, r * 4 + 4), background);
      expected.forEach((e, j) => expect(Math.abs(result.values[r * 4 + j]! - e), `row ${r} feature ${j}`).toBeLessThan(1e-10));
    }
    // f(rows), f(background), then per row the 2^4 - 2 = 14 coalitions x 5 background rows together.
    expect(calls).toEqual([2, 5, 70, 70]);
    const chunked = rowModel(4, f4);
    await kernelShap(chunked.predict, rows, background, { random: noRandom, maxBatchRows: 20 });
    // 20 rows hold 4 coalitions: 14 = 4 + 4 + 4 + 2 per row.
    expect(chunked.calls).toEqual([2, 5, 20, 20, 20, 10, 20, 20, 20, 10]);
  });

  it('with sampled coalitions, is the constrained weighted least-squares solution over the planned coalitions', async () => {
    // Feature 2 equals x in every background row: it is left out and the plan covers 4 features.
    const background = randomMatrix(4, 5, 3);
    const rows = randomMatrix(1, 5, 4);
    for (let b = 0; b < 4; b++) background.data[b * 5 + 2] = rows.data[2]!;
    const varying = [0, 1, 3, 4];
    for (const [nSamples, seed] of [
      [10, 7],
      [9, 8],
      [11, 9],
    ] as const) {
      const plan = coalitionPlan(4, nSamples, mulberry32(seed));
      expect(plan.count).toBe(nSamples); // fewer than the 14 coalitions: sampled
      const masks = Array.from({ length: plan.count }, (_, c) => Array.from(plan.masks.subarray(c * 4, c * 4 + 4)));
      const v = masks.map((z) => value(f5, rows.data, (j) => j === 2 || z[varying.indexOf(j)] === 1, background));
      const phi0 = value(f5, rows.data, () => false, background);
      const fx = f5(rows.data);
      const expected = constrainedWls(masks, Array.from(plan.weights), v, phi0, fx - phi0);
      const result = await kernelShap(rowModel(5, f5).predict, rows, background, { nSamples, random: mulberry32(seed) });
      expect(result.baseValue).toBeCloseTo(phi0, 12);
      expect(result.values[2]).toBe(0);
      varying.forEach((j, k) => expect(Math.abs(result.values[j]! - expected[k]!), `nSamples ${nSamples} feature ${j}`).toBeLessThan(1e-9));
    }
  });

  it('with sampled coalitions, still gives a linear model (with an intercept) its exact values', async () => {
    // Any identified coalition set fits an additive game exactly: phi_j = c_j (x_j - mean z_j).
    const c = [3, -2, 0.5, 1.5, -1, 2.5, -0.25, 1];
    const linear = (x: ArrayLike<number>) => 10 + c.reduce((s, cj, j) => s + cj * x[j]!, 0);
    const background = randomMatrix(6, 8, 5);
    const rows = randomMatrix(2, 8, 6);
    const result = await kernelShap(rowModel(8, linear).predict, rows, background, { nSamples: 41, random: mulberry32(10) });
    for (let r = 0; r < 2; r++) {
      for (let j = 0; j < 8; j++) {
        let mean = 0;
        for (let b = 0; b < 6; b++) mean += background.data[b * 8 + j]! / 6;
        expect(Math.abs(result.values[r * 8 + j]! - c[j]! * (rows.data[r * 8 + j]! - mean))).toBeLessThan(1e-10);
      }
    }
  });

  it('uses the supplied generator, and a seeded one of its own when none is given', async () => {
    const background = randomMatrix(3, 6, 11);
    const rows = randomMatrix(1, 6, 12);
    const { predict } = rowModel(6, (x) => f5([x[0]!, x[1]!, x[2]!, x[3]!, x[4]! * x[5]!]));
    let draws = 0;
    const inner = mulberry32(3);
    const counting = () => {
      draws++;
      return inner();
    };
    const supplied = await kernelShap(predict, rows, background, { nSamples: 30, random: counting });
    expect(draws).toBeGreaterThan(0);
    const own = await kernelShap(predict, rows, background, { nSamples: 30 });
    // Either way efficiency holds exactly: sum phi = f(x) - E f.
    expect(supplied.additivityGap).toBeLessThan(1e-12);
    expect(own.additivityGap).toBeLessThan(1e-12);
  });
});

describe('kernelShap: features that cannot change the value', () => {
  it('treats NaN as equal to NaN and different from any number when deciding which features vary', async () => {
    // g(v) = -1 for a missing value, v otherwise; f = 0.5 + 10 g(x0) + 2 g(x1) + 3 g(x2).
    const g = (v: number) => (Number.isNaN(v) ? -1 : v);
    const f = (x: ArrayLike<number>) => 0.5 + 10 * g(x[0]!) + 2 * g(x[1]!) + 3 * g(x[2]!);
    // Feature 0: NaN in x and in every background row -> does not vary.
    // Feature 1: x = 1, background (NaN, 1) -> varies through the NaN row alone.
    // Feature 2: x = NaN, background (0, 2) -> varies.
    const rows = { data: Float64Array.of(NaN, 1, NaN), nRows: 1, nFeatures: 3 };
    const background = { data: Float64Array.of(NaN, NaN, 0, NaN, 1, 2), nRows: 2, nFeatures: 3 };
    const { predict, calls } = rowModel(3, f);
    const result = await kernelShap(predict, rows, background, { random: noRandom });
    // Additive: phi_j = c_j (g(x_j) - mean g(z_j)): phi1 = 2 (1 - (-1 + 1) / 2) = 2, phi2 = 3 (-1 - 1) = -6.
    expect(result.values[0]).toBe(0);
    expect(result.values[1]).toBeCloseTo(2, 12);
    expect(result.values[2]).toBeCloseTo(-6, 12);
    // f(x) = 0.5 - 10 + 2 - 3 = -10.5; E f = (-11.5 + -1.5) / 2 = -6.5; total -4 = 0 + 2 - 6.
    expect(result.baseValue).toBeCloseTo(-6.5, 12);
    // Two varying features: 2^2 - 2 = 2 coalitions x 2 background rows = 4 rows.
    expect(calls).toEqual([1, 2, 4]);
  });

  it('gives all zeros without scoring coalitions when nothing varies, and f(x) - E f to a lone varying feature', async () => {
    const f = (x: ArrayLike<number>) => x[0]! * x[1]! + 2 * x[2]!;
    const { predict, calls } = rowModel(3, f);
    const background = { data: Float64Array.of(1, 2, 3, 1, 2, 3), nRows: 2, nFeatures: 3 };
    const same = await kernelShap(predict, { data: Float64Array.of(1, 2, 3), nRows: 1, nFeatures: 3 }, background, { random: noRandom });
    expect(Array.from(same.values)).toEqual([0, 0, 0]);
    expect(calls).toEqual([1, 2]);
    // Only feature 1 differs: it gets f(x) - E f = (1 * 5 + 6) - (1 * 2 + 6) = 3.
    const lone = await kernelShap(predict, { data: Float64Array.of(1, 5, 3), nRows: 1, nFeatures: 3 }, background, { random: noRandom });
    expect(Array.from(lone.values)).toEqual([0, 3, 0]);
  });
});
