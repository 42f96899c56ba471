import { describe, expect, it } from 'vitest';
import { fastTreeShapCost } from '../../../src/analytics/explain/fast-tree-shap.js';
import { treeShapPathDependent, type TreeShapAlgorithm } from '../../../src/analytics/explain/tree-shap.js';
import { mulberry32 } from '../../../src/analytics/seeded-random.js';
import { parseRaiaTreeEnsemble } from '../../../src/analytics/trees/raia-tree-format.js';
import { docGoesLeft, type DocNode, type RaiaDocument, regressionDocumentHeader } from '../trees/random-tree-documents.js';

/**
 * Lundberg, Erion & Lee 2018, Algorithm 1 (EXPVALUE), written out on the document's node objects:
 * features in S follow x, the others average both children weighted by cover(child) / cover(node).
 */
function expValue(doc: RaiaDocument, nodes: DocNode[], index: number, x: ArrayLike<number>, mask: (j: number) => boolean): number {
  const node = nodes[index]!;
  if ('leaf' in node) return node.leaf;
  if (mask(node.feature)) return expValue(doc, nodes, docGoesLeft(doc, node, x[node.feature]!) ? node.left : node.right, x, mask);
  return (expValue(doc, nodes, node.left, x, mask) * nodes[node.left]!.cover + expValue(doc, nodes, node.right, x, mask) * nodes[node.right]!.cover) / node.cover;
}

function pathDependentValue(doc: RaiaDocument, x: ArrayLike<number>, mask: (j: number) => boolean): number {
  const sum = doc.trees.reduce((s, t) => s + expValue(doc, t.nodes, 0, x, mask), 0);
  return doc.baseScore + (doc.aggregation === 'mean' ? sum / doc.trees.length : sum);
}

/** Exact Shapley values by enumerating all 2^M coalitions, with the weights |S|! (M - |S| - 1)! / M! tabulated once. */
function bruteForce(m: number, v: (mask: number) => number): number[] {
  const fact = [1];
  for (let i = 1; i <= m; i++) fact.push(fact[i - 1]! * i);
  const values = Array.from({ length: 1 << m }, (_, s) => v(s));
  const phi = new Array<number>(m).fill(0);
  for (let s = 0; s < 1 << m; s++) {
    let size = 0;
    for (let t = s; t !== 0; t &= t - 1) size++;
    const w = (fact[size]! * fact[m - size - 1]!) / fact[m]!;
    for (let j = 0; j < m; j++) if ((s & (1 << j)) === 0) phi[j]! += w * (values[s | (1 << j)]! - values[s]!);
  }
  return phi;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThanOrEqual(tolerance);
}

/**
 * A chain ("caterpillar") on features 0 .. depth - 1: node 2i splits on feature i at 0.5; a row with
 * x_i <= 0.5 goes on down the chain, the others leave to leaf 2i + 1. The bottom node's left leaf has
 * value `bottom`; the leaf leaving node i has value `side(i)`. Covers halve at every split.
 */
function chainDocument(depth: number, bottom: number, side: (i: number) => number): RaiaDocument {
  const nodes: DocNode[] = [];
  for (let i = 0; i < depth; i++) {
    const cover = 2 ** (depth - i);
    // The next chain node (or, below the last split, the bottom leaf) sits at 2i + 2.
    nodes.push({ feature: i, threshold: 0.5, left: 2 * i + 2, right: 2 * i + 1, missingGoesLeft: true, cover });
    nodes.push({ leaf: side(i), cover: cover / 2 });
  }
  nodes.push({ leaf: bottom, cover: 1 });
  return { ...regressionDocumentHeader(depth), trees: [{ nodes }] };
}

describe('path-dependent TreeSHAP: input checks', () => {
  it('rejects an X shorter than nRows x nFeatures, naming both sizes', () => {
    const model = parseRaiaTreeEnsemble(chainDocument(3, 1, () => 0));
    // 2 rows x 3 features need 6 values; 5 are given.
    expect(() => treeShapPathDependent(model, new Float64Array(5), 2)).toThrow(new RangeError('X holds 5 values, fewer than 2 rows x 3 features'));
  });
});

