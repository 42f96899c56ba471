import { describe, expect, it } from 'vitest';
import { meanAbsoluteShap, rankFeatures } from '../../../src/analytics/explain/global-importance.js';
import type { ShapleyExplanation } from '../../../src/analytics/explain/shapley-explanation.js';

const explanation = (values: number[], nRows: number, nFeatures: number): ShapleyExplanation => ({
  baseValue: 0,
  values: Float64Array.from(values),
  outputs: new Float64Array(nRows),
  nRows,
  nFeatures,
  additivityGap: 0,
});

describe('meanAbsoluteShap', () => {
  it('averages |value| per feature over the rows', () => {
    // feature 0: (|1| + |-3|) / 2 = 2; feature 1: (|-0.5| + |0.5|) / 2 = 0.5.
    expect(Array.from(meanAbsoluteShap(explanation([1, -0.5, -3, 0.5], 2, 2)))).toEqual([2, 0.5]);
  });

  it('is all zeros (not NaN) when no rows were explained', () => {
    expect(Array.from(meanAbsoluteShap(explanation([], 0, 3)))).toEqual([0, 0, 0]);
  });
});

describe('rankFeatures', () => {
  it('orders by decreasing importance, ties by increasing feature index', () => {
    const ranked = rankFeatures(Float64Array.from([0.2, 0.5, 0.2, 0.5, 0.1]));
    expect(ranked.map((r) => r.feature)).toEqual([1, 3, 0, 2, 4]);
    expect(ranked.map((r) => r.importance)).toEqual([0.5, 0.5, 0.2, 0.2, 0.1]);
  });

  it('keeps index order when every importance ties', () => {
    expect(rankFeatures(new Float64Array(6)).map((r) => r.feature)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('names features x<index> without names', () => {
    expect(rankFeatures(Float64Array.from([0.1, 0.3])).map((r) => r.name)).toEqual(['x1', 'x0']);
  });

  it('uses the given names, falling back to x<index> past the end of the list', () => {
    expect(rankFeatures(Float64Array.from([0.3, 0.2, 0.1]), ['age', 'income'])).toEqual([
      { feature: 0, name: 'age', importance: 0.3 },
      { feature: 1, name: 'income', importance: 0.2 },
      { feature: 2, name: 'x2', importance: 0.1 },
    ]);
  });
});
