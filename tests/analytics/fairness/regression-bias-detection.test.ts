import { describe, expect, it } from 'vitest';
import type { ConfidenceInterval } from '../../../src/analytics/fairness/bootstrap-intervals.js';
import type { DisparityReport } from '../../../src/analytics/fairness/fairness-assessment.js';
import { detectRegressionBias } from '../../../src/analytics/fairness/regression-bias-detection.js';
import { assessRegressionFairness, type RegressionFairnessReport, type RegressionGroupingReport, type RegressionMetricName } from '../../../src/analytics/fairness/regression-fairness.js';

const ci = (lower: number, upper: number): ConfidenceInterval => ({ lower, upper, level: 0.95, resamples: 100, undefinedResamples: 0 });

/** A grouping whose range per metric is given by hand (the groups themselves do not matter to the checks). */
function grouping(name: string, differences: Partial<Record<RegressionMetricName, DisparityReport>>, smallGroups: string[] = [], includesSmallGroups = false): RegressionGroupingReport {
  const undefinedRange: DisparityReport = { value: null, reason: 'fewer than two compared groups have a defined value (1)', groupsCompared: ['A'] };
  return {
    name,
    attributes: name.split(' × '),
    includesSmallGroups,
    smallGroups,
    groups: [],
    differences: {
      meanPrediction: differences.meanPrediction ?? undefinedRange,
      meanError: differences.meanError ?? undefinedRange,
      meanAbsoluteError: differences.meanAbsoluteError ?? undefinedRange,
      rootMeanSquaredError: differences.rootMeanSquaredError ?? undefinedRange,
    },
  };
}

const report = (...groupings: RegressionGroupingReport[]): RegressionFairnessReport => ({ rows: 100, groupings, bootstrap: null });