describe("path-dependent TreeSHAP with algorithm 'auto'", () => {
  // A 12-deep chain with distinct features: leaves at d = 1 .. 12 distinct features plus the bottom leaf at d = 12.
  const doc = chainDocument(12, 100, (i) => i + 1);
  const model = parseRaiaTreeEnsemble(doc);

  it('has the table and per-row costs computed by hand for the 12-deep chain', () => {
    // tableWork = sum_{d=1}^{12} d 2^d + 12 * 2^12 = (11 * 2^13 + 2) + 49,152 = 139,266 (one tree, so also maxTreeEntries);
    // quadraticWork = sum_{d=1}^{12} d^2 + 12^2 = 650 + 144 = 794; linearWork = sum_{d=1}^{12} (d + 2) + (12 + 2) + 12 internal = 128.
    expect(fastTreeShapCost(model)).toEqual({ tableWork: 139_266, maxTreeEntries: 139_266, quadraticWork: 794, linearWork: 128, maxSlots: 12 });
  });

  // With those costs, building the tables costs 2.5 * 139,266 = 348,165 > 100,000 and saves 3 * 794 - 128 = 2,254 per row:
  // one row runs Algorithm 2 (348,293 > 2,382), 160 rows run Fast TreeSHAP (348,165 + 20,480 = 368,645 <= 381,120).
  // Whichever runs, the values must be the brute-force Shapley values of EXPVALUE.
  it.each([1, 160])('equals brute force on %i rows of the 12-deep chain', (nRows) => {
    const random = mulberry32(nRows);
    const rows = Array.from({ length: nRows }, () => Array.from({ length: 12 }, () => (random() < 0.85 ? 0 : 1)));
    const result = treeShapPathDependent(model, Float64Array.from(rows.flat()), nRows);
    rows.forEach((x, r) => {
      const expected = bruteForce(12, (mask) => pathDependentValue(doc, x, (j) => (mask & (1 << j)) !== 0));
      expectClose(result.values.subarray(r * 12, (r + 1) * 12), expected, 1e-9);
    });
  });

  it('equals brute force on a small ensemble with repeated features and missing values (tables built at once)', () => {
    const doc2: RaiaDocument = {
      ...regressionDocumentHeader(3),
      aggregation: 'mean',
      baseScore: 0.5,
      trees: [
        {
          nodes: [
            { feature: 0, threshold: 0.5, left: 1, right: 4, missingGoesLeft: false, cover: 10 },
            { feature: 1, threshold: 0.25, left: 2, right: 3, missingGoesLeft: true, cover: 6 },
            { leaf: -1.5, cover: 2 },
            { leaf: 2, cover: 4 },
            { feature: 0, threshold: 0.75, left: 5, right: 6, missingGoesLeft: true, cover: 4 },
            { leaf: 3.25, cover: 1 },
            { leaf: -0.5, cover: 3 },
          ],
        },
        {
          nodes: [
            { feature: 2, threshold: 0, left: 1, right: 2, missingGoesLeft: false, cover: 8 },
            { leaf: 4, cover: 5 },
            { feature: 1, threshold: 0.5, left: 3, right: 4, missingGoesLeft: false, cover: 3 },
            { leaf: -2, cover: 1 },
            { leaf: 1, cover: 2 },
          ],
        },
      ],
    };
    const rows = [
      [0.6, 0.1, -1],
      [NaN, 0.3, 0.2],
      [0.8, NaN, 0],
    ];
    const result = treeShapPathDependent(parseRaiaTreeEnsemble(doc2), Float64Array.from(rows.flat()), rows.length);
    rows.forEach((x, r) => expectClose(result.values.subarray(r * 3, r * 3 + 3), bruteForce(3, (mask) => pathDependentValue(doc2, x, (j) => (mask & (1 << j)) !== 0)), 1e-12));
  });
});

describe('path-dependent TreeSHAP on a tree too deep for Fast TreeSHAP tables', () => {
  // 40 distinct features on one path: the bottom leaf alone would need 2^40 * 40 table entries, far beyond the
  // 2^22 budget (and beyond any allocation), so every algorithm setting must run Algorithm 2.
  // Only the bottom leaf is non-zero (value 8), covers halve at every split, so for a row that follows the whole
  // path v(S) = 8 * 2^-(40 - |S|): a symmetric game, phi_k = (v(U) - v({})) / 40 = 8 (1 - 2^-40) / 40.
  // For a row that leaves the path at feature 0 (x_0 = 1), v(S) = 0 when 0 is in S, else 8 * 2^-(40 - |S|):
  //   phi_0 = -sum_{s=0}^{39} C(39, s) s! (39 - s)! / 40! * 8 * 2^(s - 40) = -(8 / 40) (1 - 2^-40),
  //   and features 1 .. 39 share the rest of v(U) - v({}) = -8 * 2^-40 equally.
  const depth = 40;
  const model = parseRaiaTreeEnsemble(chainDocument(depth, 8, () => 0));
  const hot = new Array<number>(depth).fill(0);
  const leavesAtZero = [1, ...new Array<number>(depth - 1).fill(0)];
  const tail = 2 ** -depth;
  const phiHot = (8 * (1 - tail)) / depth;
  const phiCold0 = -(8 / depth) * (1 - tail);
  const phiColdOther = (-8 * tail - phiCold0) / (depth - 1);

  it.each(['auto', 'fast-v2', 'algorithm-2'] as TreeShapAlgorithm[])('gives the hand-derived values with algorithm %s', (algorithm) => {
    expect(fastTreeShapCost(model).maxTreeEntries).toBe(2 ** 40 * 40);
    const result = treeShapPathDependent(model, Float64Array.from([...hot, ...leavesAtZero]), 2, algorithm);
    expect(result.baseValue).toBe(8 * tail);
    expectClose(result.values.subarray(0, depth), new Array<number>(depth).fill(phiHot), 1e-12);
    expectClose(result.values.subarray(depth), [phiCold0, ...new Array<number>(depth - 1).fill(phiColdOther)], 1e-12);
    expect(Array.from(result.outputs)).toEqual([8, 0]);
  });
});

