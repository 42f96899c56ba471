import { describe, expect, it } from 'vitest';
import { limeTabular } from '../../../src/analytics/explain/lime-tabular.js';
import { featureGrid, partialDependence, partialDependence2D } from '../../../src/analytics/explain/partial-dependence.js';
import { permutationImportance } from '../../../src/analytics/explain/permutation-importance.js';
import { accuracy, logLoss, rmse, rocAuc, rSquared } from '../../../src/analytics/explain/performance-metrics.js';
import { whatIf } from '../../../src/analytics/explain/what-if.js';
import { findCounterfactual } from '../../../src/analytics/explain/counterfactual.js';
import { exactShapley } from '../../../src/analytics/explain/exact-shapley.js';
import { mulberry32 } from '../../../src/analytics/seeded-random.js';
import type { BatchPredict, FeatureMatrix } from '../../../src/analytics/explain/model-contract.js';

function uniformMatrix(nRows: number, nFeatures: number, seed: number): FeatureMatrix {
  const random = mulberry32(seed);
  return { data: Float64Array.from({ length: nRows * nFeatures }, () => random()), nRows, nFeatures };
}

const linearModel =
  (coef: number[], intercept = 0): BatchPredict =>
  (X, n) => {
    const m = coef.length;
    return Float64Array.from({ length: n }, (_, i) => coef.reduce((s, c, j) => s + c * X[i * m + j]!, intercept));
  };

const logistic =
  (coef: number[], intercept: number): BatchPredict =>
  (X, n) => {
    const z = linearModel(coef, intercept)(X, n) as Float64Array;
    return z.map((v) => 1 / (1 + Math.exp(-v)));
  };

describe('LIME tabular (Ribeiro et al. 2016)', () => {
  it('recovers the signs and ranking of a linear model’s coefficients', async () => {
    const coef = [4, -3, 2, -1, 0.5];
    const training = uniformMatrix(2000, 5, 1);
    const instance = Float64Array.from([0.9, 0.9, 0.9, 0.9, 0.9]);
    const result = await limeTabular(linearModel(coef, 1), training, instance, { random: mulberry32(2) });
    coef.forEach((c, j) => expect(Math.sign(result.weights[j]!)).toBe(Math.sign(c)));
    const byWeight = [0, 1, 2, 3, 4].sort((a, b) => Math.abs(result.weights[b]!) - Math.abs(result.weights[a]!));
    expect(byWeight).toEqual([0, 1, 2, 3, 4]);
    expect(result.modelPrediction).toBeCloseTo(1 + 0.9 * 2.5, 12);
    expect(result.score).toBeGreaterThan(0.5);
    expect(result.score).toBeLessThanOrEqual(1);
    expect(result.localPrediction).toBeCloseTo(result.intercept + result.weights.reduce((a, b) => a + b, 0), 12);
    expect(result.conditions[0]).toMatch(/^x0 > 0\.7/);
  });

  it('is reproducible from the seed', async () => {
    const training = uniformMatrix(300, 3, 3);
    const run = () => limeTabular(linearModel([1, 2, 3]), training, Float64Array.from([0.1, 0.5, 0.9]), { random: mulberry32(7), nSamples: 500 });
    expect(Array.from((await run()).weights)).toEqual(Array.from((await run()).weights));
  });
});

