import type { TreeEnsemble } from './tree-ensemble.js';
import { TreeModelFormatError } from './tree-model-format-error.js';

/** One tree as a parser reads it: parallel arrays indexed by the document's node numbers; `feature` is -1 at leaves. */
export type ParsedTree = {
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  missingGoesLeft: Uint8Array;
  value: Float64Array;
  cover: Float64Array;
};

export type EnsembleHeader = Omit<
  TreeEnsemble,
  'nTrees' | 'treeRoots' | 'feature' | 'threshold' | 'left' | 'right' | 'missingGoesLeft' | 'value' | 'cover' | 'leafScale' | 'maxDepth'
>;

/**
 * Checks each tree's structure (children in range, every node reached at most once from the root,
 * which rules out cycles and shared subtrees) and lays all trees out depth-first in one set of
 * typed arrays. Nodes the root never reaches are dropped. `childField(t, n, side)` names the
 * document field holding node n's child, for the error.
 */
export function buildTreeEnsemble(header: EnsembleHeader, trees: ParsedTree[], childField: (tree: number, node: number, side: 'left' | 'right') => string): TreeEnsemble {
  const orders: Int32Array[] = [];
  const depths: number[] = [];
  let total = 0;
  for (let t = 0; t < trees.length; t++) {
    const tree = trees[t]!;
    const n = tree.feature.length;
    const seen = new Uint8Array(n);
    const order = new Int32Array(n);
    const depthOf = new Int32Array(n);
    const stack = [0];
    seen[0] = 1;
    let count = 0;
    let maxDepth = 0;
    while (stack.length > 0) {
      const node = stack.pop()!;
      order[count++] = node;
      if (tree.feature[node] === -1) {
        if (depthOf[node]! > maxDepth) maxDepth = depthOf[node]!;
        continue;
      }
      for (const side of ['right', 'left'] as const) {
        const child = tree[side][node]!;
        if (!Number.isInteger(child) || child < 0 || child >= n) throw new TreeModelFormatError(childField(t, node, side), `child index ${child} is not a node of this tree (0..${n - 1})`);
        if (seen[child] === 1) throw new TreeModelFormatError(childField(t, node, side), `node ${child} is reached twice (a cycle or a shared subtree)`);
        seen[child] = 1;
        depthOf[child] = depthOf[node]! + 1;
        stack.push(child);
      }
    }
    orders.push(order.subarray(0, count));
    depths.push(maxDepth);
    total += count;
  }

  const treeRoots = new Int32Array(trees.length + 1);
  const feature = new Int32Array(total);
  const threshold = new Float64Array(total);
  const left = new Int32Array(total);
  const right = new Int32Array(total);
  const missingGoesLeft = new Uint8Array(total);
  const value = new Float64Array(total);
  const cover = new Float64Array(total);
  let offset = 0;
  for (let t = 0; t < trees.length; t++) {
    const tree = trees[t]!;
    const order = orders[t]!;
    const globalIndex = new Int32Array(tree.feature.length).fill(-1);
    for (let k = 0; k < order.length; k++) globalIndex[order[k]!] = offset + k;
    treeRoots[t] = offset;
    for (let k = 0; k < order.length; k++) {
      const local = order[k]!;
      const g = offset + k;
      feature[g] = tree.feature[local]!;
      cover[g] = tree.cover[local]!;
      if (tree.feature[local] === -1) {
        value[g] = tree.value[local]!;
        left[g] = -1;
        right[g] = -1;
      } else {
        threshold[g] = tree.threshold[local]!;
        left[g] = globalIndex[tree.left[local]!]!;
        right[g] = globalIndex[tree.right[local]!]!;
        missingGoesLeft[g] = tree.missingGoesLeft[local]!;
      }
    }
    offset += order.length;
  }
  treeRoots[trees.length] = total;
  return {
    ...header,
    nTrees: trees.length,
    treeRoots,
    feature,
    threshold,
    left,
    right,
    missingGoesLeft,
    value,
    cover,
    leafScale: header.aggregation === 'mean' && trees.length > 0 ? 1 / trees.length : 1,
    maxDepth: depths.reduce((a, b) => Math.max(a, b), 0),
  };
}

/** Empty per-node arrays for a tree of `n` nodes. */
export function emptyParsedTree(n: number): ParsedTree {
  return {
    feature: new Int32Array(n),
    threshold: new Float64Array(n),
    left: new Int32Array(n),
    right: new Int32Array(n),
    missingGoesLeft: new Uint8Array(n),
    value: new Float64Array(n),
    cover: new Float64Array(n),
  };
}
