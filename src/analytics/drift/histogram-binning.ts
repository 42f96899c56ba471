/**
 * Binning shared by the distance tests, following Evidently's `get_binned_data`: numeric columns with
 * more than 20 distinct reference values are binned on numpy's 'sturges' edges over the pooled
 * sample (⌈log₂ n + 1⌉ equal-width bins, numpy.histogram_bin_edges), half-open bins with the last
 * one closed (numpy.histogram); otherwise each distinct value is its own bin.
 */

export function sturgesEdges(min: number, max: number, n: number): Float64Array {
  if (!(max > min)) return Float64Array.of(min - 0.5, max + 0.5);
  const bins = Math.max(1, Math.ceil(Math.log2(n) + 1));
  const edges = new Float64Array(bins + 1);
  for (let i = 0; i <= bins; i++) edges[i] = min + ((max - min) * i) / bins;
  edges[bins] = max;
  return edges;
}

/** numpy.histogram counts for the given increasing edges (values outside are ignored). */
export function histogramCounts(values: ArrayLike<number>, edges: Float64Array): Float64Array {
  const bins = edges.length - 1;
  const counts = new Float64Array(bins);
  const lo = edges[0]!;
  const hi = edges[bins]!;
  for (let k = 0; k < values.length; k++) {
    const x = values[k]!;
    if (!(x >= lo && x <= hi)) continue;
    let a = 0;
    let b = bins;
    // Largest i with edges[i] <= x, the last bin closed on the right.
    while (b - a > 1) {
      const mid = (a + b) >>> 1;
      if (edges[mid]! <= x) a = mid;
      else b = mid;
    }
    counts[a]!++;
  }
  return counts;
}
