import { predict } from '../trees/predict.js';
import type { TreeEnsemble } from '../trees/tree-ensemble.js';
import type { ScoringModel } from './scoring-model.js';

/** Scores a batch on the output scale; the runtime passes its multi-threaded pool (processors/tree-scoring-pool.ts). */
export type TreeEnsembleScorer = (model: TreeEnsemble, X: Float64Array, nRows: number) => Float64Array | Promise<Float64Array>;

/**
 * A parsed tree ensemble (RAIA JSON or XGBoost JSON) as a scoring model. A binary ensemble's
 * output is P(class 1); the predicted class is 1 from 0.5 up, as XGBoost's `predict` does.
 * Scoring runs on the calling thread unless `scorer` is given.
 */
export function treeEnsembleScoringModel(model: TreeEnsemble, classes: readonly string[] | null = null, scorer: TreeEnsembleScorer = predict): ScoringModel & { readonly ensemble: TreeEnsemble } {
  const binary = model.task === 'binary';
  return {
    ensemble: model,
    task: model.task,
    featureNames: model.featureNames,
    classes: binary ? (classes ?? ['0', '1']) : null,
    async score(features, nRows) {
      const output = await scorer(model, features, nRows);
      if (!binary) return { predictions: output, probabilities: null };
      const probabilities = new Float64Array(nRows * 2);
      const predictions = new Float64Array(nRows);
      for (let i = 0; i < nRows; i++) {
        const p = output[i]!;
        probabilities[2 * i] = 1 - p;
        probabilities[2 * i + 1] = p;
        predictions[i] = p >= 0.5 ? 1 : 0;
      }
      return { predictions, probabilities };
    },
    async close() {},
  };
}
