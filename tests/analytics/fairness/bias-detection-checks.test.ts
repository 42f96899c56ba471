import { describe, expect, it } from 'vitest';
import { DEFAULT_BIAS_POLICY, DEFAULT_SEVERITY, defaultBound, detectBias, severityOf, summariseChecks } from '../../../src/analytics/fairness/bias-detection.js';
import type { ConfidenceInterval } from '../../../src/analytics/fairness/bootstrap-intervals.js';
import { DISPARITY_METRICS, type DisparityMetricName } from '../../../src/analytics/fairness/disparity-metrics.js';
import type { DisparityReport, FairnessReport, GroupingReport } from '../../../src/analytics/fairness/fairness-assessment.js';

const ci = (lower: number | null, upper: number | null, level = 0.95): ConfidenceInterval => ({ lower, upper, level, resamples: 100, undefinedResamples: 0 });

/** A grouping with hand-set disparities (every other metric undefined); only what detectBias reads matters. */
function grouping(name: string, disparities: Partial<Record<DisparityMetricName, DisparityReport>>, smallGroups: string[] = [], includesSmallGroups = false): GroupingReport {
  const all = {} as Record<DisparityMetricName, DisparityReport>;
  for (const metric of DISPARITY_METRICS) all[metric] = disparities[metric] ?? { value: null, reason: 'fewer than two compared groups have a defined value (1)', groupsCompared: ['x'] };
  return {
    name,
    attributes: name.split(' × '),
    referenceGroup: null,
    referenceRule: 'highest-selection-rate',
    includesSmallGroups,
    smallGroups,
    groups: [],
    disparities: all,
    fourFifthsRule: { threshold: 0.8, ratio: null, passed: null },
  };
}
const report = (...groupings: GroupingReport[]): FairnessReport => ({
  rows: 100,
  totalWeight: 100,
  weighted: false,
  hasScores: false,
  calibrationBins: 10,
  minGroupSize: 30,
  groupings,
  bootstrap: null,
});

describe('severityOf edges', () => {
  it('grades the cut-offs themselves as the milder grade', () => {
    expect(severityOf(0.2, 0.1, 'upper')).toBe('medium'); // exactly 2×
    expect(severityOf(0.2000001, 0.1, 'upper')).toBe('high');
    expect(severityOf(0.150001, 0.1, 'upper')).toBe('medium');
    expect(severityOf(0.6, 0.8, 'lower')).toBe('medium'); // exactly 0.75×
    expect(severityOf(0.5999999, 0.8, 'lower')).toBe('high');
    expect(severityOf(0.6999999, 0.8, 'lower')).toBe('medium');
    expect(severityOf(0.79, 0.8, 'lower')).toBe('low');
  });

  it('counts a value on a cut-off plus its 1e-12 slack as the milder grade', () => {
    expect(severityOf(1.5 * 0.1 + 1e-12, 0.1, 'upper')).toBe('low');
    expect(severityOf(2 * 0.1 + 1e-12, 0.1, 'upper')).toBe('medium');
    expect(severityOf(0.875 * 0.8 - 1e-12, 0.8, 'lower')).toBe('low');
    expect(severityOf(0.75 * 0.8 - 1e-12, 0.8, 'lower')).toBe('medium');
  });

  it('calls anything beyond a threshold of 0 or less high', () => {
    expect(severityOf(1e-13, 0, 'upper')).toBe('high');
    expect(severityOf(0, 0, 'upper')).toBe('none');
    expect(severityOf(-1e-13, 0, 'lower')).toBe('high');
    expect(severityOf(0, 0, 'lower')).toBe('none');
    expect(severityOf(-0.5, -1, 'upper')).toBe('high');
  });

  it('uses the cut-offs it is given', () => {
    const cutoffs = { upper: { medium: 1.2, high: 1.4 }, lower: { medium: 0.95, high: 0.9 } };
    expect(severityOf(0.13, 0.1, 'upper', cutoffs)).toBe('medium');
    expect(severityOf(0.15, 0.1, 'upper', cutoffs)).toBe('high');
    expect(severityOf(0.11, 0.1, 'upper', cutoffs)).toBe('low');
    expect(severityOf(0.74, 0.8, 'lower', cutoffs)).toBe('medium');
    expect(severityOf(0.71, 0.8, 'lower', cutoffs)).toBe('high');
    expect(severityOf(0.77, 0.8, 'lower', cutoffs)).toBe('low');
  });

  it('has the documented defaults', () => {
    expect(DEFAULT_SEVERITY).toEqual({ upper: { medium: 1.5, high: 2 }, lower: { medium: 0.875, high: 0.75 } });
    expect(DEFAULT_BIAS_POLICY.rules).toEqual([
      { metric: 'demographicParityRatio', threshold: 0.8, bound: 'lower' },
      { metric: 'equalizedOddsDifference', threshold: 0.1, bound: 'upper' },
    ]);
    expect(defaultBound('disparateImpactRatio')).toBe('lower');
    expect(defaultBound('demographicParityRatio')).toBe('lower');
    expect(defaultBound('demographicParityDifference')).toBe('upper');
    expect(defaultBound('calibrationDifference')).toBe('upper');
  });
});

