/** The fairness engine's public surface (pure: typed arrays in, plain objects out). */
export { createRandom, type Random } from './seeded-random.js';
export { sampleBinomial, sampleMultinomial } from './binomial-sampler.js';
export { FairnessInputError, type ClassificationInput, type ProtectedAttribute, type RegressionInput } from './fairness-input.js';
export { combineAttributes, type IntersectionSpec } from './intersection-groups.js';
export { GROUP_METRICS, type GroupMetricName } from './group-metrics.js';
export { DISPARITY_METRICS, type DisparityMetricName } from './disparity-metrics.js';
export { percentileInterval, type ConfidenceInterval } from './bootstrap-intervals.js';
export {
  assessFairness,
  type BootstrapOptions,
  type DisparityReport,
  type FairnessOptions,
  type FairnessReport,
  type GroupingReport,
  type GroupReport,
  type MetricEstimate,
} from './fairness-assessment.js';
export { assessRegressionFairness, REGRESSION_METRICS, type RegressionFairnessReport, type RegressionOptions } from './regression-fairness.js';
export {
  DEFAULT_BIAS_POLICY,
  DEFAULT_SEVERITY,
  detectBias,
  severityOf,
  type BiasCheck,
  type BiasDetectionResult,
  type BiasPolicy,
  type PolicyRule,
  type SeverityCutoffs,
} from './bias-detection.js';
export { reweigh, type ReweighingCell, type ReweighingResult } from './reweighing.js';
export {
  applyThresholds,
  optimizeThresholds,
  type ThresholdArtifact,
  type ThresholdConstraint,
  type ThresholdOptimizerOptions,
  type ThresholdOptimizerResult,
} from './threshold-optimizer.js';
