import { describe, expect, it } from 'vitest';
import { whatIf } from '../../../src/analytics/explain/what-if.js';
import type { BatchPredict } from '../../../src/analytics/explain/model-contract.js';

// f(x) = 1 + 2 x0 - x1 + 0.5 x2, one output per row of a row-major batch.
const linear: BatchPredict = (X, n) => Float64Array.from({ length: n }, (_, i) => 1 + 2 * X[i * 3]! - X[i * 3 + 1]! + 0.5 * X[i * 3 + 2]!);

describe('what-if feature validation', () => {
  const row = Float64Array.from([0.2, 0.4, 0.6]);

  it('rejects a feature index past the last feature, naming the valid range 0..m-1', async () => {
    // m = 3: index 3 is one past the end, so the message says 0..2.
    await expect(whatIf(linear, row, [{ feature: 3, value: 1 }])).rejects.toThrow(new RangeError('feature 3 is outside 0..2'));
  });

  it('rejects a negative feature index', async () => {
    await expect(whatIf(linear, row, [{ feature: -1, value: 1 }])).rejects.toThrow(new RangeError('feature -1 is outside 0..2'));
  });

  it('rejects a non-integer feature index that lies inside 0..m-1', async () => {
    await expect(whatIf(linear, row, [{ feature: 1.5, value: 1 }])).rejects.toThrow(new RangeError('feature 1.5 is outside 0..2'));
  });

  it('rejects an invalid change even when a valid change precedes it', async () => {
    await expect(whatIf(linear, row, [{ feature: 0, value: 1 }, { feature: 7, value: 1 }])).rejects.toThrow(RangeError);
  });

  it('accepts the first and the last feature index (0 and m-1)', async () => {
    const result = await whatIf(linear, row, [
      { feature: 0, value: 0.5 },
      { feature: 2, value: 0 },
    ]);
    expect(Array.from(result.changedRow)).toEqual([0.5, 0.4, 0]);
    // f(row) = 1 + 0.4 - 0.4 + 0.3 = 1.3; f(changed) = 1 + 1 - 0.4 + 0 = 1.6; delta = 0.3.
    expect(result.prediction).toBeCloseTo(1.3, 12);
    expect(result.newPrediction).toBeCloseTo(1.6, 12);
    expect(result.delta).toBeCloseTo(0.3, 12);
  });
});

describe('what-if without an explainer', () => {
  it('leaves shap unset and does not modify the caller’s row', async () => {
    const row = Float64Array.from([0.2, 0.4, 0.6]);
    const result = await whatIf(linear, row, [{ feature: 1, value: 0.9 }]);
    expect(result.shap).toBeUndefined();
    expect('shap' in result).toBe(false);
    expect(Array.from(row)).toEqual([0.2, 0.4, 0.6]);
    expect(Array.from(result.row)).toEqual([0.2, 0.4, 0.6]);
    // f(changed) = 1 + 0.4 - 0.9 + 0.3 = 0.8; delta = 0.8 - 1.3 = -0.5.
    expect(result.newPrediction).toBeCloseTo(0.8, 12);
    expect(result.delta).toBeCloseTo(-0.5, 12);
  });
});
