import type { TreeEnsemble } from '../trees/tree-ensemble.js';
import { predictMargin } from '../trees/predict.js';
import { additivityGap, type ShapleyExplanation } from './shapley-explanation.js';
import { buildFastTreeShapPlan, fastTreeShapCost, type FastTreeShapCost } from './fast-tree-shap.js';
import { fastTreeShapWasmInto } from './wasm-fast-tree-shap.js';

/** Table scratch budget of the precomputed algorithm: 2^22 entries (32 MB) for the largest tree; deeper trees (full trees beyond depth 9) run Algorithm 2. */
const MAX_TREE_TABLE_ENTRIES = 1 << 22;

/**
 * Fast TreeSHAP v2 (fast-tree-shap.ts) when its per-tree tables fit the budget and building them
 * (2^d d per leaf, once per call) costs less than it saves over Algorithm 2 (about d^2 per leaf and
 * row), or is negligible anyway; otherwise Algorithm 2. Both give the same values up to rounding.
 */
function useFastTreeShap(cost: FastTreeShapCost, nRows: number): boolean {
  if (cost.maxTreeEntries > MAX_TREE_TABLE_ENTRIES) return false;
  const build = BUILD_FACTOR * cost.tableWork;
  return build <= 100_000 || build + nRows * cost.linearWork <= nRows * 3 * cost.quadraticWork;
}
/** Measured: a unit of table work costs about 2.5 units of per-row work (Node 20, depths 6 and 8). */
const BUILD_FACTOR = 2.5;

/**
 * Path-dependent TreeSHAP: Lundberg, Erion & Lee 2018, "Consistent individualized feature
 * attribution for tree ensembles", Algorithm 2 (the same recursion as shap's tree_shap.h).
 * The value function is E[f(x) | x_S] estimated from the node covers (Algorithm 1, EXPVALUE):
 * at a split on a feature outside S both children are followed, weighted by cover(child) /
 * cover(node). Values explain the margin (raw score before the link), so they add up to
 * predictMargin; the base value is the cover-weighted expected margin.
 *
 * Exact in O(T L D^2) per row. The path of each recursion level is a slice of four
 * preallocated typed arrays (feature, zero fraction, one fraction, permutation weight).
 * For more than a few rows of trees up to about depth 9 the same values come from Fast TreeSHAP v2
 * (Yang 2021; fast-tree-shap.ts): per-leaf tables over the 2^D cold/hot patterns of the path's
 * features, then O(T L D) per row, its row loops in WebAssembly (wasm-fast-tree-shap.ts: the same
 * values as `fastTreeShapInto`, bit for bit). `useFastTreeShap` chooses; results agree to rounding (~1e-16).
 */
export type TreeShapAlgorithm = 'auto' | 'fast-v2' | 'algorithm-2';

export function treeShapPathDependent(model: TreeEnsemble, X: Float64Array, nRows: number, algorithm: TreeShapAlgorithm = 'auto'): ShapleyExplanation {
  const m = model.nFeatures;
  if (X.length < nRows * m) throw new RangeError(`X holds ${X.length} values, fewer than ${nRows} rows x ${m} features`);
  const values = new Float64Array(nRows * m);
  const cost = fastTreeShapCost(model);
  const fast = algorithm === 'fast-v2' ? cost.maxTreeEntries <= MAX_TREE_TABLE_ENTRIES : algorithm === 'auto' && useFastTreeShap(cost, nRows);
  // The tables divide by each zero fraction z_k: when 1 / z_k overflows (a product of cover ratios below
  // about 5.6e-309, or one that underflowed to 0) they would hold Infinity or NaN, while Algorithm 2
  // handles it, so such trees run Algorithm 2.
  const plan = fast ? buildFastTreeShapPlan(model, cost) : null;
  if (plan !== null && plan.slotZero.every((z) => 1 / z < Infinity)) {
    const data = new Float64Array(nRows * m);
    for (let i = 0; i < nRows * m; i++) data[i] = model.float32Inputs ? Math.fround(X[i]!) : X[i]!;
    fastTreeShapWasmInto(plan, data, nRows, m, values);
  } else {
    const w = createWorkspace(model);
    const row = new Float64Array(m);
    for (let r = 0; r < nRows; r++) {
      for (let j = 0; j < m; j++) row[j] = model.float32Inputs ? Math.fround(X[r * m + j]!) : X[r * m + j]!;
      w.x = row;
      w.phi = values.subarray(r * m, (r + 1) * m);
      for (let t = 0; t < model.nTrees; t++) recurse(w, model.treeRoots[t]!, 0, 0, 1, 1, -1);
    }
  }
  const baseValue = expectedMargin(model);
  const outputs = predictMargin(model, X, nRows);
  return { baseValue, values, outputs, nRows, nFeatures: m, additivityGap: additivityGap(values, baseValue, outputs, nRows, m) };
}