describe('detectBias checks', () => {
  it('fails a lower-bounded ratio below its threshold, with the advice for that metric', () => {
    const r = report(grouping('sex', { disparateImpactRatio: { value: 0.7, groupsCompared: ['F'], ci: ci(0.6, 0.75) } }));
    const check = detectBias(r, { rules: [{ metric: 'disparateImpactRatio', threshold: 0.8 }] }).checks[0]!;
    expect(check).toMatchObject({ metric: 'disparateImpactRatio', grouping: 'sex', attributes: ['sex'], value: 0.7, threshold: 0.8, bound: 'lower', passed: false, severity: 'low', conclusive: true, groupsCompared: ['F'], smallGroupsExcluded: [] });
    expect(check.ci).toEqual(ci(0.6, 0.75));
    expect(check.recommendations).toEqual([
      'sex: A group is selected at less than the policy share of the reference group. Review the selection criteria for adverse impact and document any business necessity; consider reweighing or per-group thresholds.',
    ]);
    expect('reason' in check).toBe(false);
  });

  it('passes a ratio at its threshold and an upper-bounded difference at its threshold', () => {
    const r = report(grouping('sex', { demographicParityRatio: { value: 0.8, groupsCompared: ['F', 'M'] }, accuracyDifference: { value: 0.05, groupsCompared: ['F', 'M'] } }));
    const result = detectBias(r, { rules: [{ metric: 'demographicParityRatio', threshold: 0.8 }, { metric: 'accuracyDifference', threshold: 0.05 }] });
    expect(result.checks.map((c) => [c.passed, c.severity, c.bound, c.recommendations, c.ci, c.conclusive])).toEqual([
      [true, 'none', 'lower', [], null, null],
      [true, 'none', 'upper', [], null, null],
    ]);
    expect(result).toMatchObject({ passed: true, failed: 0, undetermined: 0, highestSeverity: 'none' });
  });

  it('honours an explicit bound over the metric’s default', () => {
    const r = report(grouping('sex', { demographicParityDifference: { value: 0.05, groupsCompared: ['F', 'M'] } }));
    const check = detectBias(r, { rules: [{ metric: 'demographicParityDifference', threshold: 0.1, bound: 'lower' }] }).checks[0]!;
    expect(check).toMatchObject({ bound: 'lower', passed: false, severity: 'high' });
  });

  it('judges an interval against a lower bound: conclusive only when both ends are on one side', () => {
    const check = (interval: ConfidenceInterval) =>
      detectBias(report(grouping('g', { demographicParityRatio: { value: 0.85, groupsCompared: ['a', 'b'], ci: interval } })), { rules: [{ metric: 'demographicParityRatio', threshold: 0.8 }] }).checks[0]!;
    expect(check(ci(0.81, 0.9)).conclusive).toBe(true);
    expect(check(ci(0.8, 0.9)).conclusive).toBe(true);
    expect(check(ci(0.7, 0.79)).conclusive).toBe(true);
    expect(check(ci(0.7, 0.8)).conclusive).toBe(false); // the upper end on the threshold passes, the lower does not
    const crossing = check(ci(0.75, 0.95, 0.9));
    expect(crossing.conclusive).toBe(false);
    expect(crossing.passed).toBe(true);
    expect(crossing.recommendations).toEqual([
      'The 90% interval [0.750, 0.950] crosses the threshold 0.8: the result is not conclusive at this sample size; monitor it and collect more data before acting on it alone.',
    ]);
    expect(check(ci(null, 0.9)).conclusive).toBeNull();
    expect(check(ci(0.7, null)).conclusive).toBeNull();
  });

  it('judges an interval against an upper bound', () => {
    const check = (interval: ConfidenceInterval) =>
      detectBias(report(grouping('g', { equalizedOddsDifference: { value: 0.12, groupsCompared: ['a', 'b'], ci: interval } })), { rules: [{ metric: 'equalizedOddsDifference', threshold: 0.1 }] }).checks[0]!;
    expect(check(ci(0.11, 0.2)).conclusive).toBe(true);
    expect(check(ci(0.05, 0.1)).conclusive).toBe(true);
    expect(check(ci(0.1, 0.2)).conclusive).toBe(false); // the lower end on the threshold passes, the upper does not
    const crossing = check(ci(0.05, 0.2));
    expect(crossing.conclusive).toBe(false);
    expect(crossing.recommendations).toHaveLength(2);
    expect(crossing.recommendations[0]).toBe(
      'g: Error rates (true or false positive rates) differ across groups. Inspect label quality and proxy features per group; the equalized-odds threshold optimiser can equalise both rates at some accuracy cost.',
    );
    expect(crossing.recommendations[1]).toContain('The 95% interval [0.050, 0.200] crosses the threshold 0.1');
  });

  it('reports an undefined metric with its reason, and the small groups left out', () => {
    const r = report(grouping('site', {}, ['pilot', 'lab'], false));
    const check = detectBias(r, { rules: [{ metric: 'predictiveParityDifference', threshold: 0.1 }] }).checks[0]!;
    expect(check).toMatchObject({ value: null, passed: null, severity: null, conclusive: null, reason: 'fewer than two compared groups have a defined value (1)', smallGroupsExcluded: ['pilot', 'lab'] });
    expect(check.recommendations).toEqual([
      'predictiveParityDifference could not be computed for site (fewer than two compared groups have a defined value (1)); review the groups individually.',
      'Groups below the minimum size of 30 rows were not compared: pilot; lab. Their rates are reported with wide intervals; collect more data or review their cases by hand.',
    ]);
  });

  it('lists no excluded groups when small groups were compared', () => {
    const r = report(grouping('site', { accuracyDifference: { value: 0, groupsCompared: ['a', 'pilot'] } }, ['pilot'], true));
    expect(detectBias(r, { rules: [{ metric: 'accuracyDifference', threshold: 0.1 }] }).checks[0]!).toMatchObject({ smallGroupsExcluded: [], recommendations: [] });
  });

  it('checks only the groupings the policy names, and the default rules otherwise', () => {
    const r = report(
      grouping('sex', { demographicParityRatio: { value: 0.9, groupsCompared: ['F', 'M'] }, equalizedOddsDifference: { value: 0.3, groupsCompared: ['F', 'M'] } }),
      grouping('age', { demographicParityRatio: { value: 0.5, groupsCompared: ['y', 'o'] }, equalizedOddsDifference: { value: 0.15, groupsCompared: ['y', 'o'] } }),
    );
    const all = detectBias(r);
    expect(all.checks.map((c) => [c.grouping, c.metric, c.passed, c.severity])).toEqual([
      ['sex', 'demographicParityRatio', true, 'none'],
      ['sex', 'equalizedOddsDifference', false, 'high'],
      ['age', 'demographicParityRatio', false, 'high'],
      ['age', 'equalizedOddsDifference', false, 'low'],
    ]);
    expect(all).toMatchObject({ passed: false, failed: 3, undetermined: 0, highestSeverity: 'high' });
    const age = detectBias(r, { rules: DEFAULT_BIAS_POLICY.rules, groupings: ['age'] });
    expect(age.checks.map((c) => c.grouping)).toEqual(['age', 'age']);
    const custom = detectBias(r, { rules: [{ metric: 'equalizedOddsDifference', threshold: 0.1 }], severity: { upper: { medium: 1.1, high: 1.6 }, lower: DEFAULT_SEVERITY.lower } });
    expect(custom.checks.map((c) => c.severity)).toEqual(['high', 'medium']);
  });
});

describe('summariseChecks', () => {
  it('counts failures and undetermined checks and keeps the worst severity', () => {
    expect(summariseChecks([])).toEqual({ passed: true, failed: 0, undetermined: 0, highestSeverity: 'none', checks: [] });
    const checks = [
      { passed: true, severity: 'none' as const },
      { passed: false, severity: 'medium' as const },
      { passed: null, severity: null },
      { passed: false, severity: 'low' as const },
    ];
    expect(summariseChecks(checks)).toEqual({ passed: false, failed: 2, undetermined: 1, highestSeverity: 'medium', checks });
    expect(summariseChecks([{ passed: null, severity: null }])).toMatchObject({ passed: true, failed: 0, undetermined: 1, highestSeverity: 'none' });
    expect(summariseChecks([{ passed: false, severity: 'high' as const }, { passed: false, severity: 'low' as const }]).highestSeverity).toBe('high');
  });
});
