import { severityOf, summariseChecks, DEFAULT_SEVERITY, type BiasCheck, type BiasDetectionResult, type SeverityCutoffs } from './bias-detection.js';
import type { RegressionFairnessReport, RegressionMetricName } from './regression-fairness.js';

/** A limit on the across-group range of a regression metric (in the target's units). */
export type RegressionPolicyRule = { metric: RegressionMetricName; threshold: number };
export type RegressionBiasPolicy = { rules: readonly RegressionPolicyRule[]; severity?: SeverityCutoffs; groupings?: readonly string[] };

/**
 * Regression counterpart of `detectBias`: each rule bounds the range (max − min over compared
 * groups) of a group metric, as in bounded group loss (Agarwal, Dudík & Wu 2019). There is no
 * default threshold: the differences are in the target's units, so the policy must name them.
 * The checks have the classification checks' shape, with the regression metric's name.
 */
export function detectRegressionBias(report: RegressionFairnessReport, policy: RegressionBiasPolicy): Omit<BiasDetectionResult, 'checks'> & { checks: (Omit<BiasCheck, 'metric'> & { metric: RegressionMetricName })[] } {
  const cutoffs = policy.severity ?? DEFAULT_SEVERITY;
  const checks: (Omit<BiasCheck, 'metric'> & { metric: RegressionMetricName })[] = [];
  for (const grouping of report.groupings) {
    if (policy.groupings && !policy.groupings.includes(grouping.name)) continue;
    const smallGroupsExcluded = grouping.includesSmallGroups ? [] : grouping.smallGroups;
    for (const rule of policy.rules) {
      const estimate = grouping.differences[rule.metric];
      const value = estimate.value;
      const ci = estimate.ci ?? null;
      const passed = value === null ? null : value <= rule.threshold;
      let conclusive: boolean | null = null;
      if (value !== null && ci && ci.lower !== null && ci.upper !== null) conclusive = ci.lower <= rule.threshold === ci.upper <= rule.threshold;
      const recommendations: string[] = [];
      if (passed === false) {
        recommendations.push(
          `${grouping.name}: the ${rule.metric} differs by ${value!.toPrecision(4)} across groups (limit ${rule.threshold}). Check whether the under-served groups are under-represented in training data, inspect proxy features, and consider group-aware sample weights.`,
        );
      }
      if (value === null) recommendations.push(`${rule.metric} could not be computed for ${grouping.name} (${estimate.reason}); review the groups individually.`);
      if (conclusive === false) recommendations.push(`The interval [${ci?.lower?.toFixed(3)}, ${ci?.upper?.toFixed(3)}] crosses the threshold ${rule.threshold}: not conclusive at this sample size.`);
      const check: Omit<BiasCheck, 'metric'> & { metric: RegressionMetricName } = {
        metric: rule.metric,
        grouping: grouping.name,
        attributes: grouping.attributes,
        value,
        ci,
        threshold: rule.threshold,
        bound: 'upper',
        passed,
        severity: value === null ? null : severityOf(value, rule.threshold, 'upper', cutoffs),
        conclusive,
        groupsCompared: estimate.groupsCompared,
        smallGroupsExcluded,
        recommendations,
      };
      if (estimate.reason !== undefined) check.reason = estimate.reason;
      checks.push(check);
    }
  }
  return summariseChecks(checks);
}
