/**
 * What model-agnostic explainers need from a model: one output per row (a regression value or the
 * positive-class probability) for a row-major batch. Explainers always call it with large batches.
 */
export type BatchPredict = (X: Float64Array, nRows: number) => Float64Array | Promise<Float64Array>;

/** Rows of features, row-major: value of feature j in row i is `data[i * nFeatures + j]`. */
export type FeatureMatrix = { data: Float64Array; nRows: number; nFeatures: number };

/** A background (reference) sample; optional `weights` (e.g. k-means cluster sizes) make it a weighted sample. */
export type Background = FeatureMatrix & { weights?: Float64Array };

/** Calls the model and checks it returned one finite-or-NaN number per row. */
export async function evaluate(predict: BatchPredict, X: Float64Array, nRows: number): Promise<Float64Array> {
  const out = await predict(X, nRows);
  if (out.length !== nRows) throw new RangeError(`model returned ${out.length} outputs for ${nRows} rows`);
  return out;
}

/** Background weights normalised to sum to one (uniform when none are given). */
export function normalisedWeights(background: Background): Float64Array {
  const n = background.nRows;
  if (n === 0) throw new RangeError('the background has no rows');
  const w = new Float64Array(n);
  if (background.weights === undefined) return w.fill(1 / n);
  let total = 0;
  for (let i = 0; i < n; i++) total += background.weights[i]!;
  if (!(total > 0)) throw new RangeError('background weights must have a positive sum');
  for (let i = 0; i < n; i++) w[i] = background.weights[i]! / total;
  return w;
}

/** Largest number of synthetic rows sent to the model in one call (bounds memory: rows x features doubles). */
export const DEFAULT_MAX_BATCH_ROWS = 1 << 17;

/**
 * The same bound for methods that refill one buffer chunk after chunk (KernelSHAP's coalitions,
 * permutation importance): large enough to amortise a call and to split across scoring threads,
 * small enough that the buffer is reused from cache instead of being faulted in afresh (at
 * 131,072 rows, KernelSHAP of a 20-feature row spent ~40% of its non-scoring time on that).
 */
export const REUSED_BUFFER_BATCH_ROWS = 1 << 14;

export function assertSameWidth(a: FeatureMatrix, b: FeatureMatrix): void {
  if (a.nFeatures !== b.nFeatures) throw new RangeError(`feature counts differ: ${a.nFeatures} vs ${b.nFeatures}`);
  if (a.data.length < a.nRows * a.nFeatures || b.data.length < b.nRows * b.nFeatures) throw new RangeError('a matrix holds fewer values than nRows x nFeatures');
}
