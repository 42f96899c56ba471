import { leftBound } from './float-neighbours.js';
import type { TreeEnsemble } from './tree-ensemble.js';

/**
 * A tree ensemble compiled for scoring. Every split becomes "go left when x[feature] <= bound"
 * (strict and float32 comparisons are folded into the bound, see leftBound), so the scoring loop
 * is one comparison per level with no per-model branches.
 *
 * Layout `perfect` (trees no deeper than PERFECT_MAX_DEPTH, padding affordable): tree t is stored
 * as a complete binary tree of its depth D_t in breadth-first (heap) order, children of h at
 * 2h + 1 and 2h + 2, so no child indices are stored and every row takes exactly D_t steps. A leaf
 * above the bottom level is padded with splits whose two sides lead to copies of that leaf.
 * Layout `breadth-first` (anything else): nodes of a tree in breadth-first order, siblings
 * adjacent, `child[k]` the left child (right = left + 1); leaves have `feature = -1` and keep their
 * value in `bound`.
 * Leaf values are pre-multiplied by the ensemble's leaf scale. All arrays live on
 * SharedArrayBuffers so scoring workers read them without a copy.
 */
export type CompiledTreeEnsemble = {
  layout: 'perfect' | 'breadth-first';
  nFeatures: number;
  nTrees: number;
  baseScore: number;
  link: TreeEnsemble['link'];
  /** perfect: levels of tree t. */
  depth: Int32Array;
  /** First node of tree t in feature/bound/nanLeft (and child). */
  nodeStart: Int32Array;
  /** perfect: leafValue[leafStart[t] + h] is the leaf at heap position h (h >= 2^D - 1). */
  leafStart: Int32Array;
  feature: Int32Array;
  bound: Float64Array;
  /** 1 where a missing value (NaN) goes left. */
  nanLeft: Uint8Array;
  /** breadth-first only: left child (global index); empty for perfect. */
  child: Int32Array;
  leafValue: Float64Array;
  /** Whether any split sends NaN left (if none, NaN failing `<=` already goes the right way). */
  anyNanLeft: boolean;
};

/** Deepest tree this layout pads to a complete tree (2^13 leaves at most per tree). */
const PERFECT_MAX_DEPTH = 12;
/** The perfect layout may hold at most this many times the ensemble's real nodes (plus slack for small trees). */
const PERFECT_MAX_BLOW_UP = 8;

export type ComparisonPrecision = 'float64' | 'float32';

const shared = {
  int32: (n: number) => new Int32Array(new SharedArrayBuffer(Math.max(1, n) * 4)),
  float64: (n: number) => new Float64Array(new SharedArrayBuffer(Math.max(1, n) * 8)),
  uint8: (n: number) => new Uint8Array(new SharedArrayBuffer(Math.max(1, n))),
};

const cache = new WeakMap<TreeEnsemble, CompiledTreeEnsemble>();

/** The compiled form of `model`, built once per model object. */
export function compiledTreeEnsemble(model: TreeEnsemble): CompiledTreeEnsemble {
  let compiled = cache.get(model);
  if (compiled === undefined) {
    compiled = compileTreeEnsemble(model);
    cache.set(model, compiled);
  }
  return compiled;
}

export function compileTreeEnsemble(model: TreeEnsemble): CompiledTreeEnsemble {
  const depths = new Int32Array(model.nTrees);
  for (let t = 0; t < model.nTrees; t++) depths[t] = subtreeDepth(model, model.treeRoots[t]!);
  let padded = 0;
  let maxDepth = 0;
  for (let t = 0; t < model.nTrees; t++) {
    padded += 2 ** (depths[t]! + 1);
    maxDepth = Math.max(maxDepth, depths[t]!);
  }
  const realNodes = model.treeRoots[model.nTrees]! - model.treeRoots[0]!;
  const perfect = maxDepth <= PERFECT_MAX_DEPTH && padded <= PERFECT_MAX_BLOW_UP * realNodes + 64 * model.nTrees;
  return perfect ? compilePerfect(model, depths) : compileBreadthFirst(model);
}

function precisionOf(model: TreeEnsemble): ComparisonPrecision {
  return model.float32Inputs ? 'float32' : 'float64';
}

function subtreeDepth(model: TreeEnsemble, root: number): number {
  let deepest = 0;
  const stack = [root, 0];
  while (stack.length > 0) {
    const d = stack.pop()!;
    const node = stack.pop()!;
    if (model.feature[node]! < 0) deepest = Math.max(deepest, d);
    else stack.push(model.left[node]!, d + 1, model.right[node]!, d + 1);
  }
  return deepest;
}

