/**
 * First Wasserstein (earth mover's) distance between two empirical distributions on the line,
 * W₁ = ∫ |F_u(t) - F_v(t)| dt (scipy.stats.wasserstein_distance, Ramdas et al. 2017 eq. for p = 1),
 * integrated exactly over the pooled sorted values in O(n log n).
 */

function sortedCopy(x: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(x as ArrayLike<number>);
  for (let i = 1; i < out.length; i++) {
    if (out[i - 1]! > out[i]!) {
      out.sort();
      break;
    }
  }
  return out;
}

export function wassersteinDistance(u: ArrayLike<number>, v: ArrayLike<number>): number {
  const a = sortedCopy(u);
  const b = sortedCopy(v);
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) throw new RangeError('wassersteinDistance needs two non-empty samples');
  let i = 0;
  let j = 0;
  let total = 0;
  let prev = Math.min(a[0]!, b[0]!);
  while (i < n || j < m) {
    const t = j >= m || (i < n && a[i]! <= b[j]!) ? a[i]! : b[j]!;
    // On [prev, t) both ECDFs are constant at i/n and j/m.
    total += Math.abs(i / n - j / m) * (t - prev);
    while (i < n && a[i]! <= t) i++;
    while (j < m && b[j]! <= t) j++;
    prev = t;
  }
  return total;
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