describe('path-dependent TreeSHAP of float32 models (XGBoost rounding)', () => {
  // decision '<' on float32 inputs: a double just below the float32 threshold rounds up to it and goes right.
  const t = Math.fround(0.1);
  const below = t - 1e-12; // Math.fround(below) === t, while below < t as a double
  const doc: RaiaDocument = {
    ...regressionDocumentHeader(3),
    decision: '<',
    trees: [
      {
        nodes: [
          { feature: 0, threshold: t, left: 1, right: 4, missingGoesLeft: true, cover: 10 },
          { feature: 1, threshold: t, left: 2, right: 3, missingGoesLeft: false, cover: 4 },
          { leaf: 1, cover: 1 },
          { leaf: 2, cover: 3 },
          { feature: 2, threshold: t, left: 5, right: 6, missingGoesLeft: true, cover: 6 },
          { leaf: 4, cover: 2 },
          { leaf: 8, cover: 4 },
        ],
      },
    ],
  };
  const model = parseRaiaTreeEnsemble({ ...doc, comparisonPrecision: 'float32' });
  const rows = [
    [below, 0, below],
    [0, below, 1],
    [1, 1, below],
  ];

  it('the rounding matters for these rows', () => {
    expect(Math.fround(below)).toBe(t);
    expect(below < t).toBe(true);
  });

  it.each(['algorithm-2', 'fast-v2'] as TreeShapAlgorithm[])('%s equals brute force on the float32-rounded rows', (algorithm) => {
    const result = treeShapPathDependent(model, Float64Array.from(rows.flat()), rows.length, algorithm);
    rows.forEach((x, r) => {
      const rounded = x.map((v) => Math.fround(v));
      const expected = bruteForce(3, (mask) => pathDependentValue(doc, rounded, (j) => (mask & (1 << j)) !== 0));
      expectClose(result.values.subarray(r * 3, r * 3 + 3), expected, 1e-12);
    });
    // Row 0 rounds to (t, 0, t): t < t fails at the root and again at the feature-2 split, so it lands on leaf 8.
    expect(result.outputs[0]).toBe(8);
  });
});

describe('path-dependent TreeSHAP with extreme cover ratios', () => {
  // x0 <= 0.5 ? 1 : (x1 <= 0.5 ? 2 : 3) with the left leaf's cover ratio 1e-10 / 1e300 = 1e-310 (subnormal, 1 / it
  // overflows) or 1e-300 / 1e300 (underflows to 0), and ratios 1 and 1/2, 1/2 on the right. With that left ratio taken
  // as 0 (it changes nothing at 1e-12): v({}) = 2.5, and for x = (0, 0): v({0}) = 1, v({1}) = 2, v({0, 1}) = 1, so
  // phi_0 = ((1 - 2.5) + (1 - 2)) / 2 = -1.25, phi_1 = ((2 - 2.5) + (1 - 1)) / 2 = -0.25;
  // x = (1, 0): v({0}) = 2.5, v({1}) = v({0, 1}) = 2 -> (0, -0.5); x = (1, 1): v({1}) = v({0, 1}) = 3 -> (0, 0.5).
  const model = (leftCover: number) =>
    parseRaiaTreeEnsemble({
      ...regressionDocumentHeader(2),
      trees: [
        {
          nodes: [
            { feature: 0, threshold: 0.5, left: 1, right: 2, missingGoesLeft: true, cover: 1e300 },
            { leaf: 1, cover: leftCover },
            { feature: 1, threshold: 0.5, left: 3, right: 4, missingGoesLeft: true, cover: 1e300 },
            { leaf: 2, cover: 5e299 },
            { leaf: 3, cover: 5e299 },
          ],
        },
      ],
    });

  it.each([1e-10, 1e-300])('left cover %s: every algorithm gives the hand-computed values', (leftCover) => {
    for (const algorithm of ['auto', 'fast-v2', 'algorithm-2'] as TreeShapAlgorithm[]) {
      const result = treeShapPathDependent(model(leftCover), Float64Array.of(0, 0, 1, 0, 1, 1), 3, algorithm);
      expectClose(result.values, [-1.25, -0.25, 0, -0.5, 0, 0.5], 1e-12);
    }
  });
});
