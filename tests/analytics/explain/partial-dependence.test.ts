import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mquantileOfSorted } from '../../../src/analytics/explain/mquantiles.js';
import { centreCurves, explicitGrid, featureGrid, GridOptionError, linspace, partialDependence } from '../../../src/analytics/explain/partial-dependence.js';
import { recursionPartialDependence } from '../../../src/analytics/explain/partial-dependence-recursion.js';
import type { FeatureMatrix } from '../../../src/analytics/explain/model-contract.js';
import { parseRaiaTreeEnsemble } from '../../../src/analytics/trees/raia-tree-format.js';
import { treeEnsemblePredictor } from '../../../src/analytics/trees/predict.js';
import { docGoesLeft, featureRow, raiaDocument, type DocNode, type RaiaDocument } from '../trees/random-tree-documents.js';

const column = (values: number[]): FeatureMatrix => ({ data: Float64Array.from(values), nRows: values.length, nFeatures: 1 });
const ramp = column(Array.from({ length: 101 }, (_, i) => i));

describe('scipy.stats.mstats.mquantiles (alphap = betap = 0.4)', () => {
  it('gives the values of scipy’s own docstring example', () => {
    // mquantiles([6, 47, 49, 15, 42, 41, 7, 39, 43, 40, 36]) = [19.2, 40.0, 42.8] (scipy docs)
    const x = Float64Array.from([6, 47, 49, 15, 42, 41, 7, 39, 43, 40, 36]).sort();
    expect(mquantileOfSorted(x, 0.25)).toBeCloseTo(19.2, 12);
    expect(mquantileOfSorted(x, 0.5)).toBeCloseTo(40, 12);
    expect(mquantileOfSorted(x, 0.75)).toBeCloseTo(42.8, 12);
  });

  it('computes hand-worked positions, clipped at both ends', () => {
    // n = 101, p = 0.05: m = 0.41, aleph = 5.46, k = 5, gamma = 0.46 -> 0.54 x[4] + 0.46 x[5] = 4.46
    expect(mquantileOfSorted(ramp.data, 0.05)).toBeCloseTo(4.46, 12);
    // p = 0.95: m = 0.59, aleph = 96.54, k = 96, gamma = 0.54 -> 0.46 * 95 + 0.54 * 96 = 95.54
    expect(mquantileOfSorted(ramp.data, 0.95)).toBeCloseTo(95.54, 12);
    // p = 0: aleph = 0.4 clipped to k = 1, gamma = 0 -> x[0]; p = 1: aleph = 101.6, k = 100, gamma = 1 -> x[100]
    expect(mquantileOfSorted(ramp.data, 0)).toBe(0);
    expect(mquantileOfSorted(ramp.data, 1)).toBe(100);
    expect(mquantileOfSorted(Float64Array.from([7]), 0.3)).toBe(7);
  });
});

describe('partial dependence grid as scikit-learn’s _grid_from_X', () => {
  it('is numpy.linspace between the mquantiles percentiles', () => {
    const grid = featureGrid(ramp, 0);
    expect(grid.length).toBe(20);
    const step = (95.54 - 4.46) / 19;
    grid.forEach((g, k) => expect(g).toBeCloseTo(4.46 + k * step, 12));
    expect(grid[19]).toBe(mquantileOfSorted(ramp.data, 0.95)); // linspace ends exactly at stop
  });

  it('takes custom percentiles and resolution', () => {
    const grid = featureGrid(ramp, 0, { percentiles: [0, 1], gridResolution: 5 });
    expect(Array.from(grid)).toEqual([0, 25, 50, 75, 100]);
    const tenth = featureGrid(ramp, 0, { percentiles: [0.1, 0.9], gridResolution: 3 });
    // p = 0.1: aleph = 10.1 + 0.42 = 10.52 -> 9.52; p = 0.9: aleph = 90.9 + 0.58 = 91.48 -> 90.48
    expect(tenth[0]).toBeCloseTo(9.52, 12);
    expect(tenth[1]).toBeCloseTo(50, 12);
    expect(tenth[2]).toBeCloseTo(90.48, 12);
  });

  it('uses the sorted distinct values when there are fewer than the resolution, ignoring missing', () => {
    expect(Array.from(featureGrid(column([2, 0, 1, 2, NaN, 1, 0]), 0))).toEqual([0, 1, 2]);
    // a constant column: its one value
    expect(Array.from(featureGrid(column([3, 3, 3]), 0))).toEqual([3]);
  });

  it('refuses percentiles that coincide (numpy.allclose), bad percentiles and a column with no values', () => {
    const mostlyZero = column([...Array.from({ length: 1000 }, () => 0), ...Array.from({ length: 19 }, (_, i) => i + 1)]);
    expect(() => featureGrid(mostlyZero, 0)).toThrow(GridOptionError);
    expect(() => featureGrid(ramp, 0, { percentiles: [0.9, 0.1] })).toThrow(/first smaller/);
    expect(() => featureGrid(column([NaN]), 0)).toThrow(/no observed values/);
    expect(() => explicitGrid([])).toThrow(GridOptionError);
    expect(Array.from(explicitGrid([3, 1, 2]))).toEqual([3, 1, 2]);
  });

  it('linspace is numpy’s: k * step + start, the last point exactly stop', () => {
    expect(Array.from(linspace(0, 1, 3))).toEqual([0, 0.5, 1]);
    expect(linspace(0.1, 0.7, 7)[6]).toBe(0.7);
  });
});

