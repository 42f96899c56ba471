/**
 * A tree ensemble in flat, typed-array form: every node of every tree lives at a global index in
 * the same arrays, so scoring and TreeSHAP walk plain numbers with no per-node objects.
 *
 * Node `n` is a leaf when `feature[n] === -1`; its output is `value[n]`. An internal node sends a
 * row left when `x[feature[n]] <= threshold[n]` (decision `'<='`) or `< threshold[n]` (`'<'`),
 * and a missing value (NaN) left when `missingGoesLeft[n] === 1`. `left`/`right` hold global
 * indices. `cover[n]` is the training weight reaching the node (sample count, or XGBoost's hessian
 * sum), which path-dependent TreeSHAP uses as the conditional distribution.
 */
export type TreeTask = 'regression' | 'binary';
export type TreeLink = 'identity' | 'logistic';
export type TreeDecision = '<=' | '<';
export type TreeAggregation = 'sum' | 'mean';

export type TreeEnsemble = {
  task: TreeTask;
  decision: TreeDecision;
  aggregation: TreeAggregation;
  /** Added to the aggregated leaf values; on the margin scale (before the link). */
  baseScore: number;
  link: TreeLink;
  featureNames: string[];
  nFeatures: number;
  nTrees: number;
  /** Root of tree t is node `treeRoots[t]`; its nodes are `treeRoots[t] .. treeRoots[t + 1] - 1`. */
  treeRoots: Int32Array;
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  missingGoesLeft: Uint8Array;
  value: Float64Array;
  cover: Float64Array;
  /** 1 for `sum`, 1 / nTrees for `mean`: what each leaf value is multiplied by. */
  leafScale: number;
  /** Deepest root-to-leaf path, in splits (a lone leaf has depth 0). */
  maxDepth: number;
  /**
   * XGBoost stores thresholds as float32 and casts inputs to float32 before comparing, so a
   * double just below a threshold can compare equal to it there; we round inputs the same way.
   */
  float32Inputs: boolean;
};

/** Whether a row with value `v` at this node's feature goes to the left child. */
export function goesLeft(model: TreeEnsemble, node: number, v: number): boolean {
  if (v !== v) return model.missingGoesLeft[node] === 1;
  return model.decision === '<=' ? v <= model.threshold[node]! : v < model.threshold[node]!;
}
