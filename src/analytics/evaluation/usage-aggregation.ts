/**
 * Latency, token and cost figures. Cost of one call = input tokens × input price / 10^6 + output
 * tokens × output price / 10^6, prices given per million tokens (how providers publish them).
 * Aggregates report count, sum, mean and the p50/p95/p99 quantiles (linear interpolation between
 * order statistics, numpy's default 'linear' method).
 */
export type TokenPrices = { inputPerMillion: number; outputPerMillion: number };

export function callCost(inputTokens: number, outputTokens: number, prices: TokenPrices): number {
  return (inputTokens * prices.inputPerMillion + outputTokens * prices.outputPerMillion) / 1_000_000;
}

export type UsageSummary = { count: number; sum: number; mean: number | null; p50: number | null; p95: number | null; p99: number | null; max: number | null };

function quantileSorted(sorted: Float64Array, p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** Summary of non-negative figures (latencies, token counts, costs); NaN entries are skipped. */
export function summarizeUsage(values: ArrayLike<number>): UsageSummary {
  const kept: number[] = [];
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i]!)) kept.push(values[i]!);
  const sorted = Float64Array.from(kept).sort();
  const count = sorted.length;
  let sum = 0;
  for (let i = 0; i < count; i++) sum += sorted[i]!;
  if (count === 0) return { count, sum, mean: null, p50: null, p95: null, p99: null, max: null };
  return { count, sum, mean: sum / count, p50: quantileSorted(sorted, 0.5), p95: quantileSorted(sorted, 0.95), p99: quantileSorted(sorted, 0.99), max: sorted[count - 1]! };
}
