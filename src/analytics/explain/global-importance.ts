import type { ShapleyExplanation } from './shapley-explanation.js';

/** Global importance as mean |SHAP| per feature over the explained rows (Lundberg et al. 2020, "SHAP feature importance"). */
export function meanAbsoluteShap(explanation: ShapleyExplanation): Float64Array {
  const { nRows, nFeatures, values } = explanation;
  const out = new Float64Array(nFeatures);
  if (nRows === 0) return out;
  for (let i = 0; i < nRows; i++) for (let j = 0; j < nFeatures; j++) out[j]! += Math.abs(values[i * nFeatures + j]!);
  for (let j = 0; j < nFeatures; j++) out[j]! /= nRows;
  return out;
}

/** Features by decreasing mean |SHAP|, with names when given. */
export function rankFeatures(importance: Float64Array, featureNames?: string[]): { feature: number; name: string; importance: number }[] {
  return Array.from(importance, (value, feature) => ({ feature, name: featureNames?.[feature] ?? `x${feature}`, importance: value })).sort((a, b) => b.importance - a.importance || a.feature - b.feature);
}
