import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exactShapley } from '../../../src/analytics/explain/exact-shapley.js';
import { kernelShap } from '../../../src/analytics/explain/kernel-shap.js';
import { permutationShap } from '../../../src/analytics/explain/permutation-shap.js';
import { kmeansBackground, sampleBackground } from '../../../src/analytics/explain/background-summary.js';
import { meanAbsoluteShap, rankFeatures } from '../../../src/analytics/explain/global-importance.js';
import { mulberry32 } from '../../../src/analytics/seeded-random.js';
import type { BatchPredict, FeatureMatrix } from '../../../src/analytics/explain/model-contract.js';
import { parseRaiaTreeEnsemble } from '../../../src/analytics/trees/raia-tree-format.js';
import { treeEnsemblePredictor } from '../../../src/analytics/trees/predict.js';
import { bruteForceShapley, docMargin, featureRow, raiaDocument } from '../trees/random-tree-documents.js';

function randomMatrix(nRows: number, nFeatures: number, seed: number): FeatureMatrix {
  const random = mulberry32(seed);
  return { data: Float64Array.from({ length: nRows * nFeatures }, () => random() * 2 - 1), nRows, nFeatures };
}

const coefficients = [3, -2, 0.5, 0, 1.5, -1, 2.5, -0.25, 1, -3];
/** Linear in every feature: interventional Shapley values are coef_j * (x_j - mean_b z_j) (Lundberg & Lee 2017, Corollary 1). */
const linear: BatchPredict = (X, n) => {
  const m = coefficients.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0.7;
    for (let j = 0; j < m; j++) s += coefficients[j]! * X[i * m + j]!;
    out[i] = s;
  }
  return out;
};

/** A 10-feature model with interactions and kinks, so Shapley values are not a closed form. */
const nonlinear: BatchPredict = async (X, n) => {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = X.subarray(i * 10, i * 10 + 10);
    out[i] = 2 * x[0]! * x[1]! + Math.sin(3 * x[2]!) * x[3]! + Math.max(x[4]!, x[5]!) + x[6]! ** 2 - x[7]! + (x[8]! > 0 ? x[9]! : -x[9]!);
  }
  return out;
};

describe('exact Shapley over all coalitions', () => {
  it('gives coef * (x - mean(background)) for a linear model', async () => {
    const background = randomMatrix(25, 10, 1);
    const rows = randomMatrix(3, 10, 2);
    const result = await exactShapley(linear, rows, background);
    for (let r = 0; r < 3; r++) {
      for (let j = 0; j < 10; j++) {
        let mean = 0;
        for (let b = 0; b < 25; b++) mean += background.data[b * 10 + j]! / 25;
        expect(result.values[r * 10 + j]).toBeCloseTo(coefficients[j]! * (rows.data[r * 10 + j]! - mean), 10);
      }
    }
    expect(result.additivityGap).toBeLessThan(1e-10);
  });

  it('equals a brute-force Shapley computation of the background-mean game on random tree models', async () => {
    await fc.assert(
      fc.asyncProperty(
        raiaDocument().chain((doc) => fc.tuple(fc.constant(doc), featureRow(doc.featureNames.length), fc.array(featureRow(doc.featureNames.length), { minLength: 1, maxLength: 3 }))),
        async ([doc, x, background]) => {
          const m = doc.featureNames.length;
          const predict = treeEnsemblePredictor(parseRaiaTreeEnsemble(doc), 'margin');
          const result = await exactShapley(predict, { data: Float64Array.from(x), nRows: 1, nFeatures: m }, { data: Float64Array.from(background.flat()), nRows: background.length, nFeatures: m });
          const expected = bruteForceShapley(m, (mask) => background.reduce((s, z) => s + docMargin(doc, x.map((xj, j) => (mask & (1 << j) ? xj : z[j]!))), 0) / background.length);
          expected.forEach((e, j) => expect(Math.abs(result.values[j]! - e)).toBeLessThan(1e-9));
        },
      ),
      { numRuns: 100, seed: 11 },
    );
  });

  it('batches several rows into one model call and still matches row-by-row results', async () => {
    const background = randomMatrix(10, 10, 3);
    const rows = randomMatrix(4, 10, 4);
    let calls = 0;
    const counting: BatchPredict = (X, n) => {
      calls++;
      return nonlinear(X, n);
    };
    const together = await exactShapley(counting, rows, background);
    expect(calls).toBe(2); // 4 rows x 1,024 coalitions x 10 background rows in one call, plus f(x)
    const alone = await exactShapley(nonlinear, { data: rows.data.slice(30, 40), nRows: 1, nFeatures: 10 }, background);
    for (let j = 0; j < 10; j++) expect(together.values[30 + j]).toBeCloseTo(alone.values[j]!, 12);
  });
});

