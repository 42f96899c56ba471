import { compiledTreeEnsemble } from './compiled-tree-ensemble.js';
import { scoreCompiled } from './compiled-tree-scorer.js';
import { markTreeBackedPredict } from './tree-backed-predict.js';
import type { TreeEnsemble } from './tree-ensemble.js';

/**
 * Raw scores (margins, before the link) for `nRows` rows of row-major `X` with `model.nFeatures`
 * columns, on this thread, through the model's compiled form (compiled-tree-ensemble.ts).
 */
export function predictMargin(model: TreeEnsemble, X: Float64Array, nRows: number): Float64Array {
  const m = model.nFeatures;
  if (X.length < nRows * m) throw new RangeError(`X holds ${X.length} values, fewer than ${nRows} rows x ${m} features`);
  const out = new Float64Array(nRows);
  scoreCompiled(compiledTreeEnsemble(model), X, 0, nRows, out);
  return out;
}

/** Applies the model's link in place: identity, or the logistic function. */
export function applyLink(model: Pick<TreeEnsemble, 'link'>, margins: Float64Array): Float64Array {
  if (model.link === 'logistic') for (let i = 0; i < margins.length; i++) margins[i] = 1 / (1 + Math.exp(-margins[i]!));
  return margins;
}

/** Predictions on the output scale: the margin through the model's link (identity or logistic). */
export function predict(model: TreeEnsemble, X: Float64Array, nRows: number): Float64Array {
  return applyLink(model, predictMargin(model, X, nRows));
}

/** The model as the batch-predict contract of the model-agnostic explainers, on the margin or output scale. */
export function treeEnsemblePredictor(model: TreeEnsemble, scale: 'margin' | 'output' = 'output'): (X: Float64Array, nRows: number) => Float64Array {
  const f = scale === 'margin' ? (X: Float64Array, nRows: number) => predictMargin(model, X, nRows) : (X: Float64Array, nRows: number) => predict(model, X, nRows);
  return markTreeBackedPredict(f, model, scale);
}
