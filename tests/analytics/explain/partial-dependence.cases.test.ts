import { describe, expect, it } from 'vitest';
import { explicitGrid, featureGrid, GridOptionError, linspace, partialDependence, partialDependence2D } from '../../../src/analytics/explain/partial-dependence.js';
import type { BatchPredict, FeatureMatrix } from '../../../src/analytics/explain/model-contract.js';
import { parseRaiaTreeEnsemble } from '../../../src/analytics/trees/raia-tree-format.js';
import { treeEnsemblePredictor } from '../../../src/analytics/trees/predict.js';

const column = (values: number[]): FeatureMatrix => ({ data: Float64Array.from(values), nRows: values.length, nFeatures: 1 });

/** The GridOptionError `fn` throws (fails the test when it throws nothing or something else). */
function gridError(fn: () => unknown): GridOptionError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(GridOptionError);
    return error as GridOptionError;
  }
  throw new Error('expected a GridOptionError');
}

describe('numpy.linspace', () => {
  it('gives [start] for one point (numpy.linspace(2, 5, 1) = [2.])', () => {
    expect(Array.from(linspace(2, 5, 1))).toEqual([2]);
  });

  it('ends exactly at stop even where k * step + start rounds elsewhere', () => {
    // step = (0.9 - 0.2) / 2; 2 * step + 0.2 = 0.8999999999999999 in doubles; numpy sets y[-1] = stop.
    const grid = linspace(0.2, 0.9, 3);
    expect(grid.length).toBe(3);
    expect(grid[0]).toBe(0.2);
    expect(grid[1]).toBeCloseTo(0.55, 15);
    expect(grid[2]).toBe(0.9);
  });
});

describe('GridOptionError', () => {
  it('is a RangeError named GridOptionError that carries the option at fault', () => {
    const error = gridError(() => explicitGrid([]));
    expect(error).toBeInstanceOf(RangeError);
    expect(error.name).toBe('GridOptionError');
    expect(error.option).toBe('gridValues');
    expect(error.message).toBe('give at least one grid value');
  });
});

describe('featureGrid option checks', () => {
  const ramp = column(Array.from({ length: 101 }, (_, i) => i));

  it.each([1, 0, 2.5, NaN])('refuses gridResolution %s (an integer larger than 1 is required)', (gridResolution) => {
    const error = gridError(() => featureGrid(ramp, 0, { gridResolution }));
    expect(error.option).toBe('gridResolution');
    expect(error.message).toBe('must be an integer larger than 1');
  });

  it('accepts the smallest resolution, 2: the two percentiles', () => {
    // mquantiles of 0..100 at 0.05 and 0.95 (alphap = betap = 0.4): 4.46 and 95.54.
    const grid = featureGrid(ramp, 0, { gridResolution: 2 });
    expect(grid.length).toBe(2);
    expect(grid[0]).toBeCloseTo(4.46, 12);
    expect(grid[1]).toBeCloseTo(95.54, 12);
  });

  it.each([
    [-0.1, 0.5],
    [0.5, 1.1],
    [0.5, 0.5],
    [0.7, 0.3],
  ] as [number, number][])('refuses percentiles [%s, %s] even where the distinct values would be the grid', (lo, hi) => {
    // Three distinct values, fewer than the resolution: a grid of them would need no percentile at all.
    const error = gridError(() => featureGrid(column([1, 2, 3]), 0, { percentiles: [lo, hi] }));
    expect(error.option).toBe('percentiles');
    expect(error.message).toBe('must be two numbers in [0, 1], the first smaller than the second');
  });

  it('accepts the extreme percentiles 0 and 1 (the minimum and the maximum)', () => {
    expect(Array.from(featureGrid(ramp, 0, { percentiles: [0, 1], gridResolution: 3 }))).toEqual([0, 50, 100]);
  });

  it('reads the requested column of a row-major matrix', () => {
    // Column 1 holds 7, 5, 5, 9; column 0 and 2 hold other values.
    const data: FeatureMatrix = { data: Float64Array.from([1, 7, 100, 2, 5, 200, 3, 5, 300, 4, 9, 400]), nRows: 4, nFeatures: 3 };
    expect(Array.from(featureGrid(data, 1))).toEqual([5, 7, 9]);
    expect(Array.from(featureGrid(data, 2))).toEqual([100, 200, 300, 400]);
  });

  it('names the feature with no observed values', () => {
    const data: FeatureMatrix = { data: Float64Array.from([1, NaN, 2, NaN]), nRows: 2, nFeatures: 2 };
    const error = gridError(() => featureGrid(data, 1));
    expect(error.option).toBe('feature');
    expect(error.message).toBe('feature 1 has no observed values');
  });
});

