import { goesLeft, type TreeEnsemble } from '../trees/tree-ensemble.js';
import { normalisedWeights, type Background } from './model-contract.js';

/**
 * The interventional value function v(S) = sum_b w_b margin(x_S, z_b) of a tree ensemble, computed
 * from the trees instead of by scoring coalitions x background rows synthetic rows. The values are
 * the same (up to the order of floating-point additions) as coalitionValues on the ensemble's margin.
 *
 * A leaf L is reached by the hybrid row (x_S, z_b) exactly when, for every distinct feature f on
 * its path, the row's value of f satisfies all of the path's conditions on f: x's value when f is
 * in S, z_b's otherwise. So with P_L the path's distinct features,
 *   v_L(S) = value_L * [x satisfies the features of P_L in S] * C_L(P_L \ S),
 *   C_L(R) = sum_b w_b [z_b satisfies the conditions of every feature in R],
 * and C_L is a table over the subsets of P_L (2^|P_L| entries: one pass over the background to
 * count each row's pattern, then sums over supersets). A coalition is then one walk per tree: at a
 * split on a feature in S only x's branch is taken; at any other split both are, and the feature
 * joins R. This is the same decomposition as interventional TreeSHAP's leaf tables
 * (interventional-tree-shap.ts), used for a value function rather than for Shapley values.
 */
export type TreeCoalitionTables = {
  model: TreeEnsemble;
  /** Per node: the slot of its feature among the distinct features on the root-to-node path. */
  slot: Uint8Array;
  /** Per node: where its leaf's C table starts in `table` (-1 for internal nodes). */
  tableStart: Int32Array;
  /** Every leaf's C_L, indexed by the bit set of slots in R. */
  table: Float64Array;
  /**
   * Per node: 1 when every background row goes left, 2 when every one goes right, 0 otherwise.
   * At such a split on a feature outside S, the other side has C = 0, so only one side is walked.
   */
  zWay: Uint8Array;
};

/** Deepest path (in distinct features) and total table size for which the tables are built. */
const MAX_PATH_FEATURES = 16;
const MAX_TABLE_ENTRIES = 1 << 22;
const MAX_DEPTH = 256;

/** The tables for `model` and `background`, or null when some path has too many distinct features for them. */
export function treeCoalitionTables(model: TreeEnsemble, background: Background): TreeCoalitionTables | null {
  // The passes below recurse along paths: very deep (lopsided) trees are left to scoring.
  if (model.maxDepth > MAX_DEPTH) return null;
  const nNodes = model.feature.length;
  const slot = new Uint8Array(nNodes);
  const tableStart = new Int32Array(nNodes).fill(-1);
  const leafSlots = new Uint8Array(nNodes);
  // First pass: slots, and each leaf's table offset (the path's distinct features fix its size).
  let entries = 0;
  const pathFeatures: number[] = [];
  const visit = (node: number): boolean => {
    const f = model.feature[node]!;
    if (f < 0) {
      leafSlots[node] = pathFeatures.length;
      tableStart[node] = entries;
      entries += 1 << pathFeatures.length;
      return entries <= MAX_TABLE_ENTRIES;
    }
    let s = pathFeatures.indexOf(f);
    const added = s < 0;
    if (added) {
      if (pathFeatures.length === MAX_PATH_FEATURES) return false;
      s = pathFeatures.push(f) - 1;
    }
    slot[node] = s;
    const ok = visit(model.left[node]!) && visit(model.right[node]!);
    if (added) pathFeatures.pop();
    return ok;
  };
  for (let t = 0; t < model.nTrees; t++) if (!visit(model.treeRoots[t]!)) return null;

  const table = new Float64Array(entries);
  const nB = background.nRows;
  const m = background.nFeatures;
  const weights = normalisedWeights(background);
  // zLeft[node * nB + b]: whether background row b goes left at the node.
  const zLeft = new Uint8Array(nNodes * nB);
  // zWay: 1 when every background row goes left at the node, 2 when every one goes right, 0 otherwise.
  const zWay = new Uint8Array(nNodes);
  for (let node = 0; node < nNodes; node++) {
    const f = model.feature[node]!;
    if (f < 0) continue;
    let lefts = 0;
    for (let b = 0; b < nB; b++) {
      const z = background.data[b * m + f]!;
      const l = goesLeft(model, node, model.float32Inputs ? Math.fround(z) : z) ? 1 : 0;
      zLeft[node * nB + b] = l;
      lefts += l;
    }
    zWay[node] = lefts === nB ? 1 : lefts === 0 ? 2 : 0;
  }
  // Second pass, depth first: the patterns of the background rows reaching each node (bit s cleared
  // once a row fails a condition on the path's slot-s feature), counted at each leaf, then summed over supersets.
  const patterns = new Int32Array((model.maxDepth + 1) * nB);
  const fill = (node: number, depth: number): void => {
    const at = depth * nB;
    const f = model.feature[node]!;
    if (f >= 0) {
      const next = at + nB;
      const clear = ~(1 << slot[node]!);
      const base = node * nB;
      for (let b = 0; b < nB; b++) patterns[next + b] = zLeft[base + b] === 1 ? patterns[at + b]! : patterns[at + b]! & clear;
      fill(model.left[node]!, depth + 1);
      for (let b = 0; b < nB; b++) patterns[next + b] = zLeft[base + b] === 0 ? patterns[at + b]! : patterns[at + b]! & clear;
      fill(model.right[node]!, depth + 1);
      return;
    }
    const k = leafSlots[node]!;
    const start = tableStart[node]!;
    const all = (1 << k) - 1;
    for (let b = 0; b < nB; b++) table[start + (patterns[at + b]! & all)]! += weights[b]!;
    for (let i = 0; i < k; i++) {
      const bit = 1 << i;
      for (let r = 0; r <= all; r++) if ((r & bit) === 0) table[start + r]! += table[start + (r | bit)]!;
    }
  };
  patterns.fill(-1, 0, nB);
  for (let t = 0; t < model.nTrees; t++) fill(model.treeRoots[t]!, 0);
  return { model, slot, tableStart, table, zWay };
}

