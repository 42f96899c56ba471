import { centreCurves, explicitGrid, featureGrid, GridOptionError, partialDependence, partialDependence2D } from '../analytics/explain/partial-dependence.js';
import { recursionPartialDependence } from '../analytics/explain/partial-dependence-recursion.js';
import type { FeatureMatrix } from '../analytics/explain/model-contract.js';
import { scalarOutput, type ScoringModel } from '../analytics/scoring/scoring-model.js';
import type { TreeEnsemble } from '../analytics/trees/tree-ensemble.js';
import type { PartialDependenceResult } from '../events/catalogue/explanation-results.js';

export type PartialDependenceMethod = 'brute' | 'recursion';

export type PartialDependenceParams = {
  /** One feature index, or two for a two-way partial dependence. */
  features: number[];
  gridResolution?: number;
  percentiles?: [number, number];
  /** Explicit grid per feature (scikit-learn's custom_values), in the order of `features`; null = computed. */
  gridValues?: (number[] | null)[];
  /** Subtract each curve's value at the first grid point (ICE "c-ICE", sklearn's centered=True). */
  centered?: boolean;
  method?: PartialDependenceMethod | 'auto';
};

export const PARTIAL_DEPENDENCE_ESTIMANDS: Record<PartialDependenceMethod, string> = {
  brute: 'mean over the given rows of the model output with the grid features set to each grid value (Friedman 2001; scikit-learn method="brute")',
  recursion: 'margin (before the link) averaged over the training distribution recorded in the tree covers, by weighted tree traversal (scikit-learn method="recursion"); includes the base score',
};

/** A refusal naming the request option at fault. */
export class PartialDependenceRequestError extends Error {
  constructor(
    public readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'PartialDependenceRequestError';
  }
}

/**
 * Partial dependence (one or two features) and, one-way by brute force, ICE curves; grids as
 * scikit-learn builds them. `auto` is brute force (the estimand of a PD over your rows); recursion
 * must be asked for and needs a tree ensemble.
 */
export async function partialDependenceExplanation(model: ScoringModel, ensemble: TreeEnsemble | null, data: FeatureMatrix, params: PartialDependenceParams): Promise<{ outputSpace: 'margin' | 'output'; result: PartialDependenceResult }> {
  const method: PartialDependenceMethod = params.method === 'recursion' ? 'recursion' : 'brute';
  if (method === 'recursion' && !ensemble) throw new PartialDependenceRequestError('pdMethod', 'recursion needs a tree-ensemble model; use brute');
  const { features } = params;
  const names = features.map((f) => model.featureNames[f]!);
  const gridOptions = { ...(params.gridResolution ? { gridResolution: params.gridResolution } : {}), ...(params.percentiles ? { percentiles: params.percentiles } : {}) };
  let grids: Float64Array[];
  try {
    grids = features.map((f, s) => {
      const given = params.gridValues?.[s];
      return given ? explicitGrid(given) : featureGrid(data, f, gridOptions);
    });
  } catch (error) {
    if (error instanceof GridOptionError) throw new PartialDependenceRequestError(error.option === 'gridResolution' ? 'grid' : error.option, error.message);
    throw error;
  }
  const common = { pdMethod: method, estimand: PARTIAL_DEPENDENCE_ESTIMANDS[method], features: names, percentiles: params.percentiles ?? ([0.05, 0.95] as [number, number]), gridResolution: params.gridResolution ?? 20, gridSource: features.map((_, s) => (params.gridValues?.[s] ? ('given' as const) : ('computed' as const))), centered: params.centered ?? false };
  const outputSpace: 'margin' | 'output' = method === 'recursion' ? 'margin' : 'output';

  if (features.length === 1) {
    const [grid] = grids as [Float64Array];
    if (method === 'recursion') {
      const average = recursionPartialDependence(ensemble!, features, grid, grid.length);
      return { outputSpace, result: { ...common, feature: names[0]!, grid: Array.from(grid), average: Array.from(average), ...(params.centered ? { centeredAverage: Array.from(centreCurves(average, grid.length)) } : {}), rows: null } };
    }
    const pd = await partialDependence(scalarOutput(model), data, features[0]!, { grid });
    const g = grid.length;
    const asRows = (curves: Float64Array) => Array.from({ length: pd.nRows }, (_, i) => Array.from(curves.subarray(i * g, (i + 1) * g)));
    const centred = params.centered ? { centeredAverage: Array.from(centreCurves(pd.average, g)), centeredIce: asRows(centreCurves(pd.ice, g)) } : {};
    return { outputSpace, result: { ...common, feature: names[0]!, grid: Array.from(grid), average: Array.from(pd.average), ice: asRows(pd.ice), ...centred, rows: pd.nRows } };
  }

  const [g0, g1] = grids as [Float64Array, Float64Array];
  let average: Float64Array;
  if (method === 'recursion') {
    const points = new Float64Array(g0.length * g1.length * 2);
    for (let a = 0, c = 0; a < g0.length; a++) {
      for (let b = 0; b < g1.length; b++, c++) {
        points[2 * c] = g0[a]!;
        points[2 * c + 1] = g1[b]!;
      }
    }
    average = recursionPartialDependence(ensemble!, features, points, g0.length * g1.length);
  } else {
    average = (await partialDependence2D(scalarOutput(model), data, [features[0]!, features[1]!], { grids: [g0, g1] })).average;
  }
  // average[a][b] is the value at (grids[0][a], grids[1][b]), as sklearn's average[0] of shape (len(g0), len(g1)).
  const table = Array.from({ length: g0.length }, (_, a) => Array.from(average.subarray(a * g1.length, (a + 1) * g1.length)));
  return { outputSpace, result: { ...common, grids: [Array.from(g0), Array.from(g1)], average: table, rows: method === 'brute' ? data.nRows : null } };
}
