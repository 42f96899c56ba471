import { describe, expect, it } from 'vitest';
import { buildFastTreeShapPlan, fastTreeShapCost, fastTreeShapInto } from '../../../src/analytics/explain/fast-tree-shap.js';
import { treeShapPathDependent, type TreeShapAlgorithm } from '../../../src/analytics/explain/tree-shap.js';
import { mulberry32 } from '../../../src/analytics/seeded-random.js';
import { parseRaiaTreeEnsemble } from '../../../src/analytics/trees/raia-tree-format.js';
import { docGoesLeft, type DocNode, type RaiaDocument, regressionDocumentHeader } from '../trees/random-tree-documents.js';

/** Lundberg, Erion & Lee 2018, Algorithm 1 (EXPVALUE) on the document's node objects: the cover-weighted E[f(x) | x_S]. */
function expValue(doc: RaiaDocument, nodes: DocNode[], index: number, x: ArrayLike<number>, mask: number): number {
  const node = nodes[index]!;
  if ('leaf' in node) return node.leaf;
  if (mask & (1 << node.feature)) return expValue(doc, nodes, docGoesLeft(doc, node, x[node.feature]!) ? node.left : node.right, x, mask);
  return (expValue(doc, nodes, node.left, x, mask) * nodes[node.left]!.cover + expValue(doc, nodes, node.right, x, mask) * nodes[node.right]!.cover) / node.cover;
}

/** Exact Shapley values of the path-dependent game by enumerating all 2^M coalitions. */
function bruteForce(doc: RaiaDocument, x: ArrayLike<number>): number[] {
  const m = doc.featureNames.length;
  const v = (mask: number) => doc.baseScore + doc.trees.reduce((s, t) => s + expValue(doc, t.nodes, 0, x, mask), 0) * (doc.aggregation === 'mean' ? 1 / doc.trees.length : 1);
  const fact = [1];
  for (let i = 1; i <= m; i++) fact.push(fact[i - 1]! * i);
  const phi = new Array<number>(m).fill(0);
  for (let s = 0; s < 1 << m; s++) {
    let size = 0;
    for (let t = s; t !== 0; t &= t - 1) size++;
    for (let j = 0; j < m; j++) if ((s & (1 << j)) === 0) phi[j]! += ((fact[size]! * fact[m - size - 1]!) / fact[m]!) * (v(s | (1 << j)) - v(s));
  }
  return phi;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThanOrEqual(tolerance);
}

/**
 * Three trees over features 0..3 (nodes already in preorder):
 * tree 0 splits on 0, then 1 on the left and 0 again (then 2) on the right, and has a leaf of value 0;
 * tree 1 is a lone leaf; tree 2 is one split on feature 3.
 */
const ensemble: RaiaDocument = {
  ...regressionDocumentHeader(4),
  trees: [
    {
      nodes: [
        { feature: 0, threshold: 0.5, left: 1, right: 4, missingGoesLeft: false, cover: 10 },
        { feature: 1, threshold: 0.5, left: 2, right: 3, missingGoesLeft: true, cover: 6 },
        { leaf: 1, cover: 2 },
        { leaf: 0, cover: 4 },
        { feature: 0, threshold: 0.75, left: 5, right: 6, missingGoesLeft: true, cover: 4 },
        { leaf: 2, cover: 1 },
        { feature: 2, threshold: 0.5, left: 7, right: 8, missingGoesLeft: false, cover: 3 },
        { leaf: 3, cover: 1 },
        { leaf: -1, cover: 2 },
      ],
    },
    { nodes: [{ leaf: 5, cover: 7 }] },
    {
      nodes: [
        { feature: 3, threshold: 0.25, left: 1, right: 2, missingGoesLeft: true, cover: 5 },
        { leaf: 1, cover: 2 },
        { leaf: 2, cover: 3 },
      ],
    },
  ],
};

describe('Fast TreeSHAP cost estimate', () => {
  it('counts 2^d d table entries, d^2 and d + 2 per non-zero leaf with d distinct path features, plus internal nodes', () => {
    // Tree 0: leaf 1 has path features {0, 1} (d = 2): 8 entries, 4, 4; leaf 0 is skipped (value 0);
    //   leaf 2 has {0} (0 repeated, d = 1): 2, 1, 3; leaves 3 and -1 have {0, 2}: 8, 4, 4 each; 4 internal nodes.
    //   -> table 26, quadratic 13, linear 4 + 3 + 4 + 4 + 4 = 19.
    // Tree 1: a lone leaf (d = 0) contributes nothing.
    // Tree 2: two leaves with {3} (d = 1): 2 + 2 = 4, 1 + 1 = 2, 3 + 3 + 1 internal = 7.
    expect(fastTreeShapCost(parseRaiaTreeEnsemble(ensemble))).toEqual({ tableWork: 30, maxTreeEntries: 26, quadraticWork: 15, linearWork: 26, maxSlots: 2 });
  });
});

