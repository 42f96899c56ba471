import type { ConfidenceInterval } from './bootstrap-intervals.js';
import type { DisparityMetricName } from './disparity-metrics.js';
import type { FairnessReport } from './fairness-assessment.js';

/** `upper`: the metric must not exceed the threshold (differences); `lower`: must not fall below it (ratios). */
export type Bound = 'upper' | 'lower';

export type PolicyRule = { metric: DisparityMetricName; threshold: number; bound?: Bound };

/**
 * Severity by how far the value lies beyond the threshold, as a multiple of it:
 * upper bounds: low up to `medium`×threshold, medium up to `high`×threshold, high beyond;
 * lower bounds: low down to `medium`×threshold, medium down to `high`×threshold, high below.
 */
export type SeverityCutoffs = { upper: { medium: number; high: number }; lower: { medium: number; high: number } };

export type BiasPolicy = {
  rules: readonly PolicyRule[];
  severity?: SeverityCutoffs;
  /** Only these groupings (by name, e.g. `sex`, `sex × race`); default all in the report. */
  groupings?: readonly string[];
};

export const DEFAULT_SEVERITY: SeverityCutoffs = { upper: { medium: 1.5, high: 2 }, lower: { medium: 0.875, high: 0.75 } };

/** The default policy: demographic parity ratio ≥ 0.8 (four-fifths) and equalized odds difference ≤ 0.1. */
export const DEFAULT_BIAS_POLICY: BiasPolicy = {
  rules: [
    { metric: 'demographicParityRatio', threshold: 0.8, bound: 'lower' },
    { metric: 'equalizedOddsDifference', threshold: 0.1, bound: 'upper' },
  ],
};

export type Severity = 'none' | 'low' | 'medium' | 'high';

export type BiasCheck = {
  metric: DisparityMetricName;
  grouping: string;
  attributes: string[];
  value: number | null;
  ci: ConfidenceInterval | null;
  threshold: number;
  bound: Bound;
  /** null when the metric is undefined on this data (see `reason`). */
  passed: boolean | null;
  severity: Severity | null;
  /** True when the whole confidence interval lies on the same side of the threshold as the value. */
  conclusive: boolean | null;
  groupsCompared: string[];
  smallGroupsExcluded: string[];
  reason?: string;
  recommendations: string[];
};

export type BiasDetectionResult = {
  passed: boolean;
  failed: number;
  undetermined: number;
  highestSeverity: Severity;
  checks: BiasCheck[];
};

/** Ratios are lower-bounded, everything else is a difference and upper-bounded. */
export const defaultBound = (metric: DisparityMetricName): Bound => (metric.endsWith('Ratio') ? 'lower' : 'upper');

export function severityOf(value: number, threshold: number, bound: Bound, cutoffs: SeverityCutoffs = DEFAULT_SEVERITY): Severity {
  // Cut-offs are compared with a 1e-12 slack so that, e.g., 0.7 against 0.875 × 0.8 counts as on the line.
  const slack = 1e-12;
  if (bound === 'upper') {
    if (value <= threshold) return 'none';
    if (threshold <= 0) return 'high';
    return value <= cutoffs.upper.medium * threshold + slack ? 'low' : value <= cutoffs.upper.high * threshold + slack ? 'medium' : 'high';
  }
  if (value >= threshold) return 'none';
  if (threshold <= 0) return 'high';
  return value >= cutoffs.lower.medium * threshold - slack ? 'low' : value >= cutoffs.lower.high * threshold - slack ? 'medium' : 'high';
}

const ORDER: Record<Severity, number> = { none: 0, low: 1, medium: 2, high: 3 };

