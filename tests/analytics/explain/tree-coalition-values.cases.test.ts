import { describe, expect, it } from 'vitest';
import { treeCoalitionTables, treeCoalitionValues } from '../../../src/analytics/explain/tree-coalition-values.js';
import type { Background } from '../../../src/analytics/explain/model-contract.js';
import { mulberry32 } from '../../../src/analytics/seeded-random.js';
import { parseRaiaTreeEnsemble } from '../../../src/analytics/trees/raia-tree-format.js';
import { referencePredictMargin } from '../../../src/analytics/trees/reference-tree-scorer.js';
import type { TreeEnsemble } from '../../../src/analytics/trees/tree-ensemble.js';
import { regressionDocumentHeader, type DocNode, type RaiaDocument } from '../trees/random-tree-documents.js';

/**
 * A chain: node 2i splits on features[i] at thresholds[i]; a row at or below it goes on down the chain,
 * the others leave to leaf 2i + 1 of value i + 1. Below the last split (left) is a leaf of value 100.
 */
function chainDocument(nFeatures: number, features: number[], thresholds: number[]): RaiaDocument {
  const nodes: DocNode[] = [];
  features.forEach((feature, i) => {
    nodes.push({ feature, threshold: thresholds[i]!, left: 2 * i + 2, right: 2 * i + 1, missingGoesLeft: true, cover: 1 });
    nodes.push({ leaf: i + 1, cover: 1 });
  });
  nodes.push({ leaf: 100, cover: 1 });
  return { ...regressionDocumentHeader(nFeatures), trees: [{ nodes }] };
}

/** v(S) by its definition: the weighted mean over background rows of the margin of the hybrid row (x_S, z_notS), walked node by node. */
function definitionValue(model: TreeEnsemble, x: ArrayLike<number>, mask: ArrayLike<number>, background: Background): number {
  const m = background.nFeatures;
  const weights = background.weights ?? new Float64Array(background.nRows).fill(1);
  const total = weights.reduce((a, b) => a + b, 0);
  let v = 0;
  for (let b = 0; b < background.nRows; b++) {
    const hybrid = Float64Array.from({ length: m }, (_, j) => (mask[j] === 1 ? x[j]! : background.data[b * m + j]!));
    v += (weights[b]! / total) * referencePredictMargin(model, hybrid, 1)[0]!;
  }
  return v;
}

/** Random 0/1 coalitions plus the empty and the full one. */
function someMasks(m: number, n: number, seed: number): Uint8Array {
  const random = mulberry32(seed);
  const masks = new Uint8Array((n + 2) * m);
  masks.fill(1, (n + 1) * m);
  for (let i = m; i < (n + 1) * m; i++) masks[i] = random() < 0.5 ? 1 : 0;
  return masks;
}

function expectDefinitionValues(model: TreeEnsemble, x: Float64Array, background: Background, masks: Uint8Array): void {
  const m = model.nFeatures;
  const tables = treeCoalitionTables(model, background);
  expect(tables).not.toBeNull();
  const n = masks.length / m;
  const got = treeCoalitionValues(tables!, x, masks, n);
  for (let c = 0; c < n; c++) expect(got[c]).toBeCloseTo(definitionValue(model, x, masks.subarray(c * m, (c + 1) * m), background), 12);
}

describe('tree coalition tables: layout', () => {
  it('hand-computed slots, table offsets, C_L tables and all-one-way flags', () => {
    // x0 <= 0.5 ? (x1 <= 0.5 ? 1 : 2) : (x2 <= 0.5 ? 3 : (x0 <= 0.2 ? 4 : 5)), nodes in preorder 0..8.
    const model = parseRaiaTreeEnsemble({
      ...regressionDocumentHeader(3),
      trees: [
        {
          nodes: [
            { feature: 0, threshold: 0.5, left: 1, right: 4, missingGoesLeft: false, cover: 5 },
            { feature: 1, threshold: 0.5, left: 2, right: 3, missingGoesLeft: false, cover: 2 },
            { leaf: 1, cover: 1 },
            { leaf: 2, cover: 1 },
            { feature: 2, threshold: 0.5, left: 5, right: 6, missingGoesLeft: false, cover: 3 },
            { leaf: 3, cover: 1 },
            { feature: 0, threshold: 0.2, left: 7, right: 8, missingGoesLeft: false, cover: 2 },
            { leaf: 4, cover: 1 },
            { leaf: 5, cover: 1 },
          ],
        },
      ],
    });
    // Background a = (0, 0, 1), b = (1, 0, 1), c = (0.3, 0.4, 0.9) with weights 1, 1, 2 -> 1/4, 1/4, 1/2.
    const background = { data: Float64Array.of(0, 0, 1, 1, 0, 1, 0.3, 0.4, 0.9), nRows: 3, nFeatures: 3, weights: Float64Array.of(1, 1, 2) };
    const tables = treeCoalitionTables(model, background)!;
    // Slots: feature 0 at the root is slot 0; feature 1 below it slot 1; on the right branch feature 2 is slot 1
    // (feature 1 is not on that path) and the second split on feature 0 reuses slot 0.
    expect([0, 1, 4, 6].map((n) => tables.slot[n])).toEqual([0, 1, 1, 0]);
    // Every leaf has two distinct path features, so a 4-entry table; internal nodes have none (-1).
    expect(Array.from(tables.tableStart)).toEqual([-1, -1, 0, 4, -1, 8, -1, 12, 16]);
    // C_L(R) = weight of the background rows meeting the leaf's conditions on the features in R (bit s = slot s):
    //   leaf 1: x0 <= 0.5 (a, c: 3/4), x1 <= 0.5 (all)         -> [1, 3/4, 1, 3/4]
    //   leaf 2: x0 <= 0.5 (3/4), x1 > 0.5 (none)               -> [1, 3/4, 0, 0]
    //   leaf 3: x0 > 0.5 (b: 1/4), x2 <= 0.5 (none)            -> [1, 1/4, 0, 0]
    //   leaf 4: x0 > 0.5 and x0 <= 0.2 (none), x2 > 0.5 (all)   -> [1, 0, 1, 0]
    //   leaf 5: x0 > 0.5 and x0 > 0.2 (b: 1/4), x2 > 0.5 (all)  -> [1, 1/4, 1, 1/4]
    expect(Array.from(tables.table)).toEqual([1, 0.75, 1, 0.75, 1, 0.75, 0, 0, 1, 0.25, 0, 0, 1, 0, 1, 0, 1, 0.25, 1, 0.25]);
    // zWay: at node 1 every background row has x1 <= 0.5 (1, all left); at node 4 every one has x2 > 0.5 (2, all right);
    // nodes 0 and 6 split the background (0); leaves 0.
    expect(Array.from(tables.zWay)).toEqual([0, 1, 0, 0, 2, 0, 0, 0, 0]);
  });
});