describe('featureGrid: distinct values or percentiles (scikit-learn’s _grid_from_X)', () => {
  it('uses the distinct values while there are fewer than the resolution, percentiles from the resolution on', () => {
    // 3 distinct values, resolution 4: the values themselves.
    expect(Array.from(featureGrid(column([5, 0, 1]), 0, { gridResolution: 4, percentiles: [0, 1] }))).toEqual([0, 1, 5]);
    // Resolution 3 = the number of distinct values: linspace between the percentiles 0 and 1 (min and max), linspace(0, 5, 3).
    expect(Array.from(featureGrid(column([5, 0, 1]), 0, { gridResolution: 3, percentiles: [0, 1] }))).toEqual([0, 2.5, 5]);
  });

  it('counts repeated values once', () => {
    // [0, 0, 1, 1] has 2 distinct values, fewer than 3: the grid is [0, 1], not a linspace of 3 points.
    expect(Array.from(featureGrid(column([1, 0, 1, 0]), 0, { gridResolution: 3 }))).toEqual([0, 1]);
    expect(Array.from(featureGrid(column([0, 0, 0, 1, 2]), 0, { gridResolution: 4 }))).toEqual([0, 1, 2]);
    // 4 distinct among 6 values with resolution 4: percentiles [0, 1] -> linspace(0, 9, 4).
    expect(Array.from(featureGrid(column([9, 0, 0, 1, 2, 2]), 0, { gridResolution: 4, percentiles: [0, 1] }))).toEqual([0, 3, 6, 9]);
  });
});

describe('featureGrid: percentiles too close (numpy.allclose(a, b): |a - b| <= 1e-8 + 1e-5 |b|)', () => {
  it('refuses a gap exactly at the tolerance and accepts one just above it', () => {
    // a = -1e-8, b = 0: |a - b| = 1e-8 = 1e-8 + 1e-5 * 0, allclose is True (<=), so scikit-learn raises.
    const error = gridError(() => featureGrid(column([-1e-8, 0]), 0, { gridResolution: 2, percentiles: [0, 1] }));
    expect(error.option).toBe('percentiles');
    expect(error.message).toBe('the percentiles of feature 0 are too close to each other; widen them');
    expect(Array.from(featureGrid(column([-2e-8, 0]), 0, { gridResolution: 2, percentiles: [0, 1] }))).toEqual([-2e-8, 0]);
  });

  it('scales the tolerance with |b| (rtol = 1e-5)', () => {
    // b = 1000: tolerance 1e-8 + 0.01; a gap of 0.005 is within it, a gap of 0.02 is not.
    expect(gridError(() => featureGrid(column([999.995, 1000]), 0, { gridResolution: 2, percentiles: [0, 1] })).option).toBe('percentiles');
    expect(Array.from(featureGrid(column([999.98, 1000]), 0, { gridResolution: 2, percentiles: [0, 1] }))).toEqual([999.98, 1000]);
  });

  it('refuses equal non-zero percentiles', () => {
    // 1000 fives among 1019 values with 20 distinct values: both the 5th and the 95th percentile are 5.
    const values = [1, 2, 3, 4, ...Array.from({ length: 1000 }, () => 5), ...Array.from({ length: 15 }, (_, i) => 6 + i)];
    const error = gridError(() => featureGrid(column(values), 0));
    expect(error.option).toBe('percentiles');
    expect(error.message).toMatch(/too close/);
  });
});

describe('explicitGrid (custom values)', () => {
  it.each([[[1, NaN]], [[Infinity]], [[0, 2, -Infinity]]])('refuses a non-finite value in %j', (values) => {
    const error = gridError(() => explicitGrid(values));
    expect(error.option).toBe('gridValues');
    expect(error.message).toBe('grid values must be finite numbers');
  });
});

/**
 * A model that records every call: f(x) = x0 + 10 x1 + 100 x2, checking that X holds exactly nRows rows.
 */
function recordingModel() {
  const calls: number[] = [];
  const predict: BatchPredict = (X, nRows) => {
    expect(X.length).toBe(nRows * 3);
    calls.push(nRows);
    return Float64Array.from({ length: nRows }, (_, i) => X[3 * i]! + 10 * X[3 * i + 1]! + 100 * X[3 * i + 2]!);
  };
  return { predict, calls };
}