describe('partial dependence and ICE', () => {
  // f = 2 x0 + x1^2: PD_0(t) = 2t + mean(x1^2) over the data, PD_1(t) = mean(2 x0) + t^2.
  const f: BatchPredict = (X, n) => Float64Array.from({ length: n }, (_, i) => 2 * X[i * 2]! + X[i * 2 + 1]! ** 2);
  const data = uniformMatrix(500, 2, 4);
  const mean = (g: (i: number) => number) => Array.from({ length: 500 }, (_, i) => g(i)).reduce((a, b) => a + b, 0) / 500;

  it('matches the closed form of an additive function', async () => {
    const pd0 = await partialDependence(f, data, 0);
    const ex1 = mean((i) => data.data[i * 2 + 1]! ** 2);
    pd0.grid.forEach((t, k) => expect(pd0.average[k]).toBeCloseTo(2 * t + ex1, 12));
    const pd1 = await partialDependence(f, data, 1);
    const ex0 = mean((i) => 2 * data.data[i * 2]!);
    pd1.grid.forEach((t, k) => expect(pd1.average[k]).toBeCloseTo(ex0 + t * t, 12));
    // ICE of row 3 at grid point k is f with x0 replaced.
    expect(pd0.ice[3 * 20 + 5]).toBeCloseTo(2 * pd0.grid[5]! + data.data[7]! ** 2, 12);
  });

  it('builds sklearn’s grid: 20 points between the 5th and 95th percentiles, or the distinct values', () => {
    const ramp: FeatureMatrix = { data: Float64Array.from({ length: 101 }, (_, i) => i), nRows: 101, nFeatures: 1 };
    const grid = featureGrid(ramp, 0);
    expect(grid.length).toBe(20);
    // scipy mquantiles (alphap = betap = 0.4), not numpy's linear percentile (which gives 5 and 95)
    expect(grid[0]).toBeCloseTo(4.46, 12);
    expect(grid[19]).toBeCloseTo(95.54, 12);
    const codes: FeatureMatrix = { data: Float64Array.from([2, 0, 1, 2, 1, 0]), nRows: 6, nFeatures: 1 };
    expect(Array.from(featureGrid(codes, 0))).toEqual([0, 1, 2]);
  });

  it('gives the product of grid values for f = x0 * x1 in two dimensions (independent of the data)', async () => {
    const product: BatchPredict = (X, n) => Float64Array.from({ length: n }, (_, i) => X[i * 2]! * X[i * 2 + 1]!);
    const pd = await partialDependence2D(product, data, [0, 1], { gridResolution: 5 });
    const [g0, g1] = pd.grids;
    for (let a = 0; a < 5; a++) for (let b = 0; b < 5; b++) expect(pd.average[a * 5 + b]).toBeCloseTo(g0[a]! * g1[b]!, 12);
  });
});

describe('performance metrics', () => {
  const y = Float64Array.from([0, 0, 1, 1]);
  const p = Float64Array.from([0.1, 0.4, 0.35, 0.8]);
  it('computes hand-checked values', () => {
    expect(accuracy(y, p)).toBe(0.75);
    expect(rocAuc(y, p)).toBe(0.75); // pairs (pos, neg): 0.35>0.1, 0.35<0.4, 0.8>both: 3 of 4
    expect(rocAuc(y, Float64Array.from([0.5, 0.5, 0.5, 0.9]))).toBe(0.75); // 0.9 beats both negatives (2), the 0.5 positive ties both (2 x 1/2)
    expect(logLoss(y, p)).toBeCloseTo(-(Math.log(0.9) + Math.log(0.6) + Math.log(0.35) + Math.log(0.8)) / 4, 12);
    expect(rmse(Float64Array.from([1, 2]), Float64Array.from([2, 4]))).toBeCloseTo(Math.sqrt(2.5), 12);
    expect(rSquared(Float64Array.from([1, 2, 3]), Float64Array.from([1, 2, 4]))).toBeCloseTo(0.5, 12);
  });
});

describe('permutation feature importance', () => {
  it('is zero for a feature the model ignores and positive for the one it uses', async () => {
    const data = uniformMatrix(400, 3, 5);
    const model = logistic([8, 0, 0], -4);
    const y = Float64Array.from({ length: 400 }, (_, i) => (data.data[i * 3]! > 0.5 ? 1 : 0));
    for (const metric of ['accuracy', 'log-loss', 'roc-auc'] as const) {
      const result = await permutationImportance(model, data, y, { metric, nRepeats: 4, random: mulberry32(1) });
      expect(result.mean[0]).toBeGreaterThan(0.05);
      expect(result.mean[1]).toBe(0);
      expect(result.std[2]).toBe(0);
    }
    const reg = await permutationImportance(linearModel([0, 3, 0]), data, Float64Array.from({ length: 400 }, (_, i) => 3 * data.data[i * 3 + 1]!), { metric: 'rmse', nRepeats: 3 });
    expect(reg.baseline).toBe(0);
    expect(reg.mean[1]).toBeGreaterThan(0.5);
    expect(reg.mean[0]).toBe(0);
  });

  it('reports the mean and the population standard deviation (as scikit-learn) of the drops the shuffles cause', async () => {
    const data = uniformMatrix(60, 2, 7);
    const y = Float64Array.from({ length: 60 }, (_, i) => 2 * data.data[i * 2]! - data.data[i * 2 + 1]!);
    // The model records the RMSE of every batch it scores, computed here, so the drops are known outside the code under test.
    const rmseOfCalls: number[] = [];
    const model: BatchPredict = (X, n) => {
      const out = linearModel([1.5, -0.5])(X, n) as Float64Array;
      rmseOfCalls.push(Math.sqrt(out.reduce((s, p, i) => s + (p - y[i]!) ** 2, 0) / n));
      return out;
    };
    const repeats = 4;
    // maxBatchRows = one copy of the data: one shuffled feature per call, in order (repeat r, feature j) = call 1 + 2r + j.
    const result = await permutationImportance(model, data, y, { metric: 'rmse', nRepeats: repeats, random: mulberry32(3), maxBatchRows: 60 });
    expect(rmseOfCalls).toHaveLength(1 + repeats * 2);
    expect(result.baseline).toBeCloseTo(rmseOfCalls[0]!, 12);
    for (let j = 0; j < 2; j++) {
      const drops = Array.from({ length: repeats }, (_, r) => rmseOfCalls[1 + r * 2 + j]! - rmseOfCalls[0]!);
      const mean = drops.reduce((a, b) => a + b, 0) / repeats;
      const populationStd = Math.sqrt(drops.reduce((s, d) => s + (d - mean) ** 2, 0) / repeats);
      drops.forEach((d, r) => expect(result.drops[r * 2 + j]).toBeCloseTo(d, 12));
      expect(result.mean[j]).toBeCloseTo(mean, 12);
      expect(populationStd).toBeGreaterThan(1e-3); // the shuffles differ, so the check below is not 0 = 0
      expect(result.std[j]).toBeCloseTo(populationStd, 12);
    }
  });
});

