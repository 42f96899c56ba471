import { describe, expect, it } from 'vitest';
import { recursionPartialDependence } from '../../../src/analytics/explain/partial-dependence-recursion.js';
import { partialDependence } from '../../../src/analytics/explain/partial-dependence.js';
import type { FeatureMatrix } from '../../../src/analytics/explain/model-contract.js';
import { parseRaiaTreeEnsemble } from '../../../src/analytics/trees/raia-tree-format.js';
import { treeEnsemblePredictor } from '../../../src/analytics/trees/predict.js';

/**
 * scikit-learn's method="recursion" (Tree.compute_partial_dependence): at a split on a grid
 * feature the point follows its branch; at any other split it goes both ways, each child weighted
 * by its cover over its parent's. Expected values below are worked by hand on two small trees.
 *
 * Tree A: x0 <= 1 (missing right, cover 10) ? [x1 <= 0.5 (missing left, cover 4) ? 2 (cover 1) : 6 (cover 3)] : 20 (cover 6)
 * Tree B: x1 <= 0.5 (missing right, cover 10) ? -1 (cover 4) : 4 (cover 5)   -- covers that do not add up (4 + 5 = 9)
 * aggregation 'mean', baseScore 0.5: PD = 0.5 + (A + B) / 2.
 */
const doc = (comparisonPrecision: 'float64' | 'float32' = 'float64') => ({
  format: 'raia-tree-ensemble/v1', task: 'regression', decision: '<=', aggregation: 'mean', baseScore: 0.5, link: 'identity', featureNames: ['x0', 'x1'], comparisonPrecision,
  trees: [
    { nodes: [{ feature: 0, threshold: 1, left: 1, right: 4, missingGoesLeft: false, cover: 10 }, { feature: 1, threshold: 0.5, left: 2, right: 3, missingGoesLeft: true, cover: 4 }, { leaf: 2, cover: 1 }, { leaf: 6, cover: 3 }, { leaf: 20, cover: 6 }] },
    { nodes: [{ feature: 1, threshold: 0.5, left: 1, right: 2, missingGoesLeft: false, cover: 10 }, { leaf: -1, cover: 4 }, { leaf: 4, cover: 5 }] },
  ],
});
const model = parseRaiaTreeEnsemble(doc());

// PD over x0. B does not split on x0: B = -1 * 4/10 + 4 * 5/10 = 1.6 (each child's own cover / the parent's, not 1 - the left share).
// x0 <= 1: A = 2 * 1/4 + 6 * 3/4 = 5, PD = 0.5 + (5 + 1.6) / 2 = 3.8; x0 > 1 or missing (goes right): A = 20, PD = 0.5 + 21.6 / 2 = 11.3.
const LEFT_X0 = 3.8;
const RIGHT_X0 = 11.3;

const close = (actual: Float64Array, expected: number[]) => {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, k) => expect(actual[k]).toBeCloseTo(e, 12));
};