describe('tree coalition tables: limits', () => {
  const background = (m: number, rows: number[][]): Background => ({ data: Float64Array.from(rows.flat()), nRows: rows.length, nFeatures: m });

  it('builds tables for a path with 16 distinct features (one of them split on twice), with values equal to the definition', () => {
    const features = [...Array.from({ length: 16 }, (_, i) => i), 0];
    const thresholds = [...new Array<number>(16).fill(0.5), 0.25];
    const model = parseRaiaTreeEnsemble(chainDocument(16, features, thresholds));
    const random = mulberry32(16);
    // Rows that mostly go down the chain, so deep leaves are reached.
    const row = () => Array.from({ length: 16 }, () => (random() < 0.9 ? 0.1 + 0.2 * random() : 0.9));
    const bg = background(16, Array.from({ length: 6 }, row));
    expectDefinitionValues(model, Float64Array.from(row()), bg, someMasks(16, 12, 161));
  });

  it('returns null for a path with 17 distinct features', () => {
    const model = parseRaiaTreeEnsemble(chainDocument(17, Array.from({ length: 17 }, (_, i) => i), new Array<number>(17).fill(0.5)));
    expect(treeCoalitionTables(model, background(17, [new Array<number>(17).fill(0)]))).toBeNull();
  });

  // A chain alternating features 0 and 1 with thresholds falling from 1 to about 0.15.
  const deepChain = (depth: number) =>
    parseRaiaTreeEnsemble(
      chainDocument(
        2,
        Array.from({ length: depth }, (_, i) => i % 2),
        Array.from({ length: depth }, (_, i) => 1 - i / 300),
      ),
    );

  it('builds tables for a tree 256 splits deep, with values equal to the definition', () => {
    const model = deepChain(256);
    expect(model.maxDepth).toBe(256);
    const bg = background(2, [
      [0.1, 0.1],
      [0.5, 0.2],
      [0.3, 0.95],
      [0.12, 0.16],
    ]);
    // All four coalitions of two features.
    expectDefinitionValues(model, Float64Array.of(0.15, 0.6), bg, Uint8Array.of(0, 0, 1, 0, 0, 1, 1, 1));
  });

  it('returns null for a tree 257 splits deep (left to scoring)', () => {
    const model = deepChain(257);
    expect(model.maxDepth).toBe(257);
    expect(treeCoalitionTables(model, background(2, [[0.1, 0.1]]))).toBeNull();
  });

  /** A full binary tree of depth 11 splitting on feature l at level l (11 distinct features on every path): 2^11 leaves x 2^11 entries = 2^22. */
  function fullTree(): { nodes: DocNode[] } {
    const nodes: DocNode[] = [];
    const place = (level: number, at: number): number => {
      const index = nodes.length;
      if (level === 11) {
        nodes.push({ leaf: (at % 7) - 3, cover: 1 });
        return index;
      }
      nodes.push({ feature: level, threshold: 0.5, left: -1, right: -1, missingGoesLeft: true, cover: 1 });
      const left = place(level + 1, 2 * at);
      const right = place(level + 1, 2 * at + 1);
      nodes[index] = { feature: level, threshold: 0.5, left, right, missingGoesLeft: true, cover: 1 };
      return index;
    };
    place(0, 0);
    return { nodes };
  }

  it('builds tables of exactly 2^22 entries and returns null beyond that', () => {
    const tree = fullTree();
    const exact = parseRaiaTreeEnsemble({ ...regressionDocumentHeader(11), trees: [tree] });
    const bg = background(11, [Array.from({ length: 11 }, (_, j) => (j % 3 === 0 ? 0.9 : 0.1))]);
    const tables = treeCoalitionTables(exact, bg);
    expect(tables?.table.length).toBe(2 ** 22);
    const x = Float64Array.from({ length: 11 }, (_, j) => (j % 2 === 0 ? 0.2 : 0.8));
    const masks = someMasks(11, 2, 11);
    const got = treeCoalitionValues(tables!, x, masks, 4);
    for (let c = 0; c < 4; c++) expect(got[c]).toBeCloseTo(definitionValue(exact, x, masks.subarray(c * 11, (c + 1) * 11), bg), 12);
    // One more tree, a lone leaf, adds one entry (2^0): 2^22 + 1 is over the budget.
    const over = parseRaiaTreeEnsemble({ ...regressionDocumentHeader(11), trees: [tree, { nodes: [{ leaf: 1, cover: 1 }] }] });
    expect(treeCoalitionTables(over, bg)).toBeNull();
  });
});