const rows: FeatureMatrix = { data: Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 0, 2, 2, 2]), nRows: 5, nFeatures: 3 };

describe('partialDependence sends the synthetic rows in chunks of maxBatchRows', () => {
  // PD of feature 1 at t: mean_i (x0_i + 10 t + 100 x2_i) = mean(x0) + 10 t + 100 mean(x2); mean(x0) = 14 / 5 = 2.8, mean(x2) = 20 / 5 = 4.
  const grid = Float64Array.from([-1, 0.5]);
  const expectedIce = [[1, 3], [4, 6], [7, 9], [0, 0], [2, 2]].flatMap(([x0, x2]) => Array.from(grid, (t) => x0! + 10 * t + 100 * x2!));

  it.each([
    [4, [4, 4, 2]],
    [5, [5, 5]],
    [1, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]],
    [10, [10]],
    [1000, [10]],
  ] as [number, number[]][])('maxBatchRows %i: calls of %j rows, with the same curves', async (maxBatchRows, sizes) => {
    const { predict, calls } = recordingModel();
    const pd = await partialDependence(predict, rows, 1, { grid, maxBatchRows });
    expect(calls).toEqual(sizes);
    expect(Array.from(pd.ice)).toEqual(expectedIce);
    expect(pd.average[0]).toBeCloseTo(2.8 - 10 + 400, 12);
    expect(pd.average[1]).toBeCloseTo(2.8 + 5 + 400, 12);
    expect(pd.nRows).toBe(5);
  });

  it('two-way partial dependence chunks the rows x cells the same way', async () => {
    // Features (0, 2) on grids [0, 1] x [0, 1, 2]: 6 cells x 5 rows = 30 synthetic rows; mean(x1) = (2 + 5 + 8 + 1 + 2) / 5 = 3.6.
    // average[a * 3 + b] = a + 10 * 3.6 + 100 b.
    const { predict, calls } = recordingModel();
    const pd = await partialDependence2D(predict, rows, [0, 2], { grids: [Float64Array.from([0, 1]), Float64Array.from([0, 1, 2])], maxBatchRows: 7 });
    expect(calls).toEqual([7, 7, 7, 7, 2]);
    const expected = [0, 1].flatMap((a) => [0, 1, 2].map((b) => a + 36 + 100 * b));
    pd.average.forEach((v, c) => expect(v).toBeCloseTo(expected[c]!, 12));
  });
});

describe('partial dependence of a hand-built tree (brute force: mean prediction with the feature set to each grid value)', () => {
  it('averages the tree’s outputs over the rows', async () => {
    // a <= 1 ? (b <= 0.5 ? 1 : 3) : 10. Rows (a, b): (0, 0), (0, 1), (2, 1), (5, 0).
    // PD_a(t <= 1) = mean(f(t, b_i)) = (1 + 3 + 3 + 1) / 4 = 2; PD_a(t > 1) = 10.
    // PD_b(0) = (1 + 1 + 10 + 10) / 4 = 5.5; PD_b(1) = (3 + 3 + 10 + 10) / 4 = 6.5.
    const model = parseRaiaTreeEnsemble({
      format: 'raia-tree-ensemble/v1', task: 'regression', decision: '<=', aggregation: 'sum', baseScore: 0, link: 'identity', featureNames: ['a', 'b'],
      trees: [{ nodes: [{ feature: 0, threshold: 1, left: 1, right: 4, missingGoesLeft: true, cover: 4 }, { feature: 1, threshold: 0.5, left: 2, right: 3, missingGoesLeft: true, cover: 2 }, { leaf: 1, cover: 1 }, { leaf: 3, cover: 1 }, { leaf: 10, cover: 2 }] }],
    });
    const data: FeatureMatrix = { data: Float64Array.from([0, 0, 0, 1, 2, 1, 5, 0]), nRows: 4, nFeatures: 2 };
    const predict = treeEnsemblePredictor(model, 'margin');
    const pdA = await partialDependence(predict, data, 0, { grid: Float64Array.from([0, 1, 3]) });
    expect(Array.from(pdA.average)).toEqual([2, 2, 10]);
    // Default grid of b: its distinct values [0, 1].
    const pdB = await partialDependence(predict, data, 1);
    expect(Array.from(pdB.grid)).toEqual([0, 1]);
    expect(Array.from(pdB.average)).toEqual([5.5, 6.5]);
    expect(Array.from(pdB.ice)).toEqual([1, 3, 1, 3, 10, 10, 10, 10]);
  });
});
