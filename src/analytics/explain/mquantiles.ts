/**
 * Quantiles as scipy.stats.mstats.mquantiles computes them (Hyndman & Fan's continuous family with
 * plotting positions alphap, betap; scipy's defaults 0.4, 0.4 are approximately unbiased, Cunnane).
 * For sorted x of length n and probability p: m = alphap + p (1 - alphap - betap),
 * aleph = n p + m, k = floor(clip(aleph, 1, n - 1)), gamma = clip(aleph - k, 0, 1),
 * q = (1 - gamma) x[k - 1] + gamma x[k] (x 0-based). scikit-learn's partial_dependence takes its
 * grid bounds from this function with the defaults.
 */
export function mquantileOfSorted(sorted: Float64Array, p: number, alphap = 0.4, betap = 0.4): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError('no values to take a quantile of');
  if (n === 1) return sorted[0]!;
  const m = alphap + p * (1 - alphap - betap);
  const aleph = n * p + m;
  const k = Math.floor(Math.min(Math.max(aleph, 1), n - 1));
  const gamma = Math.min(Math.max(aleph - k, 0), 1);
  return (1 - gamma) * sorted[k - 1]! + gamma * sorted[k]!;
}