describe('KernelSHAP (Lundberg & Lee 2017)', () => {
  /** Shapley values by their definition (Shapley 1953): the weighted sum of marginal contributions over every coalition. */
  function definitionShapley(f: (x: number[]) => number, x: number[], background: number[][]): number[] {
    const m = x.length;
    const factorial = (n: number): number => (n <= 1 ? 1 : n * factorial(n - 1));
    // v(S): the model's mean over the background with the features in S taken from x (interventional).
    const v = (inS: (j: number) => boolean) => background.reduce((sum, z) => sum + f(z.map((zj, j) => (inS(j) ? x[j]! : zj))), 0) / background.length;
    return x.map((_, j) => {
      let phi = 0;
      for (let mask = 0; mask < 1 << m; mask++) {
        if (mask & (1 << j)) continue;
        let size = 0;
        for (let k = 0; k < m; k++) if (mask & (1 << k)) size++;
        const weight = (factorial(size) * factorial(m - size - 1)) / factorial(m);
        phi += weight * (v((k) => k === j || Boolean(mask & (1 << k))) - v((k) => Boolean(mask & (1 << k))));
      }
      return phi;
    });
  }

  it('equals exact Shapley values to 1e-10 when every coalition is enumerated, on models with interactions (4, 5 and 6 features)', async () => {
    // Pairwise and three-way interactions and a kink: far from additive, so a wrong kernel weight shows.
    const f = (x: number[]) => 2 * x[0]! * x[1]! - 1.5 * x[2]! * x[3]! + 3 * x[0]! * x[2]! * x[3]! + Math.max(x[1]!, x[3]!) + x.slice(4).reduce((s, xj, j) => s + (j + 1) * xj * x[0]!, 0);
    for (const m of [4, 5, 6]) {
      const predict: BatchPredict = (X, n) => Float64Array.from({ length: n }, (_, i) => f(Array.from(X.subarray(i * m, (i + 1) * m))));
      const background = randomMatrix(7, m, 20 + m);
      const rows = randomMatrix(2, m, 30 + m);
      const kernel = await kernelShap(predict, rows, background, { random: mulberry32(5) }); // default budget 2M + 2048 covers all 2^M - 2 coalitions
      const bg = Array.from({ length: 7 }, (_, b) => Array.from(background.data.subarray(b * m, (b + 1) * m)));
      for (let r = 0; r < 2; r++) {
        const expected = definitionShapley(f, Array.from(rows.data.subarray(r * m, (r + 1) * m)), bg);
        for (let j = 0; j < m; j++) expect(Math.abs(kernel.values[r * m + j]! - expected[j]!), `M=${m} row ${r} feature ${j}`).toBeLessThan(1e-10);
      }
    }
  });

  it('is within 0.01 of exact Shapley values on a 10-feature model at the default sample count', async () => {
    const background = randomMatrix(30, 10, 5);
    const rows = randomMatrix(3, 10, 6);
    const exact = await exactShapley(nonlinear, rows, background);
    const kernel = await kernelShap(nonlinear, rows, background, { random: mulberry32(1) });
    for (let i = 0; i < 30; i++) expect(Math.abs(kernel.values[i]! - exact.values[i]!)).toBeLessThan(0.01);
    expect(kernel.baseValue).toBeCloseTo(exact.baseValue, 12);
    expect(kernel.additivityGap).toBeLessThan(1e-9);
  });

  it('samples coalitions when 2^M exceeds the budget and stays close to exact (14 features)', async () => {
    const m = 14;
    const w = Array.from({ length: m }, (_, j) => (j % 3) - 1 + j / 10);
    const model: BatchPredict = (X, n) => {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const x = X.subarray(i * m, (i + 1) * m);
        let s = x[0]! * x[1]! - x[2]! * x[3]! * 0.5;
        for (let j = 0; j < m; j++) s += w[j]! * x[j]!;
        out[i] = s;
      }
      return out;
    };
    const background = randomMatrix(10, m, 7);
    const rows = randomMatrix(1, m, 8);
    const exact = await exactShapley(model, rows, background);
    const kernel = await kernelShap(model, rows, background, { random: mulberry32(2) });
    let worst = 0;
    for (let j = 0; j < m; j++) worst = Math.max(worst, Math.abs(kernel.values[j]! - exact.values[j]!));
    expect(worst).toBeLessThan(0.02);
    expect(kernel.additivityGap).toBeLessThan(1e-9);
  });

  it('gives zero to features that equal the instance in every background row, and is reproducible from the seed', async () => {
    const background = randomMatrix(20, 10, 9);
    for (let b = 0; b < 20; b++) background.data[b * 10 + 3] = 0.25;
    const rows = randomMatrix(1, 10, 10);
    rows.data[3] = 0.25;
    const a = await kernelShap(nonlinear, rows, background, { random: mulberry32(3), nSamples: 300 });
    const b = await kernelShap(nonlinear, rows, background, { random: mulberry32(3), nSamples: 300 });
    expect(a.values[3]).toBe(0);
    expect(Array.from(a.values)).toEqual(Array.from(b.values));
  });

  it('accepts a weighted k-means background summary', async () => {
    const data = randomMatrix(200, 10, 11);
    const summary = kmeansBackground(data, 10, mulberry32(4));
    expect(summary.nRows).toBe(10);
    expect(Array.from(summary.weights!).reduce((a, b) => a + b, 0)).toBe(200);
    // Centres are rounded to values the data takes, as shap.kmeans does.
    const observed = new Set(data.data);
    for (const v of summary.data) expect(observed.has(v)).toBe(true);
    const rows = randomMatrix(1, 10, 12);
    const result = await kernelShap(linear, rows, summary);
    const w = summary.weights!;
    for (let j = 0; j < 10; j++) {
      let mean = 0;
      for (let c = 0; c < 10; c++) mean += (w[c]! / 200) * summary.data[c * 10 + j]!;
      expect(result.values[j]).toBeCloseTo(coefficients[j]! * (rows.data[j]! - mean), 8);
    }
  });

  it('sampleBackground draws distinct rows deterministically', () => {
    const data = randomMatrix(50, 10, 13);
    const a = sampleBackground(data, 5, mulberry32(9));
    const b = sampleBackground(data, 5, mulberry32(9));
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(a.nRows).toBe(5);
  });
});

