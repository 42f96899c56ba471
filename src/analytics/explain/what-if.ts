import { evaluate, type BatchPredict } from './model-contract.js';
import type { ShapleyExplainer, ShapleyExplanation } from './shapley-explanation.js';

export type FeatureChange = { feature: number; value: number };

export type WhatIfResult = {
  row: Float64Array;
  changedRow: Float64Array;
  prediction: number;
  newPrediction: number;
  delta: number;
  /** Attributions of the changed row, from the Shapley method passed in (if any). */
  shap?: ShapleyExplanation;
};

/** Applies feature changes to one row and reports the model's new output, the change, and the changed row's Shapley values. */
export async function whatIf(predict: BatchPredict, row: Float64Array, changes: FeatureChange[], explain?: ShapleyExplainer): Promise<WhatIfResult> {
  const m = row.length;
  const changedRow = Float64Array.from(row);
  for (const { feature, value } of changes) {
    if (!Number.isInteger(feature) || feature < 0 || feature >= m) throw new RangeError(`feature ${feature} is outside 0..${m - 1}`);
    changedRow[feature] = value;
  }
  const both = new Float64Array(2 * m);
  both.set(row, 0);
  both.set(changedRow, m);
  const out = await evaluate(predict, both, 2);
  const result: WhatIfResult = { row: Float64Array.from(row), changedRow, prediction: out[0]!, newPrediction: out[1]!, delta: out[1]! - out[0]! };
  if (explain !== undefined) result.shap = await explain({ data: changedRow, nRows: 1, nFeatures: m });
  return result;
}
