/** Regression errors with scikit-learn's definitions (`sklearn.metrics`, version 1.x). */
import { metricOf, undefinedMetric, type MetricValue } from './metric-value.js';

/** np.finfo(np.float64).eps: scikit-learn's floor for |y| in MAPE's denominator. */
export const MAPE_EPSILON = 2.220446049250313e-16;

export function meanSquaredError(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): MetricValue {
  const n = yTrue.length;
  if (n === 0) return undefinedMetric('no rows');
  let total = 0;
  for (let i = 0; i < n; i++) total += (yTrue[i]! - yPred[i]!) ** 2;
  return metricOf(total / n);
}

export function rootMeanSquaredError(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): MetricValue {
  const mse = meanSquaredError(yTrue, yPred);
  return mse.value === null ? mse : metricOf(Math.sqrt(mse.value));
}

export function meanAbsoluteError(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): MetricValue {
  const n = yTrue.length;
  if (n === 0) return undefinedMetric('no rows');
  let total = 0;
  for (let i = 0; i < n; i++) total += Math.abs(yTrue[i]! - yPred[i]!);
  return metricOf(total / n);
}

/**
 * mean(|y − ŷ| / max(|y|, eps)) as a fraction (0.1 is 10 %), as scikit-learn's
 * `mean_absolute_percentage_error`; huge, not infinite, when some y is 0.
 */
export function meanAbsolutePercentageError(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): MetricValue {
  const n = yTrue.length;
  if (n === 0) return undefinedMetric('no rows');
  let total = 0;
  for (let i = 0; i < n; i++) total += Math.abs(yTrue[i]! - yPred[i]!) / Math.max(Math.abs(yTrue[i]!), MAPE_EPSILON);
  return metricOf(total / n);
}

/**
 * R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)², scikit-learn's `r2_score` with `force_finite=True`: for a
 * constant y it is 1 when the predictions are perfect and 0 otherwise. Undefined for fewer than
 * two rows (scikit-learn warns and returns NaN).
 */
export function r2Score(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): MetricValue {
  const n = yTrue.length;
  if (n < 2) return undefinedMetric(`R² is not defined for fewer than two rows (got ${n})`);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += yTrue[i]!;
  mean /= n;
  let residual = 0;
  let spread = 0;
  let constant = true;
  for (let i = 0; i < n; i++) {
    residual += (yTrue[i]! - yPred[i]!) ** 2;
    spread += (yTrue[i]! - mean) ** 2;
    if (yTrue[i] !== yTrue[0]) constant = false;
  }
  // Tested directly: a rounded mean can leave a constant y a tiny non-zero spread.
  if (constant || spread === 0) return metricOf(residual === 0 ? 1 : 0);
  return metricOf(1 - residual / spread);
}