describe('detectRegressionBias', () => {
  it('checks the range against the limit with the classification severity grades (1.5×, 2×)', () => {
    const r = report(grouping('sex', { meanError: { value: 4 / 3, groupsCompared: ['A', 'B'] } }));
    // 4/3 against 1: beyond the limit, within 1.5× → low; against 0.7: 1.05 < 4/3 ≤ 1.4 → medium; against 0.5: beyond 2× → high.
    const grade = (threshold: number) => detectRegressionBias(r, { rules: [{ metric: 'meanError', threshold }] }).checks[0]!;
    expect(grade(1)).toMatchObject({ passed: false, severity: 'low', bound: 'upper', threshold: 1, value: 4 / 3 });
    expect(grade(0.7).severity).toBe('medium');
    expect(grade(0.5).severity).toBe('high');
    expect(grade(4 / 3)).toMatchObject({ passed: true, severity: 'none', recommendations: [] });
    expect(grade(1).recommendations).toEqual([
      'sex: the meanError differs by 1.333 across groups (limit 1). Check whether the under-served groups are under-represented in training data, inspect proxy features, and consider group-aware sample weights.',
    ]);
  });

  it('uses the policy severity cut-offs when given', () => {
    const r = report(grouping('sex', { meanError: { value: 1.2, groupsCompared: ['A', 'B'] } }));
    const severity = { upper: { medium: 1.1, high: 1.3 }, lower: { medium: 0.9, high: 0.8 } };
    expect(detectRegressionBias(r, { rules: [{ metric: 'meanError', threshold: 1 }], severity }).checks[0]!.severity).toBe('medium');
    expect(detectRegressionBias(r, { rules: [{ metric: 'meanError', threshold: 1 }] }).checks[0]!.severity).toBe('low');
  });

  it('calls an interval conclusive only when both ends lie on the same side of the limit', () => {
    const check = (interval: ConfidenceInterval) =>
      detectRegressionBias(report(grouping('g', { meanAbsoluteError: { value: 0.5, groupsCompared: ['A', 'B'], ci: interval } })), {
        rules: [{ metric: 'meanAbsoluteError', threshold: 0.6 }],
      }).checks[0]!;
    const crossing = check(ci(0.4, 0.7));
    expect(crossing.conclusive).toBe(false);
    expect(crossing.recommendations).toEqual(['The interval [0.400, 0.700] crosses the threshold 0.6: not conclusive at this sample size.']);
    expect(check(ci(0.3, 0.6))).toMatchObject({ conclusive: true, recommendations: [] });
    expect(check(ci(0.61, 0.9)).conclusive).toBe(true);
    expect(check(ci(0.6, 0.61)).conclusive).toBe(false);
    // No interval, or one with undefined ends: nothing to say.
    expect(check({ ...ci(0, 0), lower: null }).conclusive).toBeNull();
    expect(check({ ...ci(0, 0), upper: null }).conclusive).toBeNull();
    const noInterval = detectRegressionBias(report(grouping('g', { meanAbsoluteError: { value: 0.5, groupsCompared: ['A', 'B'] } })), { rules: [{ metric: 'meanAbsoluteError', threshold: 0.6 }] }).checks[0]!;
    expect(noInterval).toMatchObject({ conclusive: null, ci: null });
  });

  it('reports an undefined range as undetermined, with its reason', () => {
    const result = detectRegressionBias(report(grouping('g', {})), { rules: [{ metric: 'rootMeanSquaredError', threshold: 1 }] });
    expect(result.checks[0]).toMatchObject({
      value: null,
      passed: null,
      severity: null,
      conclusive: null,
      reason: 'fewer than two compared groups have a defined value (1)',
      groupsCompared: ['A'],
      recommendations: ['rootMeanSquaredError could not be computed for g (fewer than two compared groups have a defined value (1)); review the groups individually.'],
    });
    expect(result).toMatchObject({ passed: true, failed: 0, undetermined: 1, highestSeverity: 'none' });
    // An interval without a value (all resamples defined, the point estimate not) says nothing either.
    const withInterval = detectRegressionBias(report(grouping('g', { meanError: { value: null, reason: 'r', groupsCompared: [], ci: ci(0.1, 0.9) } })), { rules: [{ metric: 'meanError', threshold: 0.5 }] });
    expect(withInterval.checks[0]).toMatchObject({ value: null, conclusive: null, recommendations: ['meanError could not be computed for g (r); review the groups individually.'] });
    // A defined value carries no reason key at all.
    const defined = detectRegressionBias(report(grouping('g', { meanPrediction: { value: 0, groupsCompared: ['A', 'B'] } })), { rules: [{ metric: 'meanPrediction', threshold: 1 }] });
    expect('reason' in defined.checks[0]!).toBe(false);
  });

  it('checks every rule on every grouping unless the policy names groupings, and lists the small groups left out', () => {
    const r = report(
      grouping('sex', { meanError: { value: 0.3, groupsCompared: ['F', 'M'] } }, ['X'], false),
      grouping('age', { meanError: { value: 2.5, groupsCompared: ['young', 'old'] } }, ['teen'], true),
    );
    const all = detectRegressionBias(r, { rules: [{ metric: 'meanError', threshold: 1 }] });
    expect(all.checks.map((c) => [c.grouping, c.passed, c.severity])).toEqual([
      ['sex', true, 'none'],
      ['age', false, 'high'],
    ]);
    expect(all.checks[0]!.smallGroupsExcluded).toEqual(['X']);
    expect(all.checks[1]!.smallGroupsExcluded).toEqual([]); // the age grouping compared its small groups
    expect(all.checks[1]!.attributes).toEqual(['age']);
    expect(all).toMatchObject({ passed: false, failed: 1, undetermined: 0, highestSeverity: 'high' });
    const onlySex = detectRegressionBias(r, { rules: [{ metric: 'meanError', threshold: 1 }], groupings: ['sex'] });
    expect(onlySex.checks.map((c) => c.grouping)).toEqual(['sex']);
    expect(onlySex.passed).toBe(true);
  });

  it('checks the ranges of a real report (hand-computed: mean error −1/3 vs 1)', () => {
    const assessed = assessRegressionFairness(
      { yTrue: Float64Array.of(1, 2, 3, 0, 0), yPred: Float64Array.of(2, 2, 1, 1, 1), attributes: [{ name: 'g', codes: Int32Array.of(0, 0, 0, 1, 1), labels: ['A', 'B'] }] },
      { minGroupSize: 1, bootstrap: false },
    );
    const result = detectRegressionBias(assessed, { rules: [{ metric: 'meanError', threshold: 1 }, { metric: 'meanAbsoluteError', threshold: 0.1 }] });
    expect(result.checks.map((c) => [c.metric, c.passed, c.severity])).toEqual([
      ['meanError', false, 'low'], // 4/3 ≤ 1.5
      ['meanAbsoluteError', true, 'none'], // both groups have MAE 1
    ]);
    expect(result.checks[0]!.groupsCompared).toEqual(['A', 'B']);
  });
});