describe('permutation SHAP', () => {
  it('is exact for an additive model with any number of permutations', async () => {
    const background = randomMatrix(15, 10, 14);
    const rows = randomMatrix(2, 10, 15);
    const exact = await exactShapley(linear, rows, background);
    const perm = await permutationShap(linear, rows, background, { nPermutations: 1, random: mulberry32(5) });
    for (let i = 0; i < 20; i++) expect(perm.values[i]).toBeCloseTo(exact.values[i]!, 10);
  });

  it('adds up exactly and approaches exact values on a model with interactions', async () => {
    const background = randomMatrix(15, 10, 16);
    const rows = randomMatrix(1, 10, 17);
    const exact = await exactShapley(nonlinear, rows, background);
    const perm = await permutationShap(nonlinear, rows, background, { nPermutations: 200, random: mulberry32(6) });
    expect(perm.additivityGap).toBeLessThan(1e-9);
    for (let j = 0; j < 10; j++) expect(Math.abs(perm.values[j]! - exact.values[j]!)).toBeLessThan(0.05);
  });
});

describe('global importance', () => {
  it('is the mean absolute SHAP value per feature, ranked', async () => {
    const background = randomMatrix(20, 10, 18);
    const rows = randomMatrix(30, 10, 19);
    const result = await exactShapley(linear, rows, background);
    const importance = meanAbsoluteShap(result);
    let expected0 = 0;
    for (let r = 0; r < 30; r++) expected0 += Math.abs(result.values[r * 10]!) / 30;
    expect(importance[0]).toBeCloseTo(expected0, 12);
    expect(importance[3]).toBe(0);
    const ranked = rankFeatures(importance);
    expect(ranked[ranked.length - 1]!.feature).toBe(3);
  });
});