/** baseScore + sum over trees of the cover-weighted mean leaf value (EXPVALUE with S empty), with the same cover(child) / cover(node) ratios as the recursion. */
export function expectedMargin(model: TreeEnsemble): number {
  let total = model.baseScore;
  for (let t = 0; t < model.nTrees; t++) total += model.leafScale * expectedNodeValue(model, model.treeRoots[t]!);
  return total;
}

function expectedNodeValue(model: TreeEnsemble, node: number): number {
  if (model.feature[node]! < 0) return model.value[node]!;
  const l = model.left[node]!;
  const r = model.right[node]!;
  const c = model.cover[node]!;
  return (model.cover[l]! / c) * expectedNodeValue(model, l) + (model.cover[r]! / c) * expectedNodeValue(model, r);
}

type Workspace = {
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  missingGoesLeft: Uint8Array;
  value: Float64Array;
  cover: Float64Array;
  strict: boolean;
  leafScale: number;
  pathFeature: Int32Array;
  pathZero: Float64Array;
  pathOne: Float64Array;
  pathWeight: Float64Array;
  x: Float64Array;
  phi: Float64Array;
  /** ratio[d * stride + i] = (d + 1) / (i + 1) and share[d * stride + i] = (d - i) / (d + 1): the divisions of EXTEND/UNWIND, tabulated. */
  ratio: Float64Array;
  share: Float64Array;
  stride: number;
};

function createWorkspace(model: TreeEnsemble): Workspace {
  // The level at path length d starts at 1 + 2 + ... + d and holds d + 1 entries; leaves sit at d <= maxDepth.
  const maxd = model.maxDepth + 2;
  const size = (maxd * (maxd + 1)) / 2 + maxd;
  return {
    feature: model.feature,
    threshold: model.threshold,
    left: model.left,
    right: model.right,
    missingGoesLeft: model.missingGoesLeft,
    value: model.value,
    cover: model.cover,
    strict: model.decision === '<',
    leafScale: model.leafScale,
    pathFeature: new Int32Array(size),
    pathZero: new Float64Array(size),
    pathOne: new Float64Array(size),
    pathWeight: new Float64Array(size),
    x: new Float64Array(0),
    phi: new Float64Array(0),
    ratio: table(maxd + 1, (d, i) => (d + 1) / (i + 1)),
    share: table(maxd + 1, (d, i) => (d - i) / (d + 1)),
    stride: maxd + 1,
  };
}

function table(n: number, f: (d: number, i: number) => number): Float64Array {
  const t = new Float64Array(n * n);
  for (let d = 0; d < n; d++) for (let i = 0; i <= d; i++) t[d * n + i] = f(d, i);
  return t;
}

/** EXTEND: add a feature with the given zero/one fractions to the path at `p` of length `depth`. */
function extendPath(w: Workspace, p: number, depth: number, zero: number, one: number, feature: number): void {
  const pw = w.pathWeight;
  w.pathFeature[p + depth] = feature;
  w.pathZero[p + depth] = zero;
  w.pathOne[p + depth] = one;
  pw[p + depth] = depth === 0 ? 1 : 0;
  for (let i = depth - 1; i >= 0; i--) {
    pw[p + i + 1]! += (one * pw[p + i]! * (i + 1)) / (depth + 1);
    pw[p + i] = (zero * pw[p + i]! * (depth - i)) / (depth + 1);
  }
}

/** UNWIND: remove path element `index`, inverting EXTEND. */
function unwindPath(w: Workspace, p: number, depth: number, index: number): void {
  const pw = w.pathWeight;
  const one = w.pathOne[p + index]!;
  const zero = w.pathZero[p + index]!;
  let next = pw[p + depth]!;
  for (let i = depth - 1; i >= 0; i--) {
    if (one !== 0) {
      const tmp = pw[p + i]!;
      pw[p + i] = (next * (depth + 1)) / ((i + 1) * one);
      next = tmp - (pw[p + i]! * zero * (depth - i)) / (depth + 1);
    } else {
      pw[p + i] = (pw[p + i]! * (depth + 1)) / (zero * (depth - i));
    }
  }
  for (let i = index; i < depth; i++) {
    w.pathFeature[p + i] = w.pathFeature[p + i + 1]!;
    w.pathZero[p + i] = w.pathZero[p + i + 1]!;
    w.pathOne[p + i] = w.pathOne[p + i + 1]!;
  }
}

