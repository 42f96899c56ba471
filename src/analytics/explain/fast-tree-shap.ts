import type { TreeEnsemble } from '../trees/tree-ensemble.js';

/**
 * Path-dependent TreeSHAP with the instance-independent part precomputed per leaf, after Yang 2021,
 * "Fast TreeSHAP: Accelerating SHAP Value Computation for Trees" (arXiv:2109.09847), algorithm v2.
 *
 * For one leaf with value v, let U be the d distinct features split on along its path, z_k the
 * product of the cover ratios cover(child) / cover(node) of the splits on feature k (the zero
 * fraction), and, for a row x, C ⊆ U the "cold" features: those for which x leaves the path at
 * some split on k (one fraction 0); the others are "hot" (one fraction 1). The leaf's share of
 * E[f(x) | x_S] is v * prod_{k in S ∩ U} o_k * prod_{k in U \ S} z_k, so its Shapley values are
 *
 *   cold k:  phi_k += -G(C)
 *   hot k:   phi_k += (1 - z_k) / z_k * G(C ∪ {k})
 *
 * with G(C) = v * sum_{S ⊆ U \ C} w(|S|, d) * prod_{k in U \ S} z_k and w(s, d) = s! (d - s - 1)! / d!.
 * G depends only on the leaf and the set C, so it is tabulated for all 2^d subsets (a subset-sum
 * transform, O(d 2^d) per leaf); a row then costs one pass over the tree's internal nodes to find
 * each leaf's C (as a bitmask over the leaf's path slots) plus O(d) per leaf: O(T L D) per row
 * instead of Algorithm 2's O(T L D^2). Covers are positive (the parsers check), so z_k > 0.
 *
 * Slots: along a root-to-leaf path, a feature's slot is its rank among the distinct features in
 * order of first appearance, so every node knows the slot bit its split clears or sets.
 */
export type FastTreeShapPlan = {
  nTrees: number;
  /** Tree t's internal nodes are `internalStart[t] .. internalStart[t + 1] - 1`, in preorder; its leaves likewise in `leafStart`. */
  internalStart: Int32Array;
  leafStart: Int32Array;
  /** Internal node arrays. Children are tree-local indices: internal nodes 0 .. I - 1, then leaves I .. I + L - 1. */
  inFeature: Int32Array;
  /** The row goes left when x <= threshold; for '<' models the threshold is moved one double down, so that x < t iff x <= that. */
  inThreshold: Float64Array;
  /** 1 when a missing value (NaN) goes right. */
  inMissingRight: Uint8Array;
  inLeft: Int32Array;
  inRight: Int32Array;
  /** 1 << slot of the node's feature on its path. */
  inBit: Int32Array;
  /** Leaf arrays: number of path slots d (0 for leaves that contribute nothing), where its slots start, value times leafScale. */
  leafDepth: Int32Array;
  leafSlot: Int32Array;
  leafValue: Float64Array;
  /** Per slot: feature and zero fraction z_k. */
  slotFeature: Int32Array;
  slotZero: Float64Array;
  /** Largest number of nodes in one tree; largest d; largest sum over one tree's leaves of 2^d d (scratch sizes). */
  maxTreeNodes: number;
  maxSlots: number;
  maxTreeExpanded: number;
};

/** What the tables would cost, from one cheap pass over the trees, to choose between Algorithm 2 and this. */
export type FastTreeShapCost = {
  /** Sum over leaves of 2^d d: the work of building all tables (done once per call). */
  tableWork: number;
  /** Largest sum over one tree's leaves of 2^d d: the table scratch (8 bytes an entry). */
  maxTreeEntries: number;
  /** Sum over leaves of d^2: the per-row work of Algorithm 2 at the leaves. */
  quadraticWork: number;
  /** Sum over leaves of d + 2 (d table reads plus a fixed per-leaf overhead), plus internal nodes: the per-row work with the tables. */
  linearWork: number;
  /** Largest d. */
  maxSlots: number;
};

