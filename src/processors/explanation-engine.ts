import { kmeansBackground } from '../analytics/explain/background-summary.js';
import { EXACT_SHAPLEY_MAX_FEATURES, exactShapley } from '../analytics/explain/exact-shapley.js';
import { meanAbsoluteShap, rankFeatures } from '../analytics/explain/global-importance.js';
import { kernelShap } from '../analytics/explain/kernel-shap.js';
import { limeTabular } from '../analytics/explain/lime-tabular.js';
import type { Background, FeatureMatrix } from '../analytics/explain/model-contract.js';
import { permutationShap } from '../analytics/explain/permutation-shap.js';
import { mulberry32 } from '../analytics/seeded-random.js';
import { valuesAsRows, type ShapleyExplanation } from '../analytics/explain/shapley-explanation.js';
import { treeShapInterventional } from '../analytics/explain/interventional-tree-shap.js';
import { treeShapPathDependent } from '../analytics/explain/tree-shap.js';
import { scalarOutput, type ScoringModel } from '../analytics/scoring/scoring-model.js';
import type { TreeEnsemble } from '../analytics/trees/tree-ensemble.js';
import { treeShapInWorker } from './tree-shap-in-worker.js';
import type { FeatureImportanceResult, LimeResult, PartialDependenceResult, ShapleyResult } from '../events/catalogue/explanation-results.js';
import { partialDependenceExplanation, PartialDependenceRequestError, type PartialDependenceMethod } from './partial-dependence-explanation.js';

export type ShapleyMethod = 'tree-path-dependent' | 'tree-interventional' | 'kernel' | 'exact' | 'permutation';
export type ExplanationMethod = ShapleyMethod | 'lime' | 'importance' | 'partial-dependence';

/** Bumped when a change to the engine could change a stored result (stored results name it). */
export const EXPLANATION_CODE_VERSION = 'raia-explain/1';

export type ExplanationParams = {
  seed: number;
  /** Background rows kept for model-agnostic methods (k-means summary of the given background). */
  backgroundSize: number;
  nsamples?: number;
  nPermutations?: number;
  /** Partial dependence: the feature index and grid points. */
  feature?: number;
  gridResolution?: number;
  /** Two-way partial dependence: the second feature's index. */
  feature2?: number;
  percentiles?: [number, number];
  /** Explicit grid per feature (in the order feature, feature2); null = computed. */
  gridValues?: (number[] | null)[];
  centered?: boolean;
  pdMethod?: PartialDependenceMethod | 'auto';
};

export type ExplanationInput = {
  method: ExplanationMethod | 'auto';
  rows: FeatureMatrix;
  background: FeatureMatrix | null;
  params: ExplanationParams;
  /** Called as rows are done (model-agnostic methods work through the rows in chunks). */
  onProgress?(done: number, total: number): void;
};

// Model-agnostic methods explain this many rows per step, reporting progress in between.
const PROGRESS_CHUNK_ROWS = 8;

/** The method's result, in the shape `explanation.computed` records (events/catalogue/explanation-results.ts). */
export type ExplanationResult = ShapleyResult | FeatureImportanceResult | LimeResult | PartialDependenceResult;

export type ComputedExplanation = { outputSpace: 'margin' | 'output'; failedChecks: string[] } & (
  | { method: ShapleyMethod; result: ShapleyResult }
  | { method: 'importance'; result: FeatureImportanceResult }
  | { method: 'lime'; result: LimeResult }
  | { method: 'partial-dependence'; result: PartialDependenceResult }
);

export class ExplanationRequestError extends Error {
  constructor(
    public readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'ExplanationRequestError';
  }
}

// Below this much tree work (rows x trees) a worker thread costs more than it saves.
const WORKER_THRESHOLD = 20_000;
// LIME fits one surrogate per row: a handful of rows per request.
const MAX_LIME_ROWS = 20;

const ensembleOf = (model: ScoringModel): TreeEnsemble | null => (model as { ensemble?: TreeEnsemble }).ensemble ?? null;

/** `auto`: TreeSHAP for tree ensembles (exact and fast), KernelSHAP for anything else. */
export function resolveMethod(model: ScoringModel, method: ExplanationMethod | 'auto'): ExplanationMethod {
  if (method !== 'auto') return method;
  return ensembleOf(model) ? 'tree-path-dependent' : 'kernel';
}

function requireBackground(input: ExplanationInput, method: string): FeatureMatrix {
  if (!input.background) throw new ExplanationRequestError('background', `${method} needs background rows (a sample of the data the model sees)`);
  return input.background;
}

function summarised(background: FeatureMatrix, params: ExplanationParams): Background {
  if (background.nRows <= params.backgroundSize) return background;
  return kmeansBackground(background, params.backgroundSize, mulberry32(params.seed));
}

/** A Shapley result is sound when efficiency holds: base value plus attributions give the output. */
function additivityChecks(e: ShapleyExplanation): string[] {
  let scale = 1;
  for (const o of e.outputs) scale = Math.max(scale, Math.abs(o));
  return e.additivityGap <= 1e-6 * scale ? [] : ['additivity'];
}