const ADVICE: Record<DisparityMetricName, string> = {
  demographicParityDifference:
    'Selection rates differ across groups. Check whether the difference is explained by legitimate factors; if not, consider reweighing the training data or per-group thresholds for demographic parity.',
  demographicParityRatio:
    'The lowest group selection rate is under the policy share of the highest (the four-fifths rule at 0.8). Review the selection criteria for adverse impact; mitigation options are reweighing the training data or per-group thresholds for demographic parity.',
  disparateImpactRatio:
    'A group is selected at less than the policy share of the reference group. Review the selection criteria for adverse impact and document any business necessity; consider reweighing or per-group thresholds.',
  equalOpportunityDifference:
    'Qualified members of some groups are missed more often (true positive rates differ). Inspect features that proxy for group membership and label quality per group; per-group thresholds for equalized odds can close the gap.',
  equalizedOddsDifference:
    'Error rates (true or false positive rates) differ across groups. Inspect label quality and proxy features per group; the equalized-odds threshold optimiser can equalise both rates at some accuracy cost.',
  predictiveParityDifference:
    'A positive decision is less reliable for some groups (precision differs). Review calibration per group and whether the model is equally informative for each group.',
  accuracyDifference:
    'The model is less accurate for some groups. Check whether they are under-represented in training data and collect more representative data or train with group-aware sample weights.',
  falsePositiveRateDifference:
    'Some groups receive more false positives. Inspect label quality and proxy features per group; consider per-group thresholds for equalized odds.',
  calibrationDifference:
    'Scores are calibrated worse for some groups. Consider recalibrating per group (e.g. isotonic or Platt scaling) and re-checking.',
};

/**
 * Checks a fairness report against a policy: one check per rule and grouping, with the value,
 * its bootstrap interval, pass/fail on the point estimate, severity and recommendations.
 */
export function detectBias(report: FairnessReport, policy: BiasPolicy = DEFAULT_BIAS_POLICY): BiasDetectionResult {
  const cutoffs = policy.severity ?? DEFAULT_SEVERITY;
  const checks: BiasCheck[] = [];
  for (const grouping of report.groupings) {
    if (policy.groupings && !policy.groupings.includes(grouping.name)) continue;
    const smallGroupsExcluded = grouping.includesSmallGroups ? [] : grouping.smallGroups;
    for (const rule of policy.rules) {
      const bound = rule.bound ?? defaultBound(rule.metric);
      const estimate = grouping.disparities[rule.metric];
      const value = estimate.value;
      const ci = estimate.ci ?? null;
      const recommendations: string[] = [];
      let passed: boolean | null = null;
      let severity: Severity | null = null;
      let conclusive: boolean | null = null;
      if (value !== null) {
        passed = bound === 'upper' ? value <= rule.threshold : value >= rule.threshold;
        severity = severityOf(value, rule.threshold, bound, cutoffs);
        if (ci && ci.lower !== null && ci.upper !== null) {
          const lowerPasses = bound === 'upper' ? ci.lower <= rule.threshold : ci.lower >= rule.threshold;
          const upperPasses = bound === 'upper' ? ci.upper <= rule.threshold : ci.upper >= rule.threshold;
          conclusive = lowerPasses === upperPasses;
        }
        if (!passed) recommendations.push(`${grouping.name}: ${ADVICE[rule.metric]}`);
        if (conclusive === false) {
          recommendations.push(
            `The ${Math.round((ci?.level ?? 0.95) * 100)}% interval [${ci?.lower?.toFixed(3)}, ${ci?.upper?.toFixed(3)}] crosses the threshold ${rule.threshold}: the result is not conclusive at this sample size; monitor it and collect more data before acting on it alone.`,
          );
        }
      } else {
        recommendations.push(`${rule.metric} could not be computed for ${grouping.name} (${estimate.reason}); review the groups individually.`);
      }
      if (smallGroupsExcluded.length > 0) {
        recommendations.push(
          `Groups below the minimum size of ${report.minGroupSize} rows were not compared: ${smallGroupsExcluded.join('; ')}. Their rates are reported with wide intervals; collect more data or review their cases by hand.`,
        );
      }
      const check: BiasCheck = {
        metric: rule.metric,
        grouping: grouping.name,
        attributes: grouping.attributes,
        value,
        ci,
        threshold: rule.threshold,
        bound,
        passed,
        severity,
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

/** The verdict over a list of checks: passed when none failed; undetermined ones counted apart; the worst severity. */
export function summariseChecks<C extends { passed: boolean | null; severity: Severity | null }>(checks: C[]): { passed: boolean; failed: number; undetermined: number; highestSeverity: Severity; checks: C[] } {
  const failed = checks.filter((c) => c.passed === false).length;
  const undetermined = checks.filter((c) => c.passed === null).length;
  const highestSeverity = checks.reduce<Severity>((worst, c) => (c.severity && ORDER[c.severity] > ORDER[worst] ? c.severity : worst), 'none');
  return { passed: failed === 0, failed, undetermined, highestSeverity, checks };
}