export function fastTreeShapCost(model: TreeEnsemble): FastTreeShapCost {
  const cost: FastTreeShapCost = { tableWork: 0, maxTreeEntries: 0, quadraticWork: 0, linearWork: 0, maxSlots: 0 };
  const pathFeatures: number[] = [];
  let treeEntries = 0;
  const visit = (node: number): void => {
    const f = model.feature[node]!;
    if (f < 0) {
      const d = pathFeatures.length;
      if (d === 0 || model.value[node] === 0) return;
      treeEntries += 2 ** d * d;
      cost.quadraticWork += d * d;
      cost.linearWork += d + 2;
      if (d > cost.maxSlots) cost.maxSlots = d;
      return;
    }
    cost.linearWork += 1;
    const isNew = !pathFeatures.includes(f);
    if (isNew) pathFeatures.push(f);
    visit(model.left[node]!);
    visit(model.right[node]!);
    if (isNew) pathFeatures.pop();
  };
  for (let t = 0; t < model.nTrees; t++) {
    treeEntries = 0;
    visit(model.treeRoots[t]!);
    cost.tableWork += treeEntries;
    cost.maxTreeEntries = Math.max(cost.maxTreeEntries, treeEntries);
  }
  return cost;
}

/** Flattens the trees with each node's slot bit and each leaf's slots; the tables are built per tree when rows are explained. */
export function buildFastTreeShapPlan(model: TreeEnsemble, cost: FastTreeShapCost = fastTreeShapCost(model)): FastTreeShapPlan {
  const nTrees = model.nTrees;
  const strict = model.decision === '<';
  const nNodes = model.feature.length;
  const internalStart = new Int32Array(nTrees + 1);
  const leafStart = new Int32Array(nTrees + 1);
  const inFeature = new Int32Array(nNodes);
  const inThreshold = new Float64Array(nNodes);
  const inMissingRight = new Uint8Array(nNodes);
  const inLeft = new Int32Array(nNodes);
  const inRight = new Int32Array(nNodes);
  const inBit = new Int32Array(nNodes);
  const leafDepth = new Int32Array(nNodes);
  const leafSlot = new Int32Array(nNodes);
  const leafValue = new Float64Array(nNodes);
  const slotFeature: number[] = [];
  const slotZero: number[] = [];
  const maxSlots = cost.maxSlots;

  let nInternal = 0;
  let nLeaves = 0;
  let maxTreeNodes = 0;
  const pathFeature = new Int32Array(maxSlots + 1);
  const pathZero = new Float64Array((maxSlots + 1) * (model.maxDepth + 2));

  for (let t = 0; t < nTrees; t++) {
    internalStart[t] = nInternal;
    leafStart[t] = nLeaves;
    // Tree-local numbering: count internal nodes first so leaves can be numbered after them.
    const root = model.treeRoots[t]!;
    let treeInternal = 0;
    let treeLeaves = 0;
    const stack = [root];
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (model.feature[n]! < 0) treeLeaves++;
      else {
        treeInternal++;
        stack.push(model.right[n]!, model.left[n]!);
      }
    }
    maxTreeNodes = Math.max(maxTreeNodes, treeInternal + treeLeaves);
    let nextInternal = 0;
    let nextLeaf = 0;

    // Preorder walk; `level` indexes a copy of the path's zero fractions per recursion level.
    const walk = (node: number, nSlots: number, level: number): number => {
      const f = model.feature[node]!;
      if (f < 0) {
        const local = treeInternal + nextLeaf++;
        const v = model.value[node]! * model.leafScale;
        const g = nLeaves++;
        const d = nSlots;
        leafDepth[g] = 0;
        leafSlot[g] = slotFeature.length;
        if (d === 0 || v === 0) return local;
        leafDepth[g] = d;
        leafValue[g] = v;
        const zero = level * (maxSlots + 1);
        for (let k = 0; k < d; k++) {
          slotFeature.push(pathFeature[k]!);
          slotZero.push(pathZero[zero + k]!);
        }
        return local;
      }
      const local = nextInternal++;
      const g = nInternal + local;
      let slot = 0;
      while (slot < nSlots && pathFeature[slot] !== f) slot++;
      const isNew = slot === nSlots;
      if (isNew) pathFeature[slot] = f;
      const childSlots = isNew ? nSlots + 1 : nSlots;
      inFeature[g] = f;
      inThreshold[g] = strict ? nextDown(model.threshold[node]!) : model.threshold[node]!;
      inMissingRight[g] = model.missingGoesLeft[node]! === 1 ? 0 : 1;
      inBit[g] = 1 << slot;
      const c = model.cover[node]!;
      const base = level * (maxSlots + 1);
      const next = base + maxSlots + 1;
      const incoming = isNew ? 1 : pathZero[base + slot]!;
      for (const [child, side] of [
        [model.left[node]!, 0],
        [model.right[node]!, 1],
      ] as const) {
        for (let k = 0; k < nSlots; k++) pathZero[next + k] = pathZero[base + k]!;
        pathZero[next + slot] = incoming * (model.cover[child]! / c);
        const childLocal = walk(child, childSlots, level + 1);
        if (side === 0) inLeft[g] = childLocal;
        else inRight[g] = childLocal;
      }
      return local;
    };
    walk(root, 0, 0);
    nInternal += treeInternal;
  }
  internalStart[nTrees] = nInternal;
  leafStart[nTrees] = nLeaves;
  return {
    nTrees,
    internalStart,
    leafStart,
    inFeature,
    inThreshold,
    inMissingRight,
    inLeft,
    inRight,
    inBit,
    leafDepth,
    leafSlot,
    leafValue,
    slotFeature: Int32Array.from(slotFeature),
    slotZero: Float64Array.from(slotZero),
    maxTreeNodes,
    maxSlots,
    maxTreeExpanded: cost.maxTreeEntries,
  };
}