async function shapley(model: ScoringModel, method: ShapleyMethod, input: ExplanationInput): Promise<ShapleyExplanation> {
  const { rows, params } = input;
  const ensemble = ensembleOf(model);
  if (method === 'tree-path-dependent' || method === 'tree-interventional') {
    if (!ensemble) throw new ExplanationRequestError('method', `${method} needs a tree-ensemble model (RAIA tree JSON or XGBoost JSON); use kernel or permutation`);
    const background = method === 'tree-interventional' ? requireBackground(input, method) : null;
    const work = rows.nRows * ensemble.nTrees * (background ? background.nRows : 1);
    if (work < WORKER_THRESHOLD) return background ? treeShapInterventional(ensemble, rows.data, rows.nRows, background) : treeShapPathDependent(ensemble, rows.data, rows.nRows);
    return treeShapInWorker({ model: ensemble, rows: rows.data, nRows: rows.nRows, background });
  }
  const predict = scalarOutput(model);
  const background = summarised(requireBackground(input, method), params);
  const random = mulberry32(params.seed);
  if (method === 'exact' && rows.nFeatures > 15) throw new ExplanationRequestError('method', `exact Shapley enumerates 2^M coalitions: at most 15 features (this model has ${rows.nFeatures}; the engine's hard limit is ${EXACT_SHAPLEY_MAX_FEATURES})`);
  const explainChunk = (chunk: FeatureMatrix) =>
    method === 'kernel'
      ? kernelShap(predict, chunk, background, { random, ...(params.nsamples ? { nSamples: params.nsamples } : {}) })
      : method === 'permutation'
        ? permutationShap(predict, chunk, background, { random, ...(params.nPermutations ? { nPermutations: params.nPermutations } : {}) })
        : exactShapley(predict, chunk, background);
  // Rows are independent given the background: explained in chunks, with progress in between.
  const m = rows.nFeatures;
  const values = new Float64Array(rows.nRows * m);
  const outputs = new Float64Array(rows.nRows);
  let baseValue = 0;
  let gap = 0;
  for (let start = 0; start < rows.nRows; start += PROGRESS_CHUNK_ROWS) {
    const n = Math.min(PROGRESS_CHUNK_ROWS, rows.nRows - start);
    const part = await explainChunk({ data: rows.data.subarray(start * m, (start + n) * m), nRows: n, nFeatures: m });
    values.set(part.values, start * m);
    outputs.set(part.outputs, start);
    baseValue = part.baseValue;
    gap = Math.max(gap, part.additivityGap);
    input.onProgress?.(start + n, rows.nRows);
  }
  return { baseValue, values, outputs, nRows: rows.nRows, nFeatures: m, additivityGap: gap };
}

const shapleyResult = (e: ShapleyExplanation): ShapleyResult => ({ baseValue: e.baseValue, values: valuesAsRows(e), outputs: Array.from(e.outputs), additivityGap: e.additivityGap });

/**
 * Computes one explanation of `model` (already loaded) on the given rows. Shapley values of tree
 * ensembles explain the margin (before the link); every other method explains the model's output
 * (positive-class probability or value).
 */
export async function computeExplanation(model: ScoringModel, input: ExplanationInput): Promise<ComputedExplanation> {
  const method = resolveMethod(model, input.method);
  const treeSpace = (m: ExplanationMethod) => (m === 'tree-path-dependent' || m === 'tree-interventional' ? 'margin' : 'output');
  switch (method) {
    case 'tree-path-dependent':
    case 'tree-interventional':
    case 'kernel':
    case 'exact':
    case 'permutation': {
      const e = await shapley(model, method, input);
      return { method, outputSpace: treeSpace(method), result: shapleyResult(e), failedChecks: additivityChecks(e) };
    }
    case 'importance': {
      const shapMethod = resolveMethod(model, 'auto') as ShapleyMethod;
      const e = await shapley(model, shapMethod, input);
      const importance = rankFeatures(meanAbsoluteShap(e), [...model.featureNames]);
      return { method, outputSpace: treeSpace(shapMethod), result: { shapleyMethod: shapMethod, rows: e.nRows, importance, baseValue: e.baseValue, additivityGap: e.additivityGap }, failedChecks: additivityChecks(e) };
    }
    case 'lime': {
      if (input.rows.nRows > MAX_LIME_ROWS) throw new ExplanationRequestError('rows', `LIME fits one surrogate per row: at most ${MAX_LIME_ROWS} rows`);
      const training = requireBackground(input, 'LIME');
      const predict = scalarOutput(model);
      const explanations: LimeResult['explanations'] = [];
      for (let i = 0; i < input.rows.nRows; i++) {
        const instance = input.rows.data.subarray(i * input.rows.nFeatures, (i + 1) * input.rows.nFeatures);
        const lime = await limeTabular(predict, training, instance, { random: mulberry32(input.params.seed + i), featureNames: [...model.featureNames], ...(input.params.nsamples ? { nSamples: input.params.nsamples } : {}) });
        explanations.push({ intercept: lime.intercept, weights: Array.from(lime.weights), localPrediction: lime.localPrediction, modelPrediction: lime.modelPrediction, fidelityR2: lime.score, conditions: lime.conditions });
        input.onProgress?.(i + 1, input.rows.nRows);
      }
      return { method, outputSpace: 'output', result: { explanations }, failedChecks: [] };
    }
    case 'partial-dependence': {
      const { feature, feature2, gridResolution, percentiles, gridValues, centered, pdMethod } = input.params;
      if (feature === undefined) throw new ExplanationRequestError('feature', 'name the feature to vary');
      try {
        const pd = await partialDependenceExplanation(model, ensembleOf(model), input.background ?? input.rows, {
          features: feature2 === undefined ? [feature] : [feature, feature2],
          ...(gridResolution ? { gridResolution } : {}),
          ...(percentiles ? { percentiles } : {}),
          ...(gridValues ? { gridValues } : {}),
          ...(centered ? { centered } : {}),
          ...(pdMethod ? { method: pdMethod } : {}),
        });
        return { method, outputSpace: pd.outputSpace, result: pd.result, failedChecks: [] };
      } catch (error) {
        if (error instanceof PartialDependenceRequestError) throw new ExplanationRequestError(error.field, error.message);
        throw error;
      }
    }
  }
}
