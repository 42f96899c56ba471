import type { TreeEnsemble } from '../trees/tree-ensemble.js';
import { predictMargin } from '../trees/predict.js';
import type { FeatureMatrix } from './model-contract.js';
import { additivityGap, type ShapleyExplanation } from './shapley-explanation.js';

/**
 * Interventional ("independent") TreeSHAP: Lundberg et al. 2020, "From local explanations to
 * global understanding with explainable AI for trees", Methods. For an instance x and one
 * background row z, the game v(S) = f(x_S, z_notS) of a tree is evaluated by one traversal: where
 * x and z go the same way the feature does not matter; where they part, the feature is either
 * taken from x (it must be in S) or from z (it must not be). A leaf reached with a features
 * required from x (set A) and b required from z (set B) is the indicator game "A in S and B
 * disjoint from S", whose Shapley values are
 *   value * (a-1)! b! / (a+b)!   for each feature of A,
 *  -value * a! (b-1)! / (a+b)!   for each feature of B.
 * Averaging over the background gives the interventional Shapley values of the margin; the base
 * value is the mean background margin. O(T L |background|) per row at worst.
 */
export function treeShapInterventional(model: TreeEnsemble, X: Float64Array, nRows: number, background: FeatureMatrix): ShapleyExplanation {
  const m = model.nFeatures;
  if (background.nFeatures !== m) throw new RangeError(`background has ${background.nFeatures} features, the model ${m}`);
  if (X.length < nRows * m) throw new RangeError(`X holds ${X.length} values, fewer than ${nRows} rows x ${m} features`);
  const nB = background.nRows;
  if (nB === 0) throw new RangeError('the background has no rows');
  const maxLen = model.maxDepth + 1;
  // positive[a*(D+1)+b] = (a-1)! b! / (a+b)!, negative[...] = a! (b-1)! / (a+b)!.
  const stride = maxLen + 1;
  const positive = new Float64Array(stride * stride);
  const negative = new Float64Array(stride * stride);
  for (let a = 0; a <= maxLen; a++) {
    for (let b = 0; a + b <= maxLen; b++) {
      if (a > 0) positive[a * stride + b] = 1 / (a * binomialCoefficient(a + b, a));
      if (b > 0) negative[a * stride + b] = 1 / (b * binomialCoefficient(a + b, b));
    }
  }
  const bg = model.float32Inputs ? Float64Array.from(Float32Array.from(background.data.subarray(0, nB * m))) : background.data;
  const w: Walk = {
    model,
    strict: model.decision === '<',
    x: new Float64Array(m),
    z: bg,
    zBase: 0,
    origin: new Uint8Array(m),
    pathFeature: new Int32Array(maxLen + 1),
    pathLength: 0,
    positive,
    negative,
    stride,
    phi: new Float64Array(m),
  };
  const values = new Float64Array(nRows * m);
  for (let r = 0; r < nRows; r++) {
    for (let j = 0; j < m; j++) w.x[j] = model.float32Inputs ? Math.fround(X[r * m + j]!) : X[r * m + j]!;
    w.phi = values.subarray(r * m, (r + 1) * m);
    for (let b = 0; b < nB; b++) {
      w.zBase = b * m;
      for (let t = 0; t < model.nTrees; t++) walk(w, model.treeRoots[t]!, 0, 0);
    }
    for (let j = 0; j < m; j++) w.phi[j]! /= nB;
  }
  const backgroundMargins = predictMargin(model, background.data, nB);
  let baseValue = 0;
  for (let b = 0; b < nB; b++) baseValue += backgroundMargins[b]!;
  baseValue /= nB;
  const outputs = predictMargin(model, X, nRows);
  return { baseValue, values, outputs, nRows, nFeatures: m, additivityGap: additivityGap(values, baseValue, outputs, nRows, m) };
}

type Walk = {
  model: TreeEnsemble;
  strict: boolean;
  x: Float64Array;
  z: Float64Array;
  zBase: number;
  /** 0: feature not yet split on where x and z part; 1: taken from x on this path; 2: taken from z. */
  origin: Uint8Array;
  pathFeature: Int32Array;
  pathLength: number;
  positive: Float64Array;
  negative: Float64Array;
  stride: number;
  phi: Float64Array;
};

function walk(w: Walk, node: number, a: number, b: number): void {
  const model = w.model;
  const f = model.feature[node]!;
  if (f < 0) {
    if (a + b === 0) return;
    const leaf = model.value[node]! * model.leafScale;
    const pos = leaf * w.positive[a * w.stride + b]!;
    const neg = leaf * w.negative[a * w.stride + b]!;
    for (let i = 0; i < w.pathLength; i++) {
      const g = w.pathFeature[i]!;
      if (w.origin[g] === 1) w.phi[g]! += pos;
      else w.phi[g]! -= neg;
    }
    return;
  }
  const th = model.threshold[node]!;
  const xv = w.x[f]!;
  const zv = w.z[w.zBase + f]!;
  const xLeft = xv !== xv ? model.missingGoesLeft[node] === 1 : w.strict ? xv < th : xv <= th;
  const zLeft = zv !== zv ? model.missingGoesLeft[node] === 1 : w.strict ? zv < th : zv <= th;
  const xChild = xLeft ? model.left[node]! : model.right[node]!;
  if (xLeft === zLeft) return walk(w, xChild, a, b);
  const zChild = zLeft ? model.left[node]! : model.right[node]!;
  const o = w.origin[f]!;
  // A feature already fixed on this path must keep its side: it cannot be both in and out of S.
  if (o === 1) return walk(w, xChild, a, b);
  if (o === 2) return walk(w, zChild, a, b);
  w.pathFeature[w.pathLength++] = f;
  w.origin[f] = 1;
  walk(w, xChild, a + 1, b);
  w.origin[f] = 2;
  walk(w, zChild, a, b + 1);
  w.origin[f] = 0;
  w.pathLength--;
}

function binomialCoefficient(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - i + 1)) / i;
  return Math.round(r);
}
