import { describe, expect, it } from 'vitest';
import { assessRegressionFairness } from '../../../src/analytics/fairness/regression-fairness.js';

describe('assessRegressionFairness', () => {
  // A: (truth, prediction) (1,2) (2,2) (3,1): errors +1, 0, −2 → mean prediction 5/3, mean error −1/3,
  //    MAE 3/3 = 1, RMSE √(5/3). B: (0,1) (0,1): errors +1, +1 → mean prediction 1, mean error 1, MAE 1, RMSE 1.
  const input = {
    yTrue: Float64Array.of(1, 2, 3, 0, 0),
    yPred: Float64Array.of(2, 2, 1, 1, 1),
    attributes: [{ name: 'g', codes: Int32Array.of(0, 0, 0, 1, 1), labels: ['A', 'B'] }],
  };

  it('reports hand-computed group metrics and their ranges', () => {
    const report = assessRegressionFairness(input, { minGroupSize: 1, bootstrap: false });
    const g = report.groupings[0]!;
    const a = g.groups[0]!.metrics;
    const b = g.groups[1]!.metrics;
    expect(a.meanPrediction.value).toBeCloseTo(5 / 3, 12);
    expect(a.meanError.value).toBeCloseTo(-1 / 3, 12);
    expect(a.meanAbsoluteError.value).toBeCloseTo(1, 12);
    expect(a.rootMeanSquaredError.value).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect([b.meanPrediction.value, b.meanError.value, b.meanAbsoluteError.value, b.rootMeanSquaredError.value]).toEqual([1, 1, 1, 1]);
    expect(g.differences.meanPrediction.value).toBeCloseTo(2 / 3, 12);
    expect(g.differences.meanError.value).toBeCloseTo(4 / 3, 12);
    expect(g.differences.meanAbsoluteError.value).toBeCloseTo(0, 12);
    expect(g.differences.rootMeanSquaredError.value).toBeCloseTo(Math.sqrt(5 / 3) - 1, 12);
  });

  it('excludes small groups from differences by default and bootstraps intervals containing the estimate', () => {
    const report = assessRegressionFairness(input, { bootstrap: { resamples: 200, seed: 1 } });
    const g = report.groupings[0]!;
    expect(g.smallGroups).toEqual(['A', 'B']);
    expect(g.differences.meanError.value).toBeNull();
    const withSmall = assessRegressionFairness(input, { includeSmallGroups: true, bootstrap: { resamples: 500, seed: 1 } }).groupings[0]!;
    const ci = withSmall.groups[0]!.metrics.meanError.ci!;
    expect(ci.lower!).toBeLessThanOrEqual(-1 / 3);
    expect(ci.upper!).toBeGreaterThanOrEqual(-1 / 3);
  });
});
