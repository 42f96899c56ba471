/**
 * Log loss (cross-entropy): the mean of −ln p(true class). Probabilities are clipped to
 * [1e-15, 1 − 1e-15] first, scikit-learn's historical `eps`, so one confident mistake costs
 * −ln(1e-15) ≈ 34.54 instead of infinity.
 */
import { metricOf, undefinedMetric, type MetricValue } from './metric-value.js';

export const LOG_LOSS_EPSILON = 1e-15;

/** `probabilities` is rows × classCount, row-major; `yTrue` holds class indexes. */
export function logLoss(yTrue: ArrayLike<number>, probabilities: Float64Array, classCount: number): MetricValue {
  const n = yTrue.length;
  if (n === 0) return undefinedMetric('no rows');
  let total = 0;
  for (let i = 0; i < n; i++) {
    const p = probabilities[i * classCount + yTrue[i]!]!;
    total -= Math.log(Math.min(Math.max(p, LOG_LOSS_EPSILON), 1 - LOG_LOSS_EPSILON));
  }
  return metricOf(total / n);
}