describe('Fast TreeSHAP plan', () => {
  it('gives each leaf its distinct path features with the products of their cover ratios, and no slots to a zero-valued leaf', () => {
    const plan = buildFastTreeShapPlan(parseRaiaTreeEnsemble(ensemble));
    expect(Array.from(plan.leafStart)).toEqual([0, 5, 6, 8]);
    expect(Array.from(plan.internalStart)).toEqual([0, 4, 4, 5]);
    const slots = (l: number) => Array.from({ length: plan.leafDepth[l]! }, (_, k) => [plan.slotFeature[plan.leafSlot[l]! + k]!, plan.slotZero[plan.leafSlot[l]! + k]!]);
    // Tree 0, leaves in preorder: value 1 via (0 left: 6/10, 1 left: 2/6); value 0: none; value 2 via 0 twice (4/10 * 1/4);
    // value 3 via (0: 4/10 * 3/4, 2 left: 1/3); value -1 via (0: 4/10 * 3/4, 2 right: 2/3).
    expect(slots(0)).toEqual([
      [0, 6 / 10],
      [1, 2 / 6],
    ]);
    expect(plan.leafDepth[1]).toBe(0);
    expect(slots(2)).toEqual([[0, (4 / 10) * (1 / 4)]]);
    expect(slots(3)).toEqual([
      [0, (4 / 10) * (3 / 4)],
      [2, 1 / 3],
    ]);
    expect(slots(4)).toEqual([
      [0, (4 / 10) * (3 / 4)],
      [2, 2 / 3],
    ]);
    // Tree 1's lone leaf contributes nothing; tree 2's leaves have feature 3 with 2/5 and 3/5.
    expect(plan.leafDepth[5]).toBe(0);
    expect(slots(6)).toEqual([[3, 2 / 5]]);
    expect(slots(7)).toEqual([[3, 3 / 5]]);
    // Slot bits of the internal nodes in preorder: feature 0 (slot 0), 1 (slot 1), 0 again (slot 0), 2 (slot 1); then feature 3 (slot 0).
    expect(Array.from(plan.inBit.subarray(0, 5))).toEqual([1, 2, 1, 2, 1]);
  });

  it('gives brute-force Shapley values for an ensemble with a zero-valued leaf, a lone leaf and a repeated feature', () => {
    const rows = [
      [0.2, 0.7, 0.1, 0.3],
      [0.6, NaN, 0.9, 0],
      [0.9, 0.5, NaN, NaN],
      [0.5, 0.5, 0.5, 0.25],
    ];
    const result = treeShapPathDependent(parseRaiaTreeEnsemble(ensemble), Float64Array.from(rows.flat()), rows.length, 'fast-v2');
    rows.forEach((x, r) => expectClose(result.values.subarray(r * 4, r * 4 + 4), bruteForce(ensemble, x), 1e-12));
  });
});

describe("Fast TreeSHAP with decision '<' (thresholds moved one double down)", () => {
  // One split on feature 0, left leaf 10 (cover 1), right leaf 20 (cover 3): E f = (10 + 60) / 4 = 17.5,
  // so phi_0 = f(x) - 17.5: -7.5 for a row going left, 2.5 for a row going right.
  const stump = (threshold: number) =>
    parseRaiaTreeEnsemble({
      ...regressionDocumentHeader(1, '<'),
      trees: [
        {
          nodes: [
            { feature: 0, threshold, left: 1, right: 2, missingGoesLeft: false, cover: 4 },
            { leaf: 10, cover: 1 },
            { leaf: 20, cover: 3 },
          ],
        },
      ],
    });

  it.each(['fast-v2', 'algorithm-2'] as TreeShapAlgorithm[])('a negative threshold: x < -1 goes left, x = -1 and above go right (%s)', (algorithm) => {
    // -1 - 2^-52 is the double just below -1 and -1 + 2^-53 the double just above it.
    const result = treeShapPathDependent(stump(-1), Float64Array.of(-1, -1 - 2 ** -52, -1 + 2 ** -53, -3), 4, algorithm);
    expect(Array.from(result.values)).toEqual([2.5, -7.5, 2.5, -7.5]);
  });

  it.each(['fast-v2', 'algorithm-2'] as TreeShapAlgorithm[])('an infinite threshold: every finite x and -Infinity go left, +Infinity and NaN (missing right) go right (%s)', (algorithm) => {
    const result = treeShapPathDependent(stump(Infinity), Float64Array.of(3, -Infinity, Number.MAX_VALUE, Infinity, NaN), 5, algorithm);
    expect(Array.from(result.values)).toEqual([-7.5, -7.5, -7.5, 2.5, 2.5]);
  });
});

describe('fastTreeShapInto over several row blocks', () => {
  it('adds brute-force Shapley values to the first nRows rows (more than one 256-row block) and leaves the rest of values alone', () => {
    const model = parseRaiaTreeEnsemble(ensemble);
    const m = 4;
    const random = mulberry32(2109);
    const grid = [0, 0.25, 0.5, 0.75, 1, NaN];
    // 600 rows of data, of which the first 300 are explained; values starts at 1 everywhere.
    const data = Float64Array.from({ length: 600 * m }, () => grid[Math.floor(random() * grid.length)]!);
    const values = new Float64Array(600 * m).fill(1);
    fastTreeShapInto(buildFastTreeShapPlan(model), data, 300, m, values);
    for (let r = 0; r < 300; r++) {
      const expected = bruteForce(ensemble, data.subarray(r * m, (r + 1) * m)).map((phi) => 1 + phi);
      expectClose(values.subarray(r * m, (r + 1) * m), expected, 1e-12);
    }
    expect(values.subarray(300 * m).every((v) => v === 1)).toBe(true);
  });
});