/**
 * Sum of the permutation weights the path would have with element `index` unwound, without
 * modifying it. One fractions are only ever 0 or 1 here (a feature either follows x or not).
 */
function unwoundPathSum(w: Workspace, p: number, depth: number, index: number): number {
  const pw = w.pathWeight;
  const one = w.pathOne[p + index]!;
  const zero = w.pathZero[p + index]!;
  const row = depth * w.stride;
  const ratio = w.ratio;
  const share = w.share;
  let total = 0;
  if (one !== 0) {
    let next = pw[p + depth]!;
    const zeroOverOne = zero / one;
    const invOne = 1 / one;
    for (let i = depth - 1; i >= 0; i--) {
      const tmp = next * ratio[row + i]! * invOne;
      total += tmp;
      next = pw[p + i]! - tmp * zeroOverOne * one * share[row + i]!;
    }
  } else if (zero !== 0) {
    for (let i = depth - 1; i >= 0; i--) total += pw[p + i]! / share[row + i]!;
    total /= zero;
  }
  return total;
}

/**
 * RECURSE of Algorithm 2. The parent's path holds `depth` entries from `parentP`; this level copies
 * them to `parentP + depth`, just past them, so siblings still find the parent's path intact.
 */
function recurse(w: Workspace, node: number, parentP: number, depth: number, zero: number, one: number, parentFeature: number): void {
  const p = parentP + depth;
  for (let i = 0; i < depth; i++) {
    w.pathFeature[p + i] = w.pathFeature[parentP + i]!;
    w.pathZero[p + i] = w.pathZero[parentP + i]!;
    w.pathOne[p + i] = w.pathOne[parentP + i]!;
    w.pathWeight[p + i] = w.pathWeight[parentP + i]!;
  }
  extendPath(w, p, depth, zero, one, parentFeature);

  const split = w.feature[node]!;
  if (split < 0) {
    const leaf = w.value[node]! * w.leafScale;
    // For elements with one fraction 0 the unwound sum is sum_i pw[i] / share(i) / zero, the same
    // sum for all of them, so it is computed once per leaf.
    let coldSum = NaN;
    for (let i = 1; i <= depth; i++) {
      const one = w.pathOne[p + i]!;
      const zero = w.pathZero[p + i]!;
      let s: number;
      if (one !== 0) s = unwoundPathSum(w, p, depth, i);
      else {
        if (coldSum !== coldSum) {
          coldSum = 0;
          const row = depth * w.stride;
          for (let k = depth - 1; k >= 0; k--) coldSum += w.pathWeight[p + k]! / w.share[row + k]!;
        }
        s = zero !== 0 ? coldSum / zero : 0;
      }
      w.phi[w.pathFeature[p + i]!]! += s * (one - zero) * leaf;
    }
    return;
  }

  const v = w.x[split]!;
  const toLeft = v !== v ? w.missingGoesLeft[node] === 1 : w.strict ? v < w.threshold[node]! : v <= w.threshold[node]!;
  const hot = toLeft ? w.left[node]! : w.right[node]!;
  const cold = toLeft ? w.right[node]! : w.left[node]!;
  const c = w.cover[node]!;
  const hotZero = w.cover[hot]! / c;
  const coldZero = w.cover[cold]! / c;
  let incomingZero = 1;
  let incomingOne = 1;
  let d = depth;
  // A feature already split on higher up is unwound first, so each feature appears once on the path.
  let k = 0;
  for (; k <= d; k++) if (w.pathFeature[p + k] === split) break;
  if (k !== d + 1) {
    incomingZero = w.pathZero[p + k]!;
    incomingOne = w.pathOne[p + k]!;
    unwindPath(w, p, d, k);
    d -= 1;
  }
  recurse(w, hot, p, d + 1, hotZero * incomingZero, incomingOne, split);
  recurse(w, cold, p, d + 1, coldZero * incomingZero, 0, split);
}
