import { goesLeft, type TreeEnsemble } from '../trees/tree-ensemble.js';

/**
 * Partial dependence of a tree ensemble's margin by weighted tree traversal, scikit-learn's
 * method="recursion" (Friedman 2001, section 8.2; sklearn's Tree.compute_partial_dependence): at a
 * split on a grid feature the point follows its branch; at a split on any other feature it goes
 * both ways, weighted by the share of training cover each child received. The estimand is
 * therefore the margin averaged over the trees' training distribution (the covers), not over rows
 * you send; it equals brute force on the margin when the other features are independent of the
 * grid features in that distribution. Each child's weight is its own cover over its parent's (sklearn:
 * 1 - the left share; the same when covers add up), so the value at a point x_S is path-dependent
 * TreeSHAP's E[f(x) | x_S] (Lundberg, Erion & Lee 2018, Algorithm 1). Like HistGradientBoosting's recursion the base score is
 * included (sklearn's GradientBoosting* leaves out its init estimator, a constant offset).
 *
 * `points` is row-major, `features.length` values per grid point; returns one margin per point.
 */
export function recursionPartialDependence(model: TreeEnsemble, features: readonly number[], points: Float64Array, nPoints: number): Float64Array {
  const width = features.length;
  const slot = new Int32Array(model.nFeatures).fill(-1);
  features.forEach((f, s) => (slot[f] = s));
  const out = new Float64Array(nPoints);
  const nodeStack = new Int32Array(model.maxDepth + 2 + model.maxDepth);
  const weightStack = new Float64Array(nodeStack.length);
  for (let p = 0; p < nPoints; p++) {
    let total = 0;
    for (let t = 0; t < model.nTrees; t++) {
      let size = 1;
      nodeStack[0] = model.treeRoots[t]!;
      weightStack[0] = 1;
      let treeSum = 0;
      while (size > 0) {
        size--;
        const node = nodeStack[size]!;
        const weight = weightStack[size]!;
        const f = model.feature[node]!;
        if (f < 0) {
          treeSum += weight * model.value[node]!;
          continue;
        }
        const s = slot[f]!;
        if (s >= 0) {
          const x = points[p * width + s]!;
          nodeStack[size] = goesLeft(model, node, model.float32Inputs ? Math.fround(x) : x) ? model.left[node]! : model.right[node]!;
          weightStack[size++] = weight;
        } else {
          const cover = model.cover[node]!;
          nodeStack[size] = model.left[node]!;
          weightStack[size++] = (weight * model.cover[model.left[node]!]!) / cover;
          nodeStack[size] = model.right[node]!;
          weightStack[size++] = (weight * model.cover[model.right[node]!]!) / cover;
        }
      }
      total += treeSum;
    }
    out[p] = model.baseScore + total * model.leafScale;
  }
  return out;
}
