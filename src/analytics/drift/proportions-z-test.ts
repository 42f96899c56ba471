import { regularizedGammaQ } from './incomplete-gamma.js';

/**
 * Two-proportion z-test used by Evidently for binary features ("z", z_stattest.py): the share of
 * the first category (in sorted order) in each sample, pooled-variance z statistic,
 * p = 2(1 - Φ(|z|)) = erfc(|z|/√2) = Q(½, z²/2), computed without cancellation in the tail.
 */
export function proportionsZTest(reference: ReadonlyMap<string, number>, current: ReadonlyMap<string, number>): { statistic: number; pValue: number } {
  const keys = [...new Set([...reference.keys(), ...current.keys()])].sort();
  if (reference.size === 1 && current.size === 1 && keys.length === 1) return { statistic: 0, pValue: 1 };
  const first = keys[0]!;
  let n1 = 0;
  let n2 = 0;
  for (const v of reference.values()) n1 += v;
  for (const v of current.values()) n2 += v;
  // Evidently codes the first key as 0 and every other value as 1.
  const p1 = (n1 - (reference.get(first) ?? 0)) / n1;
  const p2 = (n2 - (current.get(first) ?? 0)) / n2;
  const pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
  const z = (p1 - p2) / Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (Number.isNaN(z)) return { statistic: z, pValue: Number.NaN };
  return { statistic: z, pValue: regularizedGammaQ(0.5, (z * z) / 2) };
}
