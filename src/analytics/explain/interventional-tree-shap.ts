import type { TreeEnsemble } from '../trees/tree-ensemble.js';
import { leftBound } from '../trees/float-neighbours.js';
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
export type InterventionalAlgorithm = 'auto' | 'path-walk' | 'leaf-tables';

/**
 * Two exact algorithms, same values up to rounding:
 * - `path-walk`: the traversal above, for every row x background row x tree;
 * - `leaf-tables`: a leaf's game depends on x and z only through which of its path's features each
 *   satisfies (x satisfies feature i when it goes the path's way at every split on i). With
 *   k distinct features on the path, a leaf contributes for x-pattern X and z-pattern Z (k-bit masks)
 *   iff X | Z is all ones, with A = X & ~Z and B = Z & ~X. The background is summarised per leaf
 *   as counts of its Z patterns; a table over all 2^k X patterns then holds the leaf's share of
 *   every path feature's value, so a row costs one pattern and k additions per leaf:
 *   O(L 2^k (#patterns) k) once, O(L D) per row. `auto` uses it for more than a handful of rows
 *   while the tables stay small (<= 2^22 entries).
 */
export function treeShapInterventional(model: TreeEnsemble, X: Float64Array, nRows: number, background: FeatureMatrix, algorithm: InterventionalAlgorithm = 'auto'): ShapleyExplanation {
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
  const tables = algorithm === 'path-walk' ? null : leafTables(model, background, positive, negative, stride, algorithm === 'leaf-tables' ? Infinity : LEAF_TABLE_LIMIT);
  if (tables !== null && (algorithm === 'leaf-tables' || nRows >= 8)) return withBaseValue(model, X, nRows, background, valuesFromTables(model, tables, X, nRows));
  // Which way every background row goes at every split, decided once (the compiled bounds fold
  // strict and float32 comparisons into one `<=`); the instance's ways are decided once per row.
  const nNodes = model.feature.length;
  const bound = splitBounds(model);
  const zLeft = new Uint8Array(nB * nNodes);
  for (let b = 0; b < nB; b++) goesLeftAll(model, bound, background.data, b * m, zLeft, b * nNodes);
  const xLeft = new Uint8Array(nNodes);
  const origin = new Uint8Array(m);
  const pathFeature = new Int32Array(maxLen + 1);
  const { feature, left, right, value } = model;
  const leafScale = model.leafScale;
  let pathLength = 0;
  let zBase = 0;
  let phi = new Float64Array(0);

  const walk = (node: number, a: number, b: number): void => {
    for (;;) {
      const f = feature[node]!;
      if (f < 0) {
        if (a + b === 0) return;
        const leaf = value[node]! * leafScale;
        const pos = leaf * positive[a * stride + b]!;
        const neg = leaf * negative[a * stride + b]!;
        for (let i = 0; i < pathLength; i++) {
          const g = pathFeature[i]!;
          if (origin[g] === 1) phi[g]! += pos;
          else phi[g]! -= neg;
        }
        return;
      }
      const xl = xLeft[node]!;
      const xChild = xl === 1 ? left[node]! : right[node]!;
      if (xl === zLeft[zBase + node]) {
        node = xChild;
        continue;
      }
      const zChild = xl === 1 ? right[node]! : left[node]!;
      const o = origin[f]!;
      // A feature already fixed on this path must keep its side: it cannot be both in and out of S.
      if (o === 1) {
        node = xChild;
        continue;
      }
      if (o === 2) {
        node = zChild;
        continue;
      }
      pathFeature[pathLength++] = f;
      origin[f] = 1;
      walk(xChild, a + 1, b);
      origin[f] = 2;
      walk(zChild, a, b + 1);
      origin[f] = 0;
      pathLength--;
      return;
    }
  };

  const values = new Float64Array(nRows * m);
  for (let r = 0; r < nRows; r++) {
    goesLeftAll(model, bound, X, r * m, xLeft, 0);
    phi = values.subarray(r * m, (r + 1) * m);
    for (let b = 0; b < nB; b++) {
      zBase = b * nNodes;
      for (let t = 0; t < model.nTrees; t++) walk(model.treeRoots[t]!, 0, 0);
    }
    for (let j = 0; j < m; j++) phi[j]! /= nB;
  }
  return withBaseValue(model, X, nRows, background, values);
}

