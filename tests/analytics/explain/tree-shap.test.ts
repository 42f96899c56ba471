import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRaiaTreeEnsemble } from '../../../src/analytics/trees/raia-tree-format.js';
import { treeShapPathDependent } from '../../../src/analytics/explain/tree-shap.js';
import { treeShapInterventional } from '../../../src/analytics/explain/interventional-tree-shap.js';
import { bruteForceShapley, docGoesLeft, docMargin, featureRow, raiaDocument, type DocNode, type RaiaDocument } from '../trees/random-tree-documents.js';

/**
 * Lundberg, Erion & Lee 2018, Algorithm 1 (EXPVALUE): the cover-weighted estimate of E[f(x) | x_S]
 * for one tree, by recursion over the tree; features in S follow x, the others average both
 * children weighted by cover(child) / cover(node).
 */
function expValue(doc: RaiaDocument, nodes: DocNode[], index: number, x: ArrayLike<number>, mask: number): number {
  const node = nodes[index]!;
  if ('leaf' in node) return node.leaf;
  if (mask & (1 << node.feature)) return expValue(doc, nodes, docGoesLeft(doc, node, x[node.feature]!) ? node.left : node.right, x, mask);
  return (expValue(doc, nodes, node.left, x, mask) * nodes[node.left]!.cover + expValue(doc, nodes, node.right, x, mask) * nodes[node.right]!.cover) / node.cover;
}

function pathDependentValue(doc: RaiaDocument, x: ArrayLike<number>, mask: number): number {
  const sum = doc.trees.reduce((s, t) => s + expValue(doc, t.nodes, 0, x, mask), 0);
  return doc.baseScore + (doc.aggregation === 'mean' ? sum / doc.trees.length : sum);
}

function interventionalValue(doc: RaiaDocument, x: number[], background: number[][], mask: number): number {
  const total = background.reduce((s, z) => s + docMargin(doc, x.map((xj, j) => (mask & (1 << j) ? xj : z[j]!))), 0);
  return total / background.length;
}

const close = (actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number) => {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThanOrEqual(tolerance);
};

// Both algorithms are checked against brute force whatever `auto` would choose.
describe.each(['algorithm-2', 'fast-v2'] as const)('path-dependent TreeSHAP (%s)', (algorithm) => {
  it('equals brute-force Shapley values of the cover-weighted conditional expectation on random ensembles', () => {
    fc.assert(
      fc.property(
        raiaDocument().chain((doc) => fc.tuple(fc.constant(doc), fc.array(featureRow(doc.featureNames.length), { minLength: 1, maxLength: 3 }))),
        ([doc, rows]) => {
          const model = parseRaiaTreeEnsemble(doc);
          const m = doc.featureNames.length;
          const result = treeShapPathDependent(model, Float64Array.from(rows.flat()), rows.length, algorithm);
          expect(Math.abs(result.baseValue - pathDependentValue(doc, rows[0]!, 0))).toBeLessThanOrEqual(1e-9);
          rows.forEach((x, r) => {
            const expected = bruteForceShapley(m, (mask) => pathDependentValue(doc, x, mask));
            close(result.values.subarray(r * m, (r + 1) * m), expected, 1e-9);
          });
          expect(result.additivityGap).toBeLessThanOrEqual(1e-9);
        },
      ),
      { numRuns: 300, seed: 20181 },
    );
  });

  it('handles deep trees that split on the same feature repeatedly', () => {
    fc.assert(
      fc.property(
        raiaDocument({ maxFeatures: 3, maxDepth: 7, maxTrees: 2 }).chain((doc) => fc.tuple(fc.constant(doc), featureRow(doc.featureNames.length))),
        ([doc, x]) => {
          const m = doc.featureNames.length;
          const result = treeShapPathDependent(parseRaiaTreeEnsemble(doc), Float64Array.from(x), 1, algorithm);
          close(result.values, bruteForceShapley(m, (mask) => pathDependentValue(doc, x, mask)), 1e-9);
        },
      ),
      { numRuns: 150, seed: 7 },
    );
  });
});

describe('interventional TreeSHAP (Lundberg et al. 2020)', () => {
  it('equals brute-force Shapley values of the background-mean value function on random ensembles', () => {
    fc.assert(
      fc.property(
        raiaDocument().chain((doc) =>
          fc.tuple(fc.constant(doc), fc.array(featureRow(doc.featureNames.length), { minLength: 1, maxLength: 2 }), fc.array(featureRow(doc.featureNames.length), { minLength: 1, maxLength: 4 })),
        ),
        ([doc, rows, background]) => {
          const model = parseRaiaTreeEnsemble(doc);
          const m = doc.featureNames.length;
          for (const algorithm of ['path-walk', 'leaf-tables'] as const) {
            const result = treeShapInterventional(model, Float64Array.from(rows.flat()), rows.length, { data: Float64Array.from(background.flat()), nRows: background.length, nFeatures: m }, algorithm);
            expect(Math.abs(result.baseValue - interventionalValue(doc, rows[0]!, background, 0))).toBeLessThanOrEqual(1e-9);
            rows.forEach((x, r) => {
              const expected = bruteForceShapley(m, (mask) => interventionalValue(doc, x, background, mask));
              close(result.values.subarray(r * m, (r + 1) * m), expected, 1e-9);
            });
            expect(result.additivityGap).toBeLessThanOrEqual(1e-9);
          }
        },
      ),
      { numRuns: 300, seed: 20202 },
    );
  });
});