/**
 * v(S) on the margin scale for `nCoalitions` rows of 0/1 `masks` (1 = feature from x), coalition c
 * using instance row `instanceOf[c]` of `instances` (row 0 when omitted). Tree by tree, all
 * coalitions: one tree's tables stay in cache while every coalition walks it (the whole ensemble's
 * do not). Each coalition still adds its leaves in tree order, so the sums do not depend on this.
 */
export function treeCoalitionValues(tables: TreeCoalitionTables, instances: Float64Array, masks: Uint8Array, nCoalitions: number, instanceOf?: Int32Array): Float64Array {
  const { model, slot, tableStart, table, zWay } = tables;
  const m = model.nFeatures;
  const { feature, left, right, value, treeRoots } = model;
  const nNodes = feature.length;
  let nInstances = 1;
  if (instanceOf !== undefined) for (let c = 0; c < nCoalitions; c++) nInstances = Math.max(nInstances, instanceOf[c]! + 1);
  // xLeft[i * nNodes + node]: whether instance i goes left at the node.
  const xLeft = new Uint8Array(nInstances * nNodes);
  for (let i = 0; i < nInstances; i++) {
    for (let node = 0; node < nNodes; node++) {
      const f = feature[node]!;
      if (f < 0) continue;
      const x = instances[i * m + f]!;
      xLeft[i * nNodes + node] = goesLeft(model, node, model.float32Inputs ? Math.fround(x) : x) ? 1 : 0;
    }
  }
  const stackNode = new Int32Array(2 * (model.maxDepth + 1));
  const stackIndex = new Int32Array(stackNode.length);
  const sums = new Float64Array(nCoalitions);
  for (let t = 0; t < model.nTrees; t++) {
    const root = treeRoots[t]!;
    for (let c = 0; c < nCoalitions; c++) {
      const maskBase = c * m;
      const xBase = instanceOf === undefined ? 0 : instanceOf[c]! * nNodes;
      let sum = sums[c]!;
      let size = 1;
      stackNode[0] = root;
      stackIndex[0] = 0;
      while (size > 0) {
        size--;
        const node = stackNode[size]!;
        const r = stackIndex[size]!;
        const f = feature[node]!;
        if (f < 0) {
          sum += value[node]! * table[tableStart[node]! + r]!;
        } else if (masks[maskBase + f] !== 0) {
          stackNode[size] = xLeft[xBase + node] === 1 ? left[node]! : right[node]!;
          stackIndex[size++] = r;
        } else {
          const withF = r | (1 << slot[node]!);
          const way = zWay[node]!;
          if (way !== 2) {
            stackNode[size] = left[node]!;
            stackIndex[size++] = withF;
          }
          if (way !== 1) {
            stackNode[size] = right[node]!;
            stackIndex[size++] = withF;
          }
        }
      }
      sums[c] = sum;
    }
  }
  const out = new Float64Array(nCoalitions);
  for (let c = 0; c < nCoalitions; c++) out[c] = model.baseScore + sums[c]! * model.leafScale;
  return out;
}