describe('ICE centring', () => {
  it('subtracts each curve’s value at the first grid point', async () => {
    // f = x0 * x1: ICE of row i over grid t is t * x1_i; centred: (t - t0) * x1_i.
    const data: FeatureMatrix = { data: Float64Array.from([1, 2, 3, -1]), nRows: 2, nFeatures: 2 };
    const pd = await partialDependence((X, n) => Float64Array.from({ length: n }, (_, i) => X[2 * i]! * X[2 * i + 1]!), data, 0, { grid: Float64Array.from([1, 2, 4]) });
    expect(Array.from(pd.ice)).toEqual([2, 4, 8, -1, -2, -4]);
    expect(Array.from(centreCurves(pd.ice, 3))).toEqual([0, 2, 6, 0, -1, -3]);
    expect(Array.from(centreCurves(pd.average, 3))).toEqual([0, 0.5, 1.5]);
  });
});

// a <= 1 ? (b <= 0.5 ? 1 : 3) : 10 with covers 20 = 8 + 12, 8 = 2 + 6.
const tree = (decision: '<=' | '<', baseScore = 0) =>
  parseRaiaTreeEnsemble({
    format: 'raia-tree-ensemble/v1', task: 'regression', decision, aggregation: 'sum', baseScore, link: 'identity', featureNames: ['a', 'b'],
    trees: [{ nodes: [{ feature: 0, threshold: 1, left: 1, right: 4, missingGoesLeft: true, cover: 20 }, { feature: 1, threshold: 0.5, left: 2, right: 3, missingGoesLeft: true, cover: 8 }, { leaf: 1, cover: 2 }, { leaf: 3, cover: 6 }, { leaf: 10, cover: 12 }] }],
  });

