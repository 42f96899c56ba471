import type { TreeEnsemble } from './tree-ensemble.js';

/**
 * A batch-predict function may say which tree ensemble it scores and on which scale, so that
 * explainers can compute what they would otherwise get by scoring many synthetic rows from the
 * trees themselves (e.g. coalition values by tree traversal). The mark is a symbol-keyed property:
 * a predict function without it is a black box, as before.
 */
const SCORED_ENSEMBLE = Symbol('tree ensemble scored by this predict function');

type Marked = { [SCORED_ENSEMBLE]?: { model: TreeEnsemble; scale: 'margin' | 'output' } };

/** Marks `predict` as scoring `model` on `scale` (margin: before the link; output: through it). */
export function markTreeBackedPredict<F extends (X: Float64Array, nRows: number) => unknown>(predict: F, model: TreeEnsemble, scale: 'margin' | 'output'): F {
  Object.defineProperty(predict, SCORED_ENSEMBLE, { value: { model, scale }, enumerable: false });
  return predict;
}

/**
 * The ensemble whose prediction `predict` is, when that prediction is its margin (the base score
 * plus the sum of the trees' leaves): a margin predictor, or an output predictor with the identity
 * link. Null for anything else (a black box, or a logistic output, which is not additive over trees).
 */
export function additiveTreeEnsembleOf(predict: unknown): TreeEnsemble | null {
  const mark = (predict as Marked)[SCORED_ENSEMBLE];
  if (mark === undefined) return null;
  return mark.scale === 'margin' || mark.model.link === 'identity' ? mark.model : null;
}
