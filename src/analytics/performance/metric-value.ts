/**
 * A metric that may be undefined for the data at hand (AUC with one class, precision with no
 * positive predictions): then `value` is null and `reason` says why, never NaN. The same shape
 * as the fairness engine's `MetricEstimate` without the interval.
 */
export type MetricValue = { value: number; reason?: undefined } | { value: null; reason: string };

export const metricOf = (value: number): MetricValue => ({ value });

export const undefinedMetric = (reason: string): MetricValue => ({ value: null, reason });
