import { describe, expect, it } from 'vitest';
import { FairnessInputError } from '../../../src/analytics/fairness/fairness-input.js';
import { assessRegressionFairness } from '../../../src/analytics/fairness/regression-fairness.js';
import { createRandom } from '../../../src/analytics/fairness/seeded-random.js';

describe('assessRegressionFairness with weights, hand-computed', () => {
  // A: (truth 1, prediction 2, weight 1), (2, 2, 3): weight 4, Σwŷ = 8, Σwe = 1, Σw|e| = 1, Σwe² = 1.
  // B: (0, 1, 2): every error +1. C: one row of weight 0.
  const input = {
    yTrue: Float64Array.of(1, 2, 0, 5),
    yPred: Float64Array.of(2, 2, 1, 5),
    sampleWeight: Float64Array.of(1, 3, 2, 0),
    attributes: [{ name: 'g', codes: Int32Array.of(0, 0, 1, 2), labels: ['A', 'B', 'C'] }],
  };
  // Computed inside each test (not once here) so that mutation testing sees which tests run the code.
  const report = () => assessRegressionFairness(input, { minGroupSize: 1, bootstrap: false });
  const grouping = () => report().groupings[0]!;

  it('gives weighted means per group', () => {
    expect(report().rows).toBe(4);
    expect(report().bootstrap).toBeNull();
    const [a, b, c] = grouping().groups;
    expect(a).toMatchObject({ group: 'A', levels: { g: 'A' }, rows: 2, weight: 4, smallGroup: false, includedInComparisons: true });
    expect(a!.metrics).toEqual({ meanPrediction: { value: 2 }, meanError: { value: 0.25 }, meanAbsoluteError: { value: 0.25 }, rootMeanSquaredError: { value: 0.5 } });
    expect(b!.metrics).toEqual({ meanPrediction: { value: 1 }, meanError: { value: 1 }, meanAbsoluteError: { value: 1 }, rootMeanSquaredError: { value: 1 } });
    expect(c).toMatchObject({ rows: 1, weight: 0 });
    for (const estimate of Object.values(c!.metrics)) expect(estimate).toEqual({ value: null, reason: 'the group has zero total weight' });
  });

  it('takes ranges over the groups with a defined value', () => {
    expect(grouping().differences).toEqual({
      meanPrediction: { value: 1, groupsCompared: ['A', 'B'] },
      meanError: { value: 0.75, groupsCompared: ['A', 'B'] },
      meanAbsoluteError: { value: 0.75, groupsCompared: ['A', 'B'] },
      rootMeanSquaredError: { value: 0.5, groupsCompared: ['A', 'B'] },
    });
    expect(grouping()).toMatchObject({ name: 'g', attributes: ['g'], includesSmallGroups: false, smallGroups: [] });
  });

  it('counts a group of exactly the minimum size as compared', () => {
    const r = assessRegressionFairness(input, { minGroupSize: 2, bootstrap: false }).groupings[0]!;
    expect(r.groups.map((x) => [x.group, x.smallGroup, x.includedInComparisons])).toEqual([
      ['A', false, true],
      ['B', true, false],
      ['C', true, false],
    ]);
    expect(r.smallGroups).toEqual(['B', 'C']);
    expect(r.differences.meanError).toEqual({ value: null, reason: 'fewer than two compared groups have a defined value (1)', groupsCompared: ['A'] });
    const included = assessRegressionFairness(input, { minGroupSize: 2, includeSmallGroups: true, bootstrap: false }).groupings[0]!;
    expect(included.includesSmallGroups).toBe(true);
    expect(included.differences.meanError.value).toBe(0.75);
  });
});

describe('assessRegressionFairness bootstrap', () => {
  // A: 30 rows, truth 2, prediction 2; B: 30 rows, truth 0, prediction 1. Every resample draws both
  // groups (one is missed with probability 2·2^-60) and every statistic is the same in all of them.
  const rows = 60;
  const input = {
    yTrue: Float64Array.from({ length: rows }, (_, i) => (i % 2 === 0 ? 2 : 0)),
    yPred: Float64Array.from({ length: rows }, (_, i) => (i % 2 === 0 ? 2 : 1)),
    attributes: [{ name: 'g', codes: Int32Array.from({ length: rows }, (_, i) => i % 2), labels: ['A', 'B'] }],
  };
  const point = (v: number) => ({ lower: v, upper: v, level: 0.8, resamples: 25, undefinedResamples: 0 });

  it('puts each resampled statistic in its own column', () => {
    const report = assessRegressionFairness(input, { bootstrap: { resamples: 25, level: 0.8, seed: 9 } });
    expect(report.bootstrap).toEqual({ method: 'percentile', resampling: 'rows', resamples: 25, level: 0.8 });
    const [a, b] = report.groupings[0]!.groups;
    expect([a!.metrics.meanPrediction.ci, a!.metrics.meanError.ci, a!.metrics.meanAbsoluteError.ci, a!.metrics.rootMeanSquaredError.ci]).toEqual([point(2), point(0), point(0), point(0)]);
    expect([b!.metrics.meanPrediction.ci, b!.metrics.meanError.ci, b!.metrics.meanAbsoluteError.ci, b!.metrics.rootMeanSquaredError.ci]).toEqual([point(1), point(1), point(1), point(1)]);
    const d = report.groupings[0]!.differences;
    expect([d.meanPrediction.ci, d.meanError.ci, d.meanAbsoluteError.ci, d.rootMeanSquaredError.ci]).toEqual([point(1), point(1), point(1), point(1)]);
  });

  it('defaults to 1000 resamples at 95 % from a fixed seed, or the generator given', () => {
    const report = assessRegressionFairness(input);
    expect(report.bootstrap).toEqual({ method: 'percentile', resampling: 'rows', resamples: 1000, level: 0.95 });
    expect(assessRegressionFairness(input, { bootstrap: { seed: 20240601 } })).toEqual(report);
    expect(assessRegressionFairness(input, { bootstrap: { random: createRandom(20240601) } })).toEqual(report);
  });

  it('resamples rows uniformly: the interval of a mean covers the sampling spread', () => {
    // Truth 0, predictions 0 or 1 (half each) in one group of 400: the mean prediction's bootstrap
    // sd is √(.25/400) = .025, so a 95 % interval is about ±.049 around .5.
    const n = 400;
    const r = createRandom(1);
    const yPred = Float64Array.from({ length: n }, (_, i) => i % 2);
    const report = assessRegressionFairness({ yTrue: new Float64Array(n), yPred, attributes: [{ name: 'g', codes: new Int32Array(n), labels: ['all'] }] }, { bootstrap: { resamples: 400, random: r } });
    const ci = report.groupings[0]!.groups[0]!.metrics.meanPrediction.ci!;
    expect(ci.lower!).toBeGreaterThan(0.5 - 0.07);
    expect(ci.lower!).toBeLessThan(0.5 - 0.03);
    expect(ci.upper!).toBeGreaterThan(0.5 + 0.03);
    expect(ci.upper!).toBeLessThan(0.5 + 0.07);
  });

  it('refuses a bad resample count', () => {
    for (const resamples of [0, 1.5]) {
      expect(() => assessRegressionFairness(input, { bootstrap: { resamples } })).toThrow(FairnessInputError);
      try {
        assessRegressionFairness(input, { bootstrap: { resamples } });
      } catch (error) {
        expect((error as FairnessInputError).reasons).toEqual(['bootstrap resamples must be a positive integer']);
      }
    }
    expect(assessRegressionFairness(input, { bootstrap: { resamples: 1 } }).bootstrap!.resamples).toBe(1);
  });
});