function withBaseValue(model: TreeEnsemble, X: Float64Array, nRows: number, background: FeatureMatrix, values: Float64Array): ShapleyExplanation {
  const m = model.nFeatures;
  const nB = background.nRows;
  const backgroundMargins = predictMargin(model, background.data, nB);
  let baseValue = 0;
  for (let b = 0; b < nB; b++) baseValue += backgroundMargins[b]!;
  baseValue /= nB;
  const outputs = predictMargin(model, X, nRows);
  return { baseValue, values, outputs, nRows, nFeatures: m, additivityGap: additivityGap(values, baseValue, outputs, nRows, m) };
}

/** Largest total size of the leaf tables (sum over leaves of 2^k x k doubles) `auto` builds. */
const LEAF_TABLE_LIMIT = 1 << 22;

type LeafTables = {
  nLeaves: number;
  /** Path splits of leaf l: pathNode[pathStart[l] .. pathStart[l + 1] - 1], with the way the path takes (1 = left) and the local index of its feature. */
  pathStart: Int32Array;
  pathNode: Int32Array;
  pathLeft: Uint8Array;
  pathLocal: Int32Array;
  /** Distinct features of leaf l's path: feature[featureStart[l] .. featureStart[l + 1] - 1]. */
  featureStart: Int32Array;
  feature: Int32Array;
  /** table[tableStart[l] + X * k + i]: leaf l's contribution to its i-th feature for x-pattern X. */
  tableStart: Int32Array;
  table: Float64Array;
};

function leafTables(model: TreeEnsemble, background: FeatureMatrix, positive: Float64Array, negative: Float64Array, stride: number, limit: number): LeafTables | null {
  // Leaves and their paths, depth-first from every root.
  const pathStart: number[] = [0];
  const pathNode: number[] = [];
  const pathLeft: number[] = [];
  const pathLocal: number[] = [];
  const featureStart: number[] = [0];
  const features: number[] = [];
  const leafNode: number[] = [];
  const stackNodes: number[] = [];
  const stackLeft: number[] = [];
  let tableSize = 0;
  const visit = (node: number): void => {
    const f = model.feature[node]!;
    if (f >= 0) {
      stackNodes.push(node);
      stackLeft.push(1);
      visit(model.left[node]!);
      stackLeft[stackLeft.length - 1] = 0;
      visit(model.right[node]!);
      stackNodes.pop();
      stackLeft.pop();
      return;
    }
    const distinct: number[] = [];
    for (let i = 0; i < stackNodes.length; i++) {
      const g = model.feature[stackNodes[i]!]!;
      let local = distinct.indexOf(g);
      if (local < 0) local = distinct.push(g) - 1;
      pathNode.push(stackNodes[i]!);
      pathLeft.push(stackLeft[i]!);
      pathLocal.push(local);
    }
    pathStart.push(pathNode.length);
    features.push(...distinct);
    featureStart.push(features.length);
    leafNode.push(node);
    tableSize += 2 ** distinct.length * distinct.length;
  };
  for (let t = 0; t < model.nTrees; t++) {
    visit(model.treeRoots[t]!);
    if (tableSize > limit) return null;
  }
  const nLeaves = leafNode.length;
  const tables: LeafTables = {
    nLeaves,
    pathStart: Int32Array.from(pathStart),
    pathNode: Int32Array.from(pathNode),
    pathLeft: Uint8Array.from(pathLeft),
    pathLocal: Int32Array.from(pathLocal),
    featureStart: Int32Array.from(featureStart),
    feature: Int32Array.from(features),
    tableStart: new Int32Array(nLeaves + 1),
    table: new Float64Array(tableSize),
  };
  const m = model.nFeatures;
  const nB = background.nRows;
  const bound = splitBounds(model);
  const zLeft = new Uint8Array(model.feature.length);
  // counts[l][Z]: background rows with pattern Z at leaf l (sparse: pattern list per leaf).
  const maxK = Math.max(0, ...Array.from({ length: nLeaves }, (_, l) => featureStart[l + 1]! - featureStart[l]!));
  const patterns = new Int32Array(nLeaves * Math.min(nB, 2 ** maxK));
  const patternCount = new Float64Array(patterns.length);
  const nPatterns = new Int32Array(nLeaves);
  const perLeaf = Math.min(nB, 2 ** maxK);
  for (let b = 0; b < nB; b++) {
    goesLeftAll(model, bound, background.data, b * m, zLeft, 0);
    for (let l = 0; l < nLeaves; l++) {
      const Z = pattern(tables, l, zLeft, (featureStart[l + 1]! - featureStart[l]!));
      const base = l * perLeaf;
      let q = 0;
      while (q < nPatterns[l]! && patterns[base + q] !== Z) q++;
      if (q === nPatterns[l]) {
        patterns[base + q] = Z;
        nPatterns[l]!++;
      }
      patternCount[base + q]! += 1;
    }
  }
  let at = 0;
  for (let l = 0; l < nLeaves; l++) {
    tables.tableStart[l] = at;
    const k = featureStart[l + 1]! - featureStart[l]!;
    const full = (1 << k) - 1;
    const leaf = model.value[leafNode[l]!]! * model.leafScale / nB;
    const base = l * perLeaf;
    for (let xp = 0; xp <= full; xp++, at += k) {
      for (let q = 0; q < nPatterns[l]!; q++) {
        const Z = patterns[base + q]!;
        if ((xp | Z) !== full) continue;
        const A = xp & ~Z;
        const B = Z & ~xp;
        if ((A | B) === 0) continue;
        const a = popcount(A);
        const bb = popcount(B);
        const w = leaf * patternCount[base + q]!;
        const pos = w * positive[a * stride + bb]!;
        const neg = w * negative[a * stride + bb]!;
        for (let i = 0; i < k; i++) {
          if ((A >>> i) & 1) tables.table[at + i]! += pos;
          else if ((B >>> i) & 1) tables.table[at + i]! -= neg;
        }
      }
    }
  }
  tables.tableStart[nLeaves] = at;
  return tables;
}

