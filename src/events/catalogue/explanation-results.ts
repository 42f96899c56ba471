import { z } from 'zod';

/**
 * The `result` of an `explanation.computed` event, per method: what src/processors/explanation-engine.ts
 * computes, what the ledger keeps and what the explanation routes answer. Numbers a computation
 * could not define (NaN, e.g. the R² of a surrogate fitted to a constant output) are null, as
 * JSON writes them.
 */
const computed = z.number().nullable();

export const SHAPLEY_METHODS = ['tree-path-dependent', 'tree-interventional', 'kernel', 'exact', 'permutation'] as const;

export const shapleyResultSchema = z.object({
  baseValue: computed.describe('E[f(x)] over the background (interventional and model-agnostic methods) or the tree covers (path-dependent), in outputSpace'),
  values: z.array(z.array(computed)).describe('One row per explained row, one value per feature in featureNames order'),
  outputs: z.array(computed).describe('The model output in outputSpace, per explained row'),
  additivityGap: computed.describe('The largest |baseValue + Σ values − output| over the rows (efficiency; failedChecks names `additivity` when it is not within 1e-6 of the output scale)'),
});

export const featureImportanceResultSchema = z.object({
  shapleyMethod: z.enum(SHAPLEY_METHODS).describe('The Shapley method the importance is computed from'),
  rows: z.number().int().describe('Rows the mean is taken over'),
  importance: z
    .array(z.object({ feature: z.number().int().describe('Index in featureNames'), name: z.string(), importance: computed.describe('Mean |SHAP value| over the rows') }))
    .describe('Features ranked by importance, largest first; ties by feature index'),
  baseValue: computed,
  additivityGap: computed,
});

export const limeRowSchema = z.object({
  intercept: computed.describe("The surrogate's intercept"),
  weights: z.array(computed).describe("The ridge surrogate's coefficients on the binary bin indicators, per feature in featureNames order"),
  localPrediction: computed.describe("The surrogate's prediction at the row"),
  modelPrediction: computed.describe("The model's output at the row"),
  fidelityR2: computed.describe("Weighted R² of the surrogate on its perturbation sample (lime's `score`)"),
  conditions: z.array(z.string()).describe("The row's quartile bin per feature, as lime words it, edges to 4 significant digits (`age <= 37`, `37 < age <= 48`, `age > 61`, `age (constant)`)"),
});

export const limeResultSchema = z.object({ explanations: z.array(limeRowSchema).describe('One surrogate per explained row, in row order') });

const partialDependenceCommon = {
  pdMethod: z.enum(['brute', 'recursion']),
  estimand: z.string().describe('What the averages are, in words (brute: mean model output over the rows; recursion: margin over the tree covers)'),
  features: z.array(z.string()).describe('The feature varied, or the pair'),
  percentiles: z.tuple([z.number(), z.number()]).describe('The grid range, as scikit-learn (scipy mquantiles, alphap = betap = 0.4)'),
  gridResolution: z.number().int(),
  gridSource: z.array(z.enum(['given', 'computed'])).describe('Per feature: an explicit grid, or computed from the data'),
  centered: z.boolean(),
  rows: z.number().int().nullable().describe('Rows averaged over (brute); null for recursion, which averages over the tree covers'),
};

export const oneWayPartialDependenceResultSchema = z.object({
  ...partialDependenceCommon,
  feature: z.string(),
  grid: z.array(z.number()),
  average: z.array(computed).describe('Partial dependence at each grid point'),
  ice: z.array(z.array(computed)).optional().describe('brute only: one curve per row over the grid (individual conditional expectation)'),
  centeredAverage: z.array(computed).optional().describe('centered: the average minus its value at the first grid point'),
  centeredIce: z.array(z.array(computed)).optional().describe('centered, brute: each curve minus its value at the first grid point'),
});

export const twoWayPartialDependenceResultSchema = z.object({
  ...partialDependenceCommon,
  grids: z.tuple([z.array(z.number()), z.array(z.number())]),
  average: z.array(z.array(computed)).describe('average[a][b]: the value at (grids[0][a], grids[1][b]), as scikit-learn’s average[0]'),
});

export const partialDependenceResultSchema = z.union([oneWayPartialDependenceResultSchema, twoWayPartialDependenceResultSchema]);

export type ShapleyResult = z.infer<typeof shapleyResultSchema>;
export type FeatureImportanceResult = z.infer<typeof featureImportanceResultSchema>;
export type LimeResult = z.infer<typeof limeResultSchema>;
export type PartialDependenceResult = z.infer<typeof partialDependenceResultSchema>;

/** The result schema of each recorded method. */
export const explanationResultSchemas = {
  'tree-path-dependent': shapleyResultSchema,
  'tree-interventional': shapleyResultSchema,
  kernel: shapleyResultSchema,
  exact: shapleyResultSchema,
  permutation: shapleyResultSchema,
  importance: featureImportanceResultSchema,
  lime: limeResultSchema,
  'partial-dependence': partialDependenceResultSchema,
} as const;
