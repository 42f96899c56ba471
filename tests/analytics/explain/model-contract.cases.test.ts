import { describe, expect, it } from 'vitest';
import { assertSameWidth, evaluate, normalisedWeights, type FeatureMatrix } from '../../../src/analytics/explain/model-contract.js';

describe('evaluate', () => {
  it('returns the model’s outputs when there is one per row', async () => {
    const out = await evaluate((X, n) => Float64Array.from({ length: n }, (_, i) => X[i]! * 10), Float64Array.from([1, 2, 3]), 3);
    expect(Array.from(out)).toEqual([10, 20, 30]);
  });

  it('rejects a model that returns the wrong number of outputs, saying how many', async () => {
    await expect(evaluate(() => new Float64Array(2), new Float64Array(3), 3)).rejects.toThrow(new RangeError('model returned 2 outputs for 3 rows'));
    await expect(evaluate(async () => new Float64Array(4), new Float64Array(3), 3)).rejects.toThrow(new RangeError('model returned 4 outputs for 3 rows'));
  });
});

describe('normalisedWeights', () => {
  const bg = (nRows: number, weights?: number[]) => ({ data: new Float64Array(nRows), nRows, nFeatures: 1, ...(weights ? { weights: Float64Array.from(weights) } : {}) });

  it('is uniform 1/n without weights', () => {
    expect(Array.from(normalisedWeights(bg(4)))).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it('divides each weight by the total', () => {
    // total = 1 + 3 + 4 = 8.
    expect(Array.from(normalisedWeights(bg(3, [1, 3, 4])))).toEqual([0.125, 0.375, 0.5]);
  });

  it('rejects an empty background', () => {
    expect(() => normalisedWeights(bg(0))).toThrow(new RangeError('the background has no rows'));
  });

  it('rejects weights whose sum is zero, negative or NaN', () => {
    const message = new RangeError('background weights must have a positive sum');
    expect(() => normalisedWeights(bg(2, [0, 0]))).toThrow(message);
    expect(() => normalisedWeights(bg(2, [1, -3]))).toThrow(message);
    expect(() => normalisedWeights(bg(2, [1, Number.NaN]))).toThrow(message);
  });
});

describe('assertSameWidth', () => {
  const matrix = (nRows: number, nFeatures: number, length = nRows * nFeatures): FeatureMatrix => ({ data: new Float64Array(length), nRows, nFeatures });

  it('accepts matrices of equal width holding at least nRows x nFeatures values', () => {
    expect(() => assertSameWidth(matrix(2, 3), matrix(5, 3))).not.toThrow();
    expect(() => assertSameWidth(matrix(2, 3, 7), matrix(1, 3, 3))).not.toThrow();
  });

  it('rejects different feature counts, naming both', () => {
    expect(() => assertSameWidth(matrix(2, 3), matrix(2, 4))).toThrow(new RangeError('feature counts differ: 3 vs 4'));
  });

  it('rejects a first matrix shorter than nRows x nFeatures (2 x 3 = 6 > 5)', () => {
    expect(() => assertSameWidth(matrix(2, 3, 5), matrix(2, 3))).toThrow(new RangeError('a matrix holds fewer values than nRows x nFeatures'));
  });

  it('rejects a second matrix shorter than nRows x nFeatures (4 x 3 = 12 > 11)', () => {
    expect(() => assertSameWidth(matrix(2, 3), matrix(4, 3, 11))).toThrow(new RangeError('a matrix holds fewer values than nRows x nFeatures'));
  });
});