function compilePerfect(model: TreeEnsemble, depths: Int32Array): CompiledTreeEnsemble {
  const nTrees = model.nTrees;
  const nodeStart = shared.int32(nTrees + 1);
  const leafStart = shared.int32(nTrees);
  let nodes = 0;
  let leaves = 0;
  for (let t = 0; t < nTrees; t++) {
    nodeStart[t] = nodes;
    const internal = 2 ** depths[t]! - 1;
    // leafValue index = leafStart + heap position; heap positions of leaves start at `internal`.
    leafStart[t] = leaves - internal;
    nodes += internal;
    leaves += internal + 1;
  }
  nodeStart[nTrees] = nodes;
  const feature = shared.int32(nodes);
  const bound = shared.float64(nodes);
  const nanLeft = shared.uint8(nodes);
  const leafValue = shared.float64(leaves);
  const precision = precisionOf(model);
  let anyNanLeft = false;
  for (let t = 0; t < nTrees; t++) {
    const D = depths[t]!;
    const start = nodeStart[t]!;
    const stack = [model.treeRoots[t]!, 0, 0];
    while (stack.length > 0) {
      const level = stack.pop()!;
      const h = stack.pop()!;
      const node = stack.pop()!;
      const f = model.feature[node]!;
      if (level === D) {
        leafValue[leafStart[t]! + h] = model.value[node]! * model.leafScale;
        continue;
      }
      if (f < 0) {
        // Padding: both sides reach a copy of this leaf, so the comparison cannot matter.
        feature[start + h] = 0;
        bound[start + h] = 0;
        stack.push(node, 2 * h + 1, level + 1, node, 2 * h + 2, level + 1);
        continue;
      }
      feature[start + h] = f;
      bound[start + h] = leftBound(model.threshold[node]!, model.decision, precision);
      nanLeft[start + h] = model.missingGoesLeft[node]!;
      if (model.missingGoesLeft[node] === 1) anyNanLeft = true;
      stack.push(model.left[node]!, 2 * h + 1, level + 1, model.right[node]!, 2 * h + 2, level + 1);
    }
  }
  return {
    layout: 'perfect',
    nFeatures: model.nFeatures,
    nTrees,
    baseScore: model.baseScore,
    link: model.link,
    depth: Int32Array.from(depths),
    nodeStart,
    leafStart,
    feature,
    bound,
    nanLeft,
    child: new Int32Array(0),
    leafValue,
    anyNanLeft,
  };
}

function compileBreadthFirst(model: TreeEnsemble): CompiledTreeEnsemble {
  const nTrees = model.nTrees;
  const total = model.treeRoots[nTrees]! - model.treeRoots[0]!;
  const nodeStart = shared.int32(nTrees + 1);
  const feature = shared.int32(total);
  const bound = shared.float64(total);
  const nanLeft = shared.uint8(total);
  const child = shared.int32(total);
  const precision = precisionOf(model);
  let anyNanLeft = false;
  let next = 0;
  for (let t = 0; t < nTrees; t++) {
    nodeStart[t] = next;
    // Breadth-first queue of original nodes; a node's position is fixed when it is enqueued.
    const queue = [model.treeRoots[t]!];
    let at = next;
    next++;
    for (let q = 0; q < queue.length; q++, at++) {
      const node = queue[q]!;
      const f = model.feature[node]!;
      feature[at] = f;
      if (f < 0) {
        bound[at] = model.value[node]! * model.leafScale;
        continue;
      }
      bound[at] = leftBound(model.threshold[node]!, model.decision, precision);
      nanLeft[at] = model.missingGoesLeft[node]!;
      if (model.missingGoesLeft[node] === 1) anyNanLeft = true;
      child[at] = next;
      next += 2;
      queue.push(model.left[node]!, model.right[node]!);
    }
  }
  nodeStart[nTrees] = next;
  return {
    layout: 'breadth-first',
    nFeatures: model.nFeatures,
    nTrees,
    baseScore: model.baseScore,
    link: model.link,
    depth: new Int32Array(nTrees),
    nodeStart,
    leafStart: new Int32Array(nTrees),
    feature,
    bound,
    nanLeft,
    child,
    leafValue: new Float64Array(0),
    anyNanLeft,
  };
}