/** The k-bit pattern of leaf l for a row whose ways are `goesLeft`: bit i set when the row satisfies every split on local feature i. */
function pattern(tables: LeafTables, l: number, goesLeft: Uint8Array, k: number): number {
  let p = (1 << k) - 1;
  for (let s = tables.pathStart[l]!; s < tables.pathStart[l + 1]!; s++) if (goesLeft[tables.pathNode[s]!] !== tables.pathLeft[s]) p &= ~(1 << tables.pathLocal[s]!);
  return p;
}

/** Rows whose ways are decided together; each leaf's table (2^k x k doubles) then serves the whole block from cache. */
const TABLE_ROW_BLOCK = 32;

function valuesFromTables(model: TreeEnsemble, tables: LeafTables, X: Float64Array, nRows: number): Float64Array {
  const m = model.nFeatures;
  const nNodes = model.feature.length;
  const values = new Float64Array(nRows * m);
  const bound = splitBounds(model);
  const xLeft = new Uint8Array(TABLE_ROW_BLOCK * nNodes);
  const { featureStart, feature, tableStart, table, pathStart, pathNode, pathLeft, pathLocal } = tables;
  for (let first = 0; first < nRows; first += TABLE_ROW_BLOCK) {
    const count = Math.min(TABLE_ROW_BLOCK, nRows - first);
    for (let r = 0; r < count; r++) goesLeftAll(model, bound, X, (first + r) * m, xLeft, r * nNodes);
    for (let l = 0; l < tables.nLeaves; l++) {
      const fs = featureStart[l]!;
      const k = featureStart[l + 1]! - fs;
      const ps = pathStart[l]!;
      const pe = pathStart[l + 1]!;
      const ts = tableStart[l]!;
      for (let r = 0, xo = 0, phiBase = first * m; r < count; r++, xo += nNodes, phiBase += m) {
        let p = (1 << k) - 1;
        for (let s = ps; s < pe; s++) if (xLeft[xo + pathNode[s]!] !== pathLeft[s]) p &= ~(1 << pathLocal[s]!);
        const at = ts + p * k;
        for (let i = 0; i < k; i++) values[phiBase + feature[fs + i]!]! += table[at + i]!;
      }
    }
  }
  return values;
}

function popcount(v: number): number {
  let c = 0;
  for (let x = v; x !== 0; x &= x - 1) c++;
  return c;
}

/** Per node of the TreeEnsemble arrays, the float64 bound `x <= bound` that sends a non-missing x left. */
function splitBounds(model: TreeEnsemble): Float64Array {
  const out = new Float64Array(model.feature.length);
  const precision = model.float32Inputs ? 'float32' : 'float64';
  for (let n = 0; n < out.length; n++) if (model.feature[n]! >= 0) out[n] = leftBound(model.threshold[n]!, model.decision, precision);
  return out;
}

/** 1 at every split where the row starting at `data[offset]` goes left (missing values follow missingGoesLeft). */
function goesLeftAll(model: TreeEnsemble, bound: Float64Array, data: Float64Array, offset: number, out: Uint8Array, outOffset: number): void {
  const { feature, missingGoesLeft } = model;
  for (let n = 0; n < bound.length; n++) {
    const f = feature[n]!;
    if (f < 0) continue;
    const v = data[offset + f]!;
    out[outOffset + n] = v !== v ? missingGoesLeft[n]! : v <= bound[n]! ? 1 : 0;
  }
}

function binomialCoefficient(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - i + 1)) / i;
  return Math.round(r);
}
