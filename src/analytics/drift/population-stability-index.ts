/**
 * Population Stability Index, PSI = Σ_i (r_i - c_i) · ln(r_i / c_i) over bins with reference and
 * current proportions r_i, c_i (Siddiqi 2006, "Credit Risk Scorecards", ch. 8; Evidently psi.py).
 * Empty bins: as Evidently's `get_binned_data(feel_zeroes=True)`, a zero proportion is replaced,
 * separately in each sample, by 1e-4, or by (smallest non-zero proportion)/1e6 when that is ≤ 1e-4.
 * Numeric columns use 10 reference-quantile bins: interior edges at the reference quantiles
 * 0.1 … 0.9 (numpy 'linear' interpolation), duplicates removed, bins (-∞, e₁], (e₁, e₂], …, (e_k, ∞)
 * so current values outside the reference range still land in the end bins.
 */

export type PsiBin = { lower: number; upper: number; reference: number; current: number; contribution: number };
export type PsiResult = { psi: number; bins: PsiBin[] };

/** Replace zero proportions as Evidently does (see the module comment). */
export function fillZeroProportions(p: Float64Array): Float64Array {
  let minNonZero = Number.POSITIVE_INFINITY;
  for (const x of p) if (x > 0 && x < minNonZero) minNonZero = x;
  const fill = minNonZero <= 1e-4 ? minNonZero / 1e6 : 1e-4;
  return p.map((x) => (x === 0 ? fill : x));
}

export function psiFromProportions(reference: Float64Array, current: Float64Array): { psi: number; contributions: Float64Array } {
  const r = fillZeroProportions(reference);
  const c = fillZeroProportions(current);
  const contributions = new Float64Array(r.length);
  let psi = 0;
  for (let i = 0; i < r.length; i++) {
    contributions[i] = (r[i]! - c[i]!) * Math.log(r[i]! / c[i]!);
    psi += contributions[i]!;
  }
  return { psi, contributions };
}

/** numpy.quantile(sorted, q) with the default 'linear' method; `sorted` ascending. */
export function quantileSortedLinear(sorted: ArrayLike<number>, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function quantileBinEdges(sortedReference: ArrayLike<number>, bins = 10): Float64Array {
  const edges: number[] = [];
  for (let i = 1; i < bins; i++) {
    const e = quantileSortedLinear(sortedReference, i / bins);
    if (edges.length === 0 || e > edges[edges.length - 1]!) edges.push(e);
  }
  return Float64Array.from(edges);
}

/** Index of the bin (-∞, e₀], (e₀, e₁], …, (e_{k-1}, ∞) holding x. */
function binOf(edges: Float64Array, x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x <= edges[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Number of leading elements of the ascending `sorted` that are ≤ x (0 when x is NaN). */
function countAtMost(sorted: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function isSortedAscending(x: ArrayLike<number>): boolean {
  for (let i = 1; i < x.length; i++) if (!(x[i - 1]! <= x[i]!)) return false;
  return true;
}

/** Bin counts of an ascending sample: differences of the counts at most each edge, O(k log n). */
function sortedBinCounts(edges: Float64Array, sorted: ArrayLike<number>, counts: Float64Array): void {
  let below = 0;
  for (let i = 0; i < edges.length; i++) {
    const atMost = countAtMost(sorted, edges[i]!);
    counts[i] = atMost - below;
    below = atMost;
  }
  counts[edges.length] = sorted.length - below;
}

function psiFromCounts(edges: Float64Array, ref: Float64Array, cur: Float64Array, nRef: number, nCur: number): PsiResult {
  const k = edges.length + 1;
  for (let i = 0; i < k; i++) {
    ref[i]! /= nRef;
    cur[i]! /= nCur;
  }
  const { psi, contributions } = psiFromProportions(ref, cur);
  return {
    psi,
    bins: Array.from({ length: k }, (_, i) => ({
      lower: i === 0 ? Number.NEGATIVE_INFINITY : edges[i - 1]!,
      upper: i === k - 1 ? Number.POSITIVE_INFINITY : edges[i]!,
      reference: ref[i]!,
      current: cur[i]!,
      contribution: contributions[i]!,
    })),
  };
}

/** Edges without NaN are strictly increasing, so every value's bin follows from counts at the edges. */
function edgesAreOrdered(edges: Float64Array): boolean {
  for (let i = 0; i < edges.length; i++) if (Number.isNaN(edges[i]!)) return false;
  return true;
}

export function numericPsi(sortedReference: Float64Array, current: ArrayLike<number>, bins = 10): PsiResult {
  if (isSortedAscending(current)) return numericPsiSorted(sortedReference, current, bins);
  const edges = quantileBinEdges(sortedReference, bins);
  const k = edges.length + 1;
  const ref = new Float64Array(k);
  const cur = new Float64Array(k);
  for (let i = 0; i < sortedReference.length; i++) ref[binOf(edges, sortedReference[i]!)]!++;
  for (let i = 0; i < current.length; i++) cur[binOf(edges, current[i]!)]!++;
  return psiFromCounts(edges, ref, cur, sortedReference.length, current.length);
}

/**
 * numericPsi when the current sample is sorted too (both ascending, no NaN): the bin counts are
 * found by binary search at each edge instead of one search per value.
 */
export function numericPsiSorted(sortedReference: Float64Array, sortedCurrent: ArrayLike<number>, bins = 10): PsiResult {
  const edges = quantileBinEdges(sortedReference, bins);
  const k = edges.length + 1;
  const ref = new Float64Array(k);
  const cur = new Float64Array(k);
  if (edgesAreOrdered(edges)) {
    sortedBinCounts(edges, sortedReference, ref);
    sortedBinCounts(edges, sortedCurrent, cur);
  } else {
    // A NaN edge (from infinite values) breaks the ordering: bin value by value as before.
    for (let i = 0; i < sortedReference.length; i++) ref[binOf(edges, sortedReference[i]!)]!++;
    for (let i = 0; i < sortedCurrent.length; i++) cur[binOf(edges, sortedCurrent[i]!)]!++;
  }
  return psiFromCounts(edges, ref, cur, sortedReference.length, sortedCurrent.length);
}

export type CategoricalPsiResult = { psi: number; categories: { category: string; reference: number; current: number; contribution: number }[] };

/** PSI with one bin per category over the union of categories. */
export function categoricalPsi(reference: ReadonlyMap<string, number>, current: ReadonlyMap<string, number>): CategoricalPsiResult {
  const keys = [...new Set([...reference.keys(), ...current.keys()])];
  let nRef = 0;
  let nCur = 0;
  for (const v of reference.values()) nRef += v;
  for (const v of current.values()) nCur += v;
  const ref = Float64Array.from(keys, (k) => (reference.get(k) ?? 0) / nRef);
  const cur = Float64Array.from(keys, (k) => (current.get(k) ?? 0) / nCur);
  const { psi, contributions } = psiFromProportions(ref, cur);
  return { psi, categories: keys.map((category, i) => ({ category, reference: ref[i]!, current: cur[i]!, contribution: contributions[i]! })) };
}