/** w(s, d) = s! (d - s - 1)! / d! = 1 / (d C(d - 1, s)) for 0 <= s < d, at weights[d * (maxSlots + 1) + s]. */
export function shapleyWeights(maxSlots: number): Float64Array {
  const weights = new Float64Array((maxSlots + 1) * (maxSlots + 1));
  for (let d = 1; d <= maxSlots; d++) {
    for (let s = 0; s < d; s++) {
      let w = 1 / d;
      for (let i = 1; i <= s; i++) w *= i / (d - s - 1 + i);
      weights[d * (maxSlots + 1) + s] = w;
    }
  }
  return weights;
}

/**
 * One leaf's E(C, k) at out[C * d + k], for its d slots with zero fractions zero[so .. so + d - 1]:
 * G(C) = v * sum_{S ⊆ U \ C} w(|S|, d) prod_{k not in S} z_k by a superset-sum transform over C
 * (into g, 2^d entries), then E(C, k) = -G(C) if k in C, else (1 - z_k) / z_k * G(C ∪ {k}).
 */
export function leafTable(d: number, v: number, zero: Float64Array, so: number, weights: Float64Array, wRow: number, g: Float64Array, out: Float64Array, at: number): void {
  const full = (1 << d) - 1;
  // g[full ^ S] = prod_{k not in S} z_k, built from supersets: S's lowest missing slot k times S ∪ {k}.
  g[0] = 1;
  for (let S = full - 1; S >= 0; S--) {
    const missing = ~S & full;
    const k = 31 - Math.clz32(missing & -missing);
    g[full ^ S] = g[full ^ (S | (1 << k))]! * zero[so + k]!;
  }
  // h(S) = w(|S|, d) prod_{k not in S} z_k at g[full ^ S]; S = U (C = 0) never contributes.
  g[0] = 0;
  for (let C = 1; C <= full; C++) {
    let size = d;
    for (let x = C; x !== 0; x &= x - 1) size--;
    g[C] = g[C]! * weights[wRow + size]!;
  }
  for (let k = 0; k < d; k++) {
    const b = 1 << k;
    for (let C = 0; C <= full; C++) if ((C & b) === 0) g[C]! += g[C | b]!;
  }
  for (let C = 0, e = at; C <= full; C++) {
    for (let k = 0; k < d; k++, e++) {
      const b = 1 << k;
      const z = zero[so + k]!;
      out[e] = (C & b) !== 0 ? -v * g[C]! : ((1 - z) / z) * (v * g[C | b]!);
    }
  }
}