describe('recursion partial dependence on hand-built trees', () => {
  it('one feature, ascending grid (the threshold itself goes left under <=)', () => {
    close(recursionPartialDependence(model, [0], Float64Array.from([-1, 0, 1, 1.5, 7]), 5), [LEFT_X0, LEFT_X0, LEFT_X0, RIGHT_X0, RIGHT_X0]);
  });

  it('one feature, a missing value first and then descending points: each point follows its own branch', () => {
    // NaN goes right at A's root (missingGoesLeft false): 11.3; 3 right: 11.3; 0.5 and 0 left: 3.8.
    close(recursionPartialDependence(model, [0], Float64Array.from([NaN, 3, 0.5, 0]), 4), [RIGHT_X0, RIGHT_X0, LEFT_X0, LEFT_X0]);
    // A missing value last, after ascending points.
    close(recursionPartialDependence(model, [0], Float64Array.from([0, 3, NaN]), 3), [LEFT_X0, RIGHT_X0, RIGHT_X0]);
  });

  it('reads only the first nPoints points of a longer buffer', () => {
    // Points 5 (right) and 1 (left); the trailing 0 is not a point.
    close(recursionPartialDependence(model, [0], Float64Array.from([5, 1, 0]), 2), [RIGHT_X0, LEFT_X0]);
    close(recursionPartialDependence(model, [0], Float64Array.from([1, 5, 0]), 2), [LEFT_X0, RIGHT_X0]);
  });

  it('the other feature: the split on x0 is averaged by cover, missing values follow each node’s own direction', () => {
    // A averages its root: 4/10 of the left subtree, 6/10 of 20. x1 <= 0.5 or missing (left in A): 0.4 * 2 + 12 = 12.8; x1 > 0.5: 0.4 * 6 + 12 = 14.4.
    // B: x1 <= 0.5 -> -1; x1 > 0.5 or missing (right in B) -> 4.
    // PD(0) = PD(0.5) = 0.5 + (12.8 - 1) / 2 = 6.4; PD(1) = 0.5 + (14.4 + 4) / 2 = 9.7; PD(NaN) = 0.5 + (12.8 + 4) / 2 = 8.9.
    close(recursionPartialDependence(model, [1], Float64Array.from([0, 0.5, 1, NaN]), 4), [6.4, 6.4, 9.7, 8.9]);
    close(recursionPartialDependence(model, [1], Float64Array.from([0, 0.5, 1]), 3), [6.4, 6.4, 9.7]);
  });

  it('two features given in either order, points row-major in that order', () => {
    // (x1, x0) = (0, 3): A = 20, B = -1 -> 0.5 + 19 / 2 = 10; (1, 0): A = 6, B = 4 -> 5.5; (NaN, 0): A = 2 (missing left), B = 4 -> 3.5.
    close(recursionPartialDependence(model, [1, 0], Float64Array.from([0, 3, 1, 0, NaN, 0]), 3), [10, 5.5, 3.5]);
    close(recursionPartialDependence(model, [0, 1], Float64Array.from([3, 0, 0, 1, 0, NaN]), 3), [10, 5.5, 3.5]);
  });

  it('rounds the points to float32 for a float32 model', () => {
    // x0 = 1 + 1e-9 is above the threshold 1 in float64 (right), but Math.fround gives exactly 1 (left) in float32.
    const point = Float64Array.from([1 + 1e-9]);
    close(recursionPartialDependence(model, [0], point, 1), [RIGHT_X0]);
    close(recursionPartialDependence(parseRaiaTreeEnsemble(doc('float32')), [0], point, 1), [LEFT_X0]);
    close(recursionPartialDependence(parseRaiaTreeEnsemble(doc('float32')), [0, 1], Float64Array.from([1 + 1e-9, 0]), 1), [0.5 + (2 - 1) / 2]);
  });

  it('an empty grid gives no values', () => {
    expect(recursionPartialDependence(model, [0], new Float64Array(0), 0).length).toBe(0);
  });
});

describe('recursion equals brute force when the rows are distributed as the covers', () => {
  it('on a tree whose covers add up, with x0 and x1 independent', async () => {
    // x0 <= 1 ? (x1 <= 0.5 ? 2 : 6) : (x1 <= 0.5 ? 20 : 30), covers: root 8, x0 left 4 = 1 + 3, x0 right 4 = 1 + 3.
    // Rows: x0 in {0, 2} each 4 times, x1 = 0 once and 1 three times for each: x1 is independent of x0 and splits 1 : 3 on both sides.
    const tree = parseRaiaTreeEnsemble({
      format: 'raia-tree-ensemble/v1', task: 'regression', decision: '<=', aggregation: 'sum', baseScore: 1, link: 'identity', featureNames: ['x0', 'x1'],
      trees: [{ nodes: [
        { feature: 0, threshold: 1, left: 1, right: 4, missingGoesLeft: true, cover: 8 },
        { feature: 1, threshold: 0.5, left: 2, right: 3, missingGoesLeft: true, cover: 4 }, { leaf: 2, cover: 1 }, { leaf: 6, cover: 3 },
        { feature: 1, threshold: 0.5, left: 5, right: 6, missingGoesLeft: true, cover: 4 }, { leaf: 20, cover: 1 }, { leaf: 30, cover: 3 },
      ] }],
    });
    const rows = [[0, 0], [0, 1], [0, 1], [0, 1], [2, 0], [2, 1], [2, 1], [2, 1]];
    const data: FeatureMatrix = { data: Float64Array.from(rows.flat()), nRows: rows.length, nFeatures: 2 };
    const grid = Float64Array.from([0, 1, 2]);
    // By hand: PD_x0(t <= 1) = 1 + (2 + 3 * 6) / 4 = 6; PD_x0(t > 1) = 1 + (20 + 90) / 4 = 28.5.
    // PD_x1(0) = 1 + (2 + 20) / 2 = 12; PD_x1(t > 0.5) = 1 + (6 + 30) / 2 = 19.
    const expected = [[6, 6, 28.5], [12, 19, 19]];
    for (const feature of [0, 1]) {
      const brute = await partialDependence(treeEnsemblePredictor(tree, 'margin'), data, feature, { grid });
      close(brute.average, expected[feature]!);
      close(recursionPartialDependence(tree, [feature], grid, 3), expected[feature]!);
    }
  });
});
