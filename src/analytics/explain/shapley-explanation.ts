/**
 * What every Shapley method returns. `values[i * nFeatures + j]` is feature j's attribution for
 * row i; `outputs[i]` is f(x_i) on the explained scale; efficiency (Shapley 1953) says
 * baseValue + sum_j values[i, j] = outputs[i], and `additivityGap` is the largest violation.
 */
export type ShapleyExplanation = {
  baseValue: number;
  values: Float64Array;
  outputs: Float64Array;
  nRows: number;
  nFeatures: number;
  additivityGap: number;
};

/** Any Shapley method, as the what-if tool receives it. */
export type ShapleyExplainer = (rows: { data: Float64Array; nRows: number; nFeatures: number }) => Promise<ShapleyExplanation>;

/** max over rows of |sum(values) + baseValue - f(x)|. */
export function additivityGap(values: Float64Array, baseValue: number, outputs: Float64Array, nRows: number, nFeatures: number): number {
  let gap = 0;
  for (let i = 0; i < nRows; i++) {
    let s = baseValue;
    for (let j = 0; j < nFeatures; j++) s += values[i * nFeatures + j]!;
    const d = Math.abs(s - outputs[i]!);
    if (d > gap || d !== d) gap = d;
  }
  return gap;
}

/** Rows of values as nested arrays, for JSON. */
export function valuesAsRows(e: ShapleyExplanation): number[][] {
  return Array.from({ length: e.nRows }, (_, i) => Array.from(e.values.subarray(i * e.nFeatures, (i + 1) * e.nFeatures)));
}