/** The largest double below x (NaN for -Infinity, which no x is below). */
function nextDown(x: number): number {
  if (x !== x || x === -Infinity) return NaN;
  if (x === 0) return -Number.MIN_VALUE;
  bits[0] = x;
  bits64[0] = x > 0 ? bits64[0]! - 1n : bits64[0]! + 1n;
  return bits[0]!;
}
const bits = new Float64Array(1);
const bits64 = new BigInt64Array(bits.buffer);

/** Rows per block: the per-node cold masks of a block stay in cache while each leaf reads them. */
const ROW_BLOCK = 256;

/**
 * Adds every row's Shapley values to `values` (rows x nFeatures, row-major). `data` holds the rows as
 * the model compares them (already rounded to float32 for XGBoost models).
 *
 * Loop order: trees, then blocks of rows; within a block, first every internal node over all rows
 * (cold masks, node-major), then every leaf over all rows. Per tree, G is first expanded to
 * E(C, k) = the leaf's contribution to slot k for cold set C (-G(C) or (1 - z_k) / z_k G(C ∪ {k})),
 * so the innermost loop is one table read and one add per slot.
 */
export function fastTreeShapInto(plan: FastTreeShapPlan, data: Float64Array, nRows: number, nFeatures: number, values: Float64Array): void {
  const { internalStart, leafStart, inFeature, inThreshold, inMissingRight, inLeft, inRight, inBit, leafDepth, leafSlot, leafValue, slotFeature, slotZero, maxSlots } = plan;
  const B = ROW_BLOCK;
  const cold = new Int32Array(plan.maxTreeNodes * B);
  const expanded = new Float64Array(plan.maxTreeExpanded);
  const expandedAt = new Int32Array(plan.maxTreeNodes);
  const weights = shapleyWeights(maxSlots);
  const g = new Float64Array(2 ** maxSlots);
  for (let t = 0; t < plan.nTrees; t++) {
    const i0 = internalStart[t]!;
    const i1 = internalStart[t + 1]!;
    const l0 = leafStart[t]!;
    const l1 = leafStart[t + 1]!;
    const nInternal = i1 - i0;
    for (let l = l0, used = 0; l < l1; l++) {
      const d = leafDepth[l]!;
      if (d === 0) continue;
      expandedAt[l - l0] = used;
      leafTable(d, leafValue[l]!, slotZero, leafSlot[l]!, weights, d * (maxSlots + 1), g, expanded, used);
      used += (1 << d) * d;
    }
    for (let r0 = 0; r0 < nRows; r0 += B) {
      const nb = Math.min(B, nRows - r0);
      cold.fill(0, 0, nb);
      for (let g = i0; g < i1; g++) {
        const po = (g - i0) * B;
        const lo = inLeft[g]! * B;
        const ro = inRight[g]! * B;
        const th = inThreshold[g]!;
        const bit = inBit[g]!;
        const missingRight = inMissingRight[g]!;
        for (let i = 0, xi = r0 * nFeatures + inFeature[g]!; i < nb; i++, xi += nFeatures) {
          const p = cold[po + i]!;
          const v = data[xi]!;
          let right = v <= th ? 0 : 1;
          if (v !== v) right = missingRight;
          cold[lo + i] = p | (bit & -right);
          cold[ro + i] = p | (bit & (right - 1));
        }
      }
      for (let l = l0, local = nInternal; l < l1; l++, local++) {
        const d = leafDepth[l]!;
        if (d === 0) continue;
        const so = leafSlot[l]!;
        const eb = expandedAt[l - l0]!;
        const co = local * B;
        for (let i = 0, xb = r0 * nFeatures; i < nb; i++, xb += nFeatures) {
          const e = eb + cold[co + i]! * d;
          for (let k = 0; k < d; k++) values[xb + slotFeature[so + k]!]! += expanded[e + k]!;
        }
      }
    }
  }
}
