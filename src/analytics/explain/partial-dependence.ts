import { DEFAULT_MAX_BATCH_ROWS, evaluate, type BatchPredict, type FeatureMatrix } from './model-contract.js';
import { mquantileOfSorted } from './mquantiles.js';

export type GridOptions = { gridResolution?: number; percentiles?: [number, number] };

/** Why a grid cannot be built from the options given (the caller maps it to a field). */
export class GridOptionError extends RangeError {
  constructor(
    public readonly option: 'feature' | 'gridResolution' | 'percentiles' | 'gridValues',
    message: string,
  ) {
    super(message);
    this.name = 'GridOptionError';
  }
}

/** numpy.linspace(start, stop, num, endpoint=True): k * step + start, the last point exactly `stop`. */
export function linspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(num);
  if (num === 1) return out.fill(start);
  const step = (stop - start) / (num - 1);
  for (let k = 0; k < num; k++) out[k] = k * step + start;
  out[num - 1] = stop;
  return out;
}

/**
 * Grid of a feature as scikit-learn's partial_dependence builds it (`_grid_from_X`): its sorted
 * distinct values when there are fewer than `gridResolution` (default 100 in sklearn, 20 here),
 * otherwise `gridResolution` points of numpy.linspace between the `percentiles` (default 5th and
 * 95th) taken with scipy.stats.mstats.mquantiles' default plotting positions (alphap = betap = 0.4).
 * Missing values (NaN) are ignored.
 */
export function featureGrid(data: FeatureMatrix, feature: number, options: GridOptions = {}): Float64Array {
  const resolution = options.gridResolution ?? 20;
  const [lo, hi] = options.percentiles ?? [0.05, 0.95];
  if (!(Number.isInteger(resolution) && resolution > 1)) throw new GridOptionError('gridResolution', 'must be an integer larger than 1');
  if (!(lo >= 0 && hi <= 1 && lo < hi)) throw new GridOptionError('percentiles', 'must be two numbers in [0, 1], the first smaller than the second');
  const m = data.nFeatures;
  const observed = new Float64Array(data.nRows);
  let n = 0;
  for (let i = 0; i < data.nRows; i++) {
    const v = data.data[i * m + feature]!;
    if (v === v) observed[n++] = v;
  }
  const column = observed.subarray(0, n).sort();
  if (column.length === 0) throw new GridOptionError('feature', `feature ${feature} has no observed values`);
  // Distinct values in ascending order (0 and -0 count once, as in a Set).
  let nDistinct = 0;
  for (let i = 0; i < n && nDistinct < resolution; i++) if (i === 0 || column[i] !== column[i - 1]) nDistinct++;
  if (nDistinct < resolution) return Float64Array.from(new Set(column));
  const a = mquantileOfSorted(column, lo);
  const b = mquantileOfSorted(column, hi);
  // numpy.allclose(a, b): |a - b| <= 1e-8 + 1e-5 |b|
  if (Math.abs(a - b) <= 1e-8 + 1e-5 * Math.abs(b)) throw new GridOptionError('percentiles', `the percentiles of feature ${feature} are too close to each other; widen them`);
  return linspace(a, b, resolution);
}

/** A caller's own grid (scikit-learn's `custom_values`): finite numbers, used in the order given. */
export function explicitGrid(values: readonly number[]): Float64Array {
  if (values.length === 0) throw new GridOptionError('gridValues', 'give at least one grid value');
  if (values.some((v) => !Number.isFinite(v))) throw new GridOptionError('gridValues', 'grid values must be finite numbers');
  return Float64Array.from(values);
}

/**
 * ICE curves and the average centred at the first grid point (as scikit-learn's
 * PartialDependenceDisplay with centered=True): every curve minus its own value at grid[0].
 */
export function centreCurves(curves: Float64Array, nGrid: number): Float64Array {
  const out = new Float64Array(curves.length);
  for (let start = 0; start < curves.length; start += nGrid) {
    const origin = curves[start]!;
    for (let k = 0; k < nGrid; k++) out[start + k] = curves[start + k]! - origin;
  }
  return out;
}

export type PartialDependence1D = {
  feature: number;
  grid: Float64Array;
  /** PD(t) = mean_i f(t, x_i,notj) (Friedman 2001). */
  average: Float64Array;
  /** ICE curves (Goldstein et al. 2015): ice[i * nGrid + k] = f(grid[k], x_i,notj). */
  ice: Float64Array;
  nRows: number;
};

/** 1-D partial dependence and ICE for `feature` over the rows of `data`, in large batched calls. */
export async function partialDependence(predict: BatchPredict, data: FeatureMatrix, feature: number, options: GridOptions & { grid?: Float64Array; maxBatchRows?: number } = {}): Promise<PartialDependence1D> {
  const grid = options.grid ?? featureGrid(data, feature, options);
  const ice = await gridPredictions(predict, data, [feature], [grid], options.maxBatchRows);
  const n = data.nRows;
  const g = grid.length;
  const average = new Float64Array(g);
  for (let i = 0; i < n; i++) for (let k = 0; k < g; k++) average[k]! += ice[i * g + k]! / n;
  return { feature, grid, average, ice, nRows: n };
}

export type PartialDependence2D = {
  features: [number, number];
  grids: [Float64Array, Float64Array];
  /** average[a * grid1.length + b] = mean_i f(grid0[a], grid1[b], x_i,rest). */
  average: Float64Array;
};

export async function partialDependence2D(
  predict: BatchPredict,
  data: FeatureMatrix,
  features: [number, number],
  options: GridOptions & { grids?: [Float64Array, Float64Array]; maxBatchRows?: number } = {},
): Promise<PartialDependence2D> {
  const grids = options.grids ?? [featureGrid(data, features[0], options), featureGrid(data, features[1], options)];
  const all = await gridPredictions(predict, data, features, grids, options.maxBatchRows);
  const cells = grids[0].length * grids[1].length;
  const average = new Float64Array(cells);
  for (let i = 0; i < data.nRows; i++) for (let c = 0; c < cells; c++) average[c]! += all[i * cells + c]! / data.nRows;
  return { features, grids, average };
}

/**
 * f on every row with the given features set to every grid cell (row-major over the cells);
 * result[i * cells + c]. Rows x cells synthetic rows are sent in chunks of maxBatchRows.
 */
async function gridPredictions(predict: BatchPredict, data: FeatureMatrix, features: number[], grids: Float64Array[], maxBatchRows = DEFAULT_MAX_BATCH_ROWS): Promise<Float64Array> {
  const { nRows: n, nFeatures: m } = data;
  const cells = grids.reduce((c, g) => c * g.length, 1);
  const total = n * cells;
  const out = new Float64Array(total);
  const chunk = Math.min(total, Math.max(1, maxBatchRows));
  const buffer = new Float64Array(chunk * m);
  for (let start = 0; start < total; start += chunk) {
    const end = Math.min(total, start + chunk);
    for (let s = start; s < end; s++) {
      const i = Math.floor(s / cells);
      let c = s % cells;
      const at = (s - start) * m;
      buffer.set(data.data.subarray(i * m, (i + 1) * m), at);
      for (let f = features.length - 1; f >= 0; f--) {
        const g = grids[f]!;
        buffer[at + features[f]!] = g[c % g.length]!;
        c = Math.floor(c / g.length);
      }
    }
    out.set(await evaluate(predict, buffer.subarray(0, (end - start) * m), end - start), start);
  }
  return out;
}