describe('what-if', () => {
  it('reports the new prediction, the delta and the changed row’s Shapley values', async () => {
    const model = linearModel([2, -1, 0.5], 1);
    const background = uniformMatrix(20, 3, 6);
    const row = Float64Array.from([0.2, 0.4, 0.6]);
    const result = await whatIf(model, row, [{ feature: 1, value: 0.9 }], (rows) => exactShapley(model, rows, background));
    expect(result.prediction).toBeCloseTo(1 + 0.4 - 0.4 + 0.3, 12);
    expect(result.newPrediction).toBeCloseTo(1 + 0.4 - 0.9 + 0.3, 12);
    expect(result.delta).toBeCloseTo(-0.5, 12);
    expect(Array.from(result.changedRow)).toEqual([0.2, 0.9, 0.6]);
    expect(result.shap!.values[1]).toBeCloseTo(-1 * (0.9 - Array.from({ length: 20 }, (_, b) => background.data[b * 3 + 1]!).reduce((a, c) => a + c, 0) / 20), 12);
  });
});

describe('counterfactual search', () => {
  const coef = [3, -2, 1, 4];
  const model = logistic(coef, -1);
  const min = Float64Array.from([0, 0, 0, 0]);
  const max = Float64Array.from([1, 1, 2, 1]);

  it('flips the class, keeps immutable features and stays inside the ranges', async () => {
    const row = Float64Array.from([0.1, 0.8, 0.2, 0.1]); // z = 0.3 - 1.6 + 0.2 + 0.4 - 1 < 0
    const result = await findCounterfactual(model, row, { min, max, immutable: [3], random: mulberry32(3) });
    expect(result.found).toBe(true);
    const cf = result.counterfactual!;
    const p = (model(cf, 1) as Float64Array)[0]!;
    expect(p).toBeGreaterThanOrEqual(0.5);
    expect(result.originalPrediction).toBeLessThan(0.5);
    expect(cf[3]).toBe(row[3]);
    for (let j = 0; j < 4; j++) {
      expect(cf[j]).toBeGreaterThanOrEqual(min[j]!);
      expect(cf[j]).toBeLessThanOrEqual(max[j]!);
    }
    expect(result.changedFeatures).not.toContain(3);
    // The score must rise by 1.7. The L1-closest flip of a linear score moves the feature with the
    // largest |coef| x range: x0 (3 x 1) needs 1.7 / 3 of its range; x1 (2 x 1) and x2 (1 x 2) 0.85.
    expect(result.distance).toBeGreaterThanOrEqual(1.7 / 3 - 1e-9);
    expect(result.distance).toBeLessThan((1.7 / 3) * 1.01);
    expect(result.changedFeatures).toEqual([0]);
  });

  it('reports not found when only immutable features could flip the class', async () => {
    const row = Float64Array.from([0.1, 0.8, 0.2, 0.1]);
    const result = await findCounterfactual(logistic([0, 0, 0, 4], -1), row, { min, max, immutable: [3], random: mulberry32(4), maxLayers: 5, candidatesPerLayer: 200 });
    expect(result.found).toBe(false);
  });
});
