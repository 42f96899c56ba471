/**
 * Log-spaced histogram bounds for latencies: bucket k holds values in (b_{k-1}, b_k] with
 * b_k = min · growth^k, so a percentile read from the bucket counts is within a relative error of
 * (growth - 1) of the exact sample percentile (the HdrHistogram/DDSketch idea of bounded relative
 * error, with fixed bounds so buckets of different time slots add up).
 */
export type LogBuckets = { min: number; growth: number; count: number };

export const LATENCY_BUCKETS: LogBuckets = { min: 0.01, growth: 1.04, count: 420 };

/** Index of the bucket holding x: 0 for x ≤ min, the last bucket for anything beyond the top bound. */
export function logBucketOf(buckets: LogBuckets, x: number): number {
  if (!(x > buckets.min)) return 0;
  const k = Math.ceil(Math.log(x / buckets.min) / Math.log(buckets.growth));
  return Math.min(buckets.count - 1, Math.max(0, k));
}

/** Upper bound of bucket k. */
export const logBucketUpper = (buckets: LogBuckets, k: number): number => buckets.min * buckets.growth ** k;

/**
 * The q-quantile (nearest rank: the smallest value with at least ⌈q·n⌉ values at or below it) read
 * from bucket counts: the upper bound of the bucket holding that rank, at most `growth` times the
 * exact value. NaN when the histogram is empty.
 */
export function logBucketQuantile(buckets: LogBuckets, counts: Float64Array, q: number): number {
  let total = 0;
  for (let i = 0; i < buckets.count; i++) total += counts[i]!;
  if (total === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < buckets.count; i++) {
    seen += counts[i]!;
    if (seen >= rank) return logBucketUpper(buckets, i);
  }
  return logBucketUpper(buckets, buckets.count - 1);
}
