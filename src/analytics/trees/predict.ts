import type { TreeEnsemble } from './tree-ensemble.js';

/**
 * Raw scores (margins, before the link) for `nRows` rows of row-major `X` with `model.nFeatures`
 * columns. Trees are the outer loop so one tree's nodes stay in cache across all rows.
 */
export function predictMargin(model: TreeEnsemble, X: Float64Array, nRows: number): Float64Array {
  const m = model.nFeatures;
  if (X.length < nRows * m) throw new RangeError(`X holds ${X.length} values, fewer than ${nRows} rows x ${m} features`);
  const data = model.float32Inputs ? Float32Array.from(X.subarray(0, nRows * m)) : X;
  const out = new Float64Array(nRows).fill(model.baseScore);
  const { feature, threshold, left, right, missingGoesLeft, value, treeRoots, leafScale } = model;
  const strict = model.decision === '<';
  for (let t = 0; t < model.nTrees; t++) {
    const root = treeRoots[t]!;
    for (let r = 0, base = 0; r < nRows; r++, base += m) {
      let node = root;
      let f = feature[node]!;
      while (f >= 0) {
        const v = data[base + f]!;
        const th = threshold[node]!;
        const toLeft = v !== v ? missingGoesLeft[node] === 1 : strict ? v < th : v <= th;
        node = toLeft ? left[node]! : right[node]!;
        f = feature[node]!;
      }
      out[r]! += value[node]! * leafScale;
    }
  }
  return out;
}

/** Predictions on the output scale: the margin through the model's link (identity or logistic). */
export function predict(model: TreeEnsemble, X: Float64Array, nRows: number): Float64Array {
  const out = predictMargin(model, X, nRows);
  if (model.link === 'logistic') for (let i = 0; i < nRows; i++) out[i] = 1 / (1 + Math.exp(-out[i]!));
  return out;
}

/** The model as the batch-predict contract of the model-agnostic explainers, on the margin or output scale. */
export function treeEnsemblePredictor(model: TreeEnsemble, scale: 'margin' | 'output' = 'output'): (X: Float64Array, nRows: number) => Float64Array {
  return scale === 'margin' ? (X, nRows) => predictMargin(model, X, nRows) : (X, nRows) => predict(model, X, nRows);
}
