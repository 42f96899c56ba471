/**
 * The sentence a comparison may say. "B is better than A" only when the confidence interval of
 * mean(B - A) lies entirely on the better side of zero for the metric's direction; an interval
 * touching or containing zero, or no interval at all, is "no detectable difference".
 */
import type { MetricDirection } from '../metric-registry.js';

export type ComparisonVerdict = 'b-better' | 'a-better' | 'no-detectable-difference';

export function comparisonVerdict(interval: { lower: number | null; upper: number | null }, direction: MetricDirection): ComparisonVerdict {
  const { lower, upper } = interval;
  if (lower === null || upper === null) return 'no-detectable-difference';
  const bHigher = lower > 0;
  const bLower = upper < 0;
  if (!bHigher && !bLower) return 'no-detectable-difference';
  const higherIsBetter = direction === 'higher-is-better';
  return bHigher === higherIsBetter ? 'b-better' : 'a-better';
}

export function verdictStatement(verdict: ComparisonVerdict, nameA: string, nameB: string): string {
  switch (verdict) {
    case 'b-better':
      return `${nameB} is better than ${nameA}`;
    case 'a-better':
      return `${nameA} is better than ${nameB}`;
    case 'no-detectable-difference':
      return 'no detectable difference';
  }
}
