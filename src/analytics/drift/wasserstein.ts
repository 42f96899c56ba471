/**
 * First Wasserstein (earth mover's) distance between two empirical distributions on the line,
 * W₁ = ∫ |F_u(t) - F_v(t)| dt (scipy.stats.wasserstein_distance, Ramdas et al. 2017 eq. for p = 1),
 * integrated exactly over the pooled sorted values in O(n log n).
 */

import { sortFloat64 } from './sort-float64.js';

function sortedCopy(x: ArrayLike<number>): Float64Array {
  const out = x instanceof Float64Array ? x.slice() : Float64Array.from(x);
  for (let i = 1; i < out.length; i++) {
    if (out[i - 1]! > out[i]!) {
      sortFloat64(out);
      break;
    }
  }
  return out;
}

export function wassersteinDistance(u: ArrayLike<number>, v: ArrayLike<number>): number {
  return wassersteinDistanceSorted(sortedCopy(u), sortedCopy(v));
}

/** W₁ of two samples already sorted ascending (no NaN): one merge walk, no copies. */
export function wassersteinDistanceSorted(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length === 0 || b.length === 0) throw new RangeError('wassersteinDistance needs two non-empty samples');
  return pooledWalkSorted(a, b).wasserstein;
}

/**
 * One merge walk over two non-empty samples sorted ascending (no NaN), visiting each distinct
 * pooled value once: W₁ between them, and the number of distinct pooled values (-0 and 0 count
 * as one), so the column test gets both from a single pass.
 */
export function pooledWalkSorted(a: ArrayLike<number>, b: ArrayLike<number>): { wasserstein: number; distinct: number } {
  const n = a.length;
  const m = b.length;
  let i = 0;
  let j = 0;
  let total = 0;
  let distinct = 0;
  let prev = Math.min(a[0]!, b[0]!);
  while (i < n || j < m) {
    const t = j >= m || (i < n && a[i]! <= b[j]!) ? a[i]! : b[j]!;
    // On [prev, t) both ECDFs are constant at i/n and j/m.
    total += Math.abs(i / n - j / m) * (t - prev);
    while (i < n && a[i]! <= t) i++;
    while (j < m && b[j]! <= t) j++;
    prev = t;
    distinct++;
  }
  return { wasserstein: total, distinct };
}

/** Population standard deviation (numpy.std, ddof = 0). */
function populationStd(x: ArrayLike<number>): number {
  let mean = 0;
  let m2 = 0;
  for (let k = 0; k < x.length; k++) {
    const d = x[k]! - mean;
    mean += d / (k + 1);
    m2 += d * (x[k]! - mean);
  }
  return x.length > 0 ? Math.sqrt(m2 / x.length) : 0;
}

/**
 * Evidently's "wasserstein" drift score (wasserstein_distance_norm.py): W₁(reference, current)
 * divided by max(std(reference), 0.001), std with ddof = 0.
 */
export function normalizedWassersteinDistance(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  return wassersteinDistance(reference, current) / Math.max(populationStd(reference), 0.001);
}

/**
 * normalizedWassersteinDistance of two samples already sorted ascending (no NaN). The standard
 * deviation is taken over the sorted reference, as the column test always has (same value bit for bit).
 */
export function normalizedWassersteinDistanceSorted(sortedReference: ArrayLike<number>, sortedCurrent: ArrayLike<number>): number {
  return normalizeWasserstein(wassersteinDistanceSorted(sortedReference, sortedCurrent), sortedReference);
}

/** W₁ / max(std(reference), 0.001), for a W₁ already computed (see pooledWalkSorted). */
export function normalizeWasserstein(wasserstein: number, reference: ArrayLike<number>): number {
  return wasserstein / Math.max(populationStd(reference), 0.001);
}
