import { describe, expect, it } from 'vitest';
import { binomial, exactShapley } from '../../../src/analytics/explain/exact-shapley.js';
import type { BatchPredict, FeatureMatrix } from '../../../src/analytics/explain/model-contract.js';

/** f(x) = x0 * x1 + 2 x0 - x1^2 for two-feature rows: an interaction, so no closed form per feature. */
const interacting: BatchPredict = (X, n) => Float64Array.from({ length: n }, (_, i) => X[2 * i]! * X[2 * i + 1]! + 2 * X[2 * i]! - X[2 * i + 1]! ** 2);

describe('binomial coefficients', () => {
  it('matches Pascal-triangle values', () => {
    expect([0, 1, 2, 3, 4, 5].map((k) => binomial(5, k))).toEqual([1, 5, 10, 10, 5, 1]);
    expect(binomial(20, 10)).toBe(184_756);
  });

  it('is 0 outside 0 <= k <= n', () => {
    expect(binomial(3, 4)).toBe(0);
    expect(binomial(3, -1)).toBe(0);
    expect(binomial(0, 1)).toBe(0);
  });

  it('stays finite for large n by multiplying over the shorter side: C(1100, 1) = C(1100, 1099) = 1100', () => {
    // The long side would pass through C(1100, 550) ~ 1e329, beyond the largest double.
    expect(binomial(1100, 1)).toBe(1100);
    expect(binomial(1100, 1099)).toBe(1100);
    expect(binomial(1100, 2)).toBe((1100 * 1099) / 2);
  });
});

describe('exact Shapley: limits and edge cases', () => {
  const matrix = (nRows: number, m: number): FeatureMatrix => ({ data: new Float64Array(Math.max(1, nRows) * m), nRows, nFeatures: m });

  it('rejects more than 20 features before calling the model', async () => {
    let calls = 0;
    const predict: BatchPredict = () => {
      calls++;
      throw new Error('the model should not be called');
    };
    await expect(exactShapley(predict, matrix(1, 21), matrix(1, 21))).rejects.toThrow(new RangeError('exact Shapley over 21 features needs 2^21 coalitions; use KernelSHAP or permutation SHAP'));
    expect(calls).toBe(0);
  });

  it('accepts 20 features (the limit): the model is called', async () => {
    // Stop at the first model call: reaching it is what is checked, the 2^20 coalitions need not be scored.
    const reached = new Error('model reached');
    const predict: BatchPredict = () => {
      throw reached;
    };
    await expect(exactShapley(predict, matrix(1, 20), matrix(1, 20), { maxBatchRows: 1 })).rejects.toBe(reached);
  });

  it('with no rows, still reports the base value: the background mean of f', async () => {
    // Background (1, 2) and (3, -1): f = 1*2 + 2 - 4 = 0 and 3*(-1) + 6 - 1 = 2, mean 1.
    const background = { data: Float64Array.of(1, 2, 3, -1), nRows: 2, nFeatures: 2 };
    const result = await exactShapley(interacting, { data: new Float64Array(0), nRows: 0, nFeatures: 2 }, background);
    expect(result.baseValue).toBe(1);
    expect(result.values.length).toBe(0);
    expect(result.outputs.length).toBe(0);
  });
});

describe('exact Shapley: several instances per model call', () => {
  it('groups whole instances per call (8 rows each, 2 per call under maxBatchRows 20) and gives hand-computed values for each row', async () => {
    const sizes: number[] = [];
    const predict: BatchPredict = (X, n) => {
      sizes.push(n);
      return interacting(X, n);
    };
    // Background z1 = (0, 1), z2 = (2, 0): f(z1) = -1, f(z2) = 4.
    const background = { data: Float64Array.of(0, 1, 2, 0), nRows: 2, nFeatures: 2 };
    const rows = [
      [1, 1],
      [2, -1],
      [0, 3],
      [-1, 2],
      [3, 0.5],
    ];
    const result = await exactShapley(predict, { data: Float64Array.from(rows.flat()), nRows: 5, nFeatures: 2 }, background, { maxBatchRows: 20 });
    // 2^2 coalitions x 2 background rows = 8 rows per instance; floor(20 / 8) = 2 instances per call:
    // calls of 16, 16 and 8 rows, then f on the 5 rows themselves.
    expect(sizes).toEqual([16, 16, 8, 5]);
    // v({}) = (f(z1) + f(z2)) / 2 = 1.5; v({0}) = mean f(x0, z_1), v({1}) = mean f(z_0, x1), v({0, 1}) = f(x);
    // with two players phi_0 = (v({0}) - v({}) + v({0, 1}) - v({1})) / 2 and phi_1 likewise.
    const f = (a: number, b: number) => a * b + 2 * a - b * b;
    rows.forEach(([x0, x1], r) => {
      const v0 = (f(x0!, 1) + f(x0!, 0)) / 2;
      const v1 = (f(0, x1!) + f(2, x1!)) / 2;
      const v01 = f(x0!, x1!);
      const vEmpty = 1.5;
      expect(result.values[2 * r]).toBeCloseTo((v0 - vEmpty + v01 - v1) / 2, 12);
      expect(result.values[2 * r + 1]).toBeCloseTo((v1 - vEmpty + v01 - v0) / 2, 12);
    });
    expect(result.baseValue).toBe(1.5);
  });
});