describe('partial dependence by tree recursion (sklearn method="recursion")', () => {
  it('matches hand computation, including a point on the split threshold', () => {
    const model = tree('<=');
    // PD_a(0): b is not a grid feature, 1 * 2/8 + 3 * 6/8 = 2.5; a = 1 is on the threshold and goes left under <=.
    expect(Array.from(recursionPartialDependence(model, [0], Float64Array.from([0, 1, 2]), 3))).toEqual([2.5, 2.5, 10]);
    expect(Array.from(recursionPartialDependence(tree('<'), [0], Float64Array.from([1]), 1))).toEqual([10]);
    // PD_b(0) = 8/20 * 1 + 12/20 * 10 = 6.4; PD_b(1) = 8/20 * 3 + 12/20 * 10 = 7.2
    const pdB = recursionPartialDependence(model, [1], Float64Array.from([0, 1]), 2);
    expect(pdB[0]).toBeCloseTo(6.4, 12);
    expect(pdB[1]).toBeCloseTo(7.2, 12);
    // two-way (a, b): the leaf reached; base score added
    expect(Array.from(recursionPartialDependence(tree('<=', 0.5), [0, 1], Float64Array.from([0, 0, 0, 1, 2, 0]), 3))).toEqual([1.5, 3.5, 10.5]);
  });

  it('equals brute force on rows distributed as the covers when the features are independent', async () => {
    // rows: (0,0) x2, (0,1) x6, (2,0) x3, (2,1) x9: b's 1:3 split is the same for both values of a.
    const rows = [...Array(2).fill([0, 0]), ...Array(6).fill([0, 1]), ...Array(3).fill([2, 0]), ...Array(9).fill([2, 1])] as number[][];
    const data: FeatureMatrix = { data: Float64Array.from(rows.flat()), nRows: 20, nFeatures: 2 };
    const model = tree('<=');
    for (const feature of [0, 1]) {
      const grid = Float64Array.from([0, 0.5, 1, 2]);
      const brute = await partialDependence(treeEnsemblePredictor(model, 'margin'), data, feature, { grid });
      const recursion = recursionPartialDependence(model, [feature], grid, grid.length);
      grid.forEach((_, k) => expect(recursion[k]).toBeCloseTo(brute.average[k]!, 12));
    }
  });

  it('equals Algorithm 1 of Lundberg et al. 2018 (cover-weighted E[f | x_S]) on random ensembles', () => {
    const expValue = (doc: RaiaDocument, nodes: DocNode[], index: number, x: number[], inS: Set<number>): number => {
      const node = nodes[index]!;
      if ('leaf' in node) return node.leaf;
      if (inS.has(node.feature)) return expValue(doc, nodes, docGoesLeft(doc, node, x[node.feature]!) ? node.left : node.right, x, inS);
      return (expValue(doc, nodes, node.left, x, inS) * nodes[node.left]!.cover + expValue(doc, nodes, node.right, x, inS) * nodes[node.right]!.cover) / node.cover;
    };
    fc.assert(
      fc.property(
        raiaDocument({ maxFeatures: 4 }).chain((doc) => fc.tuple(fc.constant(doc), featureRow(doc.featureNames.length), fc.integer({ min: 0, max: 15 }))),
        ([doc, x, mask]) => {
          const m = doc.featureNames.length;
          const features = Array.from({ length: m }, (_, j) => j).filter((j) => mask & (1 << j));
          const inS = new Set(features);
          const sum = doc.trees.reduce((s, t) => s + expValue(doc, t.nodes, 0, x, inS), 0);
          const expected = doc.baseScore + (doc.aggregation === 'mean' ? sum / doc.trees.length : sum);
          const got = recursionPartialDependence(parseRaiaTreeEnsemble(doc), features, Float64Array.from(features.map((j) => x[j]!)), 1)[0]!;
          expect(got).toBeCloseTo(expected, 9);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('walks an ascending one-feature grid once per tree with the same sums as the walk per point (float64 and float32, ties with thresholds)', () => {
    fc.assert(
      fc.property(
        raiaDocument({ maxFeatures: 3, maxTrees: 5, maxDepth: 5 }).chain((doc) =>
          fc.tuple(
            fc.constant(doc),
            fc.constantFrom('float64' as const, 'float32' as const),
            fc.integer({ min: 0, max: doc.featureNames.length - 1 }),
            // grid points on the thresholds' grid (ties), just off it, and anywhere
            fc.array(fc.oneof(fc.integer({ min: -1, max: 5 }).map((v) => v / 4), fc.integer({ min: -1, max: 5 }).map((v) => v / 4 + 1e-9), fc.double({ min: -1, max: 2, noNaN: true })), { minLength: 1, maxLength: 25 }),
          ),
        ),
        ([doc, precision, feature, values]) => {
          const model = parseRaiaTreeEnsemble({ ...doc, comparisonPrecision: precision });
          const ascending = Float64Array.from(values).sort();
          const fast = recursionPartialDependence(model, [feature], ascending, ascending.length);
          // A larger point first, then the grid descending: not ascending, so the walk per point; its answers for the grid reversed must be the same numbers.
          const descending = Float64Array.of(ascending[ascending.length - 1]! + 1, ...Array.from(ascending).reverse());
          const perPoint = Array.from(recursionPartialDependence(model, [feature], descending, descending.length).subarray(1)).reverse();
          expect(Array.from(fast)).toEqual(perPoint);
        },
      ),
      { numRuns: 300, seed: 1802 },
    );
  });
});
