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
  if (features.length === 1 && isAscendingWithoutNaN(points, nPoints)) return ascendingGridPartialDependence(model, features[0]!, points, nPoints);
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

function isAscendingWithoutNaN(points: Float64Array, nPoints: number): boolean {
  for (let p = 0; p < nPoints; p++) if (!(points[p]! >= (p === 0 ? -Infinity : points[p - 1]!))) return false;
  return true;
}

/**
 * One feature, grid ascending: a split on the feature sends a prefix of any run of grid points left
 * (the comparison is monotone in the value, float32 rounding included), so each tree is walked once
 * for the whole grid carrying a range of points instead of once per point. Each point meets the same
 * leaves in the same order with the same weights as in the walk per point, so the sums are identical.
 */
function ascendingGridPartialDependence(model: TreeEnsemble, feature: number, points: Float64Array, nPoints: number): Float64Array {
  const value = (p: number) => (model.float32Inputs ? Math.fround(points[p]!) : points[p]!);
  const total = new Float64Array(nPoints);
  const treeSum = new Float64Array(nPoints);
  const size0 = 2 * model.maxDepth + 2;
  const nodeStack = new Int32Array(size0);
  const weightStack = new Float64Array(size0);
  const loStack = new Int32Array(size0);
  const hiStack = new Int32Array(size0);
  for (let t = 0; t < model.nTrees; t++) {
    treeSum.fill(0);
    let size = 1;
    nodeStack[0] = model.treeRoots[t]!;
    weightStack[0] = 1;
    loStack[0] = 0;
    hiStack[0] = nPoints;
    while (size > 0) {
      size--;
      const node = nodeStack[size]!;
      const weight = weightStack[size]!;
      const lo = loStack[size]!;
      const hi = hiStack[size]!;
      const f = model.feature[node]!;
      if (f < 0) {
        const leaf = weight * model.value[node]!;
        for (let p = lo; p < hi; p++) treeSum[p]! += leaf;
        continue;
      }
      if (f === feature) {
        // First point of the run that goes right (binary search on the monotone comparison).
        let a = lo;
        let b = hi;
        while (a < b) {
          const mid = (a + b) >>> 1;
          if (goesLeft(model, node, value(mid))) a = mid + 1;
          else b = mid;
        }
        if (lo < a) {
          nodeStack[size] = model.left[node]!;
          weightStack[size] = weight;
          loStack[size] = lo;
          hiStack[size++] = a;
        }
        if (a < hi) {
          nodeStack[size] = model.right[node]!;
          weightStack[size] = weight;
          loStack[size] = a;
          hiStack[size++] = hi;
        }
        continue;
      }
      const cover = model.cover[node]!;
      nodeStack[size] = model.left[node]!;
      weightStack[size] = (weight * model.cover[model.left[node]!]!) / cover;
      loStack[size] = lo;
      hiStack[size++] = hi;
      nodeStack[size] = model.right[node]!;
      weightStack[size] = (weight * model.cover[model.right[node]!]!) / cover;
      loStack[size] = lo;
      hiStack[size++] = hi;
    }
    for (let p = 0; p < nPoints; p++) total[p]! += treeSum[p]!;
  }
  const out = new Float64Array(nPoints);
  for (let p = 0; p < nPoints; p++) out[p] = model.baseScore + total[p]! * model.leafScale;
  return out;
}
