/** Model performance metrics (pure: typed arrays in, plain objects out). */
export { metricOf, undefinedMetric, type MetricValue } from './metric-value.js';
export {
  accuracy,
  classCounts,
  confusionMatrix,
  macroPrecisionRecallF1,
  precisionRecallF1,
  type ClassCounts,
  type PrecisionRecallF1,
} from './confusion-matrix.js';
export { rocAuc, rocAucOneVsRest } from './roc-auc.js';
export { LOG_LOSS_EPSILON, logLoss } from './log-loss.js';
export { MAPE_EPSILON, meanAbsoluteError, meanAbsolutePercentageError, meanSquaredError, r2Score, rootMeanSquaredError } from './regression-metrics.js';
export {
  performanceMetrics,
  PerformanceInputError,
  type ClassificationPerformance,
  type ClassificationPerformanceInput,
  type ClassPerformance,
  type PerformanceInput,
  type PerformanceReport,
  type RegressionPerformance,
  type RegressionPerformanceInput,
} from './performance-metrics.js';
