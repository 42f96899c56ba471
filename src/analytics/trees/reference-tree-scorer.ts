import type { TreeEnsemble } from './tree-ensemble.js';

/**
 * The plain node-by-node walk of the TreeEnsemble arrays, the definition the compiled scorer
 * (compiled-tree-scorer.ts) must reproduce; kept for tests and as executable documentation.
 * A float32 model rounds each input with Math.fround before comparing.
 */
export function referencePredictMargin(model: TreeEnsemble, X: Float64Array, nRows: number): Float64Array {
  const m = model.nFeatures;
  const out = new Float64Array(nRows).fill(model.baseScore);
  const { feature, threshold, left, right, missingGoesLeft, value, treeRoots, leafScale } = model;
  const strict = model.decision === '<';
  for (let t = 0; t < model.nTrees; t++) {
    for (let r = 0; r < nRows; r++) {
      let node = treeRoots[t]!;
      let f = feature[node]!;
      while (f >= 0) {
        const raw = X[r * m + f]!;
        const v = model.float32Inputs ? Math.fround(raw) : raw;
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
