import { describe, expect, it } from 'vitest';
import { linearScoringModel, parseLinearModel } from '../../src/analytics/scoring/linear-model.js';
import type { ShapleyResult } from '../../src/events/catalogue/explanation-results.js';
import { computeExplanation } from '../../src/processors/explanation-engine.js';

const model = linearScoringModel(parseLinearModel({ format: 'raia-linear/v1', task: 'regression', link: 'identity', featureNames: ['a', 'b'], coefficients: [3, -2], intercept: 1 }));
const matrix = (rows: number[][]) => ({ data: Float64Array.from(rows.flat()), nRows: rows.length, nFeatures: 2 });

describe('explanation engine', () => {
  it('explains model-agnostic methods in chunks, reporting progress, with the same values as the closed form', async () => {
    const rows = Array.from({ length: 20 }, (_, i) => [i, 20 - i]);
    const background = matrix([[0, 0], [2, 4], [4, 2]]); // means 2 and 2
    const progress: [number, number][] = [];
    const result = await computeExplanation(model, { method: 'kernel', rows: matrix(rows), background, params: { seed: 1, backgroundSize: 100 }, onProgress: (done, total) => progress.push([done, total]) });
    expect(progress).toEqual([[8, 20], [16, 20], [20, 20]]);
    expect(result.method).toBe('kernel');
    const { values } = result.result as ShapleyResult;
    rows.forEach(([a, b], i) => {
      expect(values[i]![0]).toBeCloseTo(3 * (a! - 2), 9);
      expect(values[i]![1]).toBeCloseTo(-2 * (b! - 2), 9);
    });
    expect(result.failedChecks).toEqual([]);
  });

  it('refuses tree methods for models that are not tree ensembles, naming the field', async () => {
    await expect(computeExplanation(model, { method: 'tree-path-dependent', rows: matrix([[1, 1]]), background: null, params: { seed: 0, backgroundSize: 100 } })).rejects.toMatchObject({ field: 'method' });
  });
});
