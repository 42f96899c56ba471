import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { treeShapInterventional, type InterventionalAlgorithm } from '../../../src/analytics/explain/interventional-tree-shap.js';
import type { FeatureMatrix } from '../../../src/analytics/explain/model-contract.js';
import { parseRaiaTreeEnsemble } from '../../../src/analytics/trees/raia-tree-format.js';
import { mulberry32 } from '../../../src/analytics/seeded-random.js';
import { bruteForceShapley, docMargin, raiaDocument, type RaiaDocument } from '../trees/random-tree-documents.js';

/**
 * Interventional TreeSHAP (Lundberg et al. 2020) is, by definition, the Shapley values of
 * v(S) = mean over background rows z of f(x_S, z_notS). The expected values here come from that
 * definition: the document's own walk (docMargin) and an enumeration of all 2^M coalitions.
 */
const ALGORITHMS: InterventionalAlgorithm[] = ['path-walk', 'leaf-tables', 'auto'];

const matrix = (rows: number[][]): FeatureMatrix => ({ data: Float64Array.from(rows.flat()), nRows: rows.length, nFeatures: rows[0]!.length });

function bruteForce(doc: RaiaDocument, x: number[], background: number[][]): number[] {
  const m = doc.featureNames.length;
  const v = (mask: number) => background.reduce((s, z) => s + docMargin(doc, x.map((xj, j) => (mask & (1 << j) ? xj : z[j]!))), 0) / background.length;
  return bruteForceShapley(m, v);
}

/** Rows on the thresholds' grid (ties with the splits), off it, and missing values, from a seeded generator. */
function seededRows(nRows: number, m: number, seed: number): number[][] {
  const random = mulberry32(seed);
  return Array.from({ length: nRows }, () =>
    Array.from({ length: m }, () => {
      const u = random();
      if (u < 0.1) return NaN;
      if (u < 0.6) return Math.floor(random() * 7 - 1) / 4;
      return random() * 3 - 1;
    }),
  );
}

// a <= 0.5 ? (b <= 0.5 ? 1 : 3) : 10, '<=' splits, float64 comparisons.
const twoFeatureDoc: RaiaDocument = {
  format: 'raia-tree-ensemble/v1', task: 'regression', decision: '<=', aggregation: 'sum', baseScore: 0, link: 'identity', featureNames: ['a', 'b'],
  trees: [{ nodes: [{ feature: 0, threshold: 0.5, left: 1, right: 4, missingGoesLeft: true, cover: 20 }, { feature: 1, threshold: 0.5, left: 2, right: 3, missingGoesLeft: true, cover: 8 }, { leaf: 1, cover: 2 }, { leaf: 3, cover: 6 }, { leaf: 10, cover: 12 }] }],
};

describe('interventional TreeSHAP: hand-computed games', () => {
  it.each(ALGORITHMS)('gives the Shapley values of f(x_S, z_notS) for one background row (%s)', (algorithm) => {
    // x = (0, 1), z = (1, 0): v({}) = f(1, 0) = 10, v({a}) = f(0, 0) = 1, v({b}) = f(1, 1) = 10, v({a, b}) = f(0, 1) = 3.
    // phi_a = ((1 - 10) + (3 - 10)) / 2 = -8; phi_b = ((10 - 10) + (3 - 1)) / 2 = 1; -8 + 1 = 3 - 10.
    const result = treeShapInterventional(parseRaiaTreeEnsemble(twoFeatureDoc), Float64Array.from([0, 1]), 1, matrix([[1, 0]]), algorithm);
    expect(result.baseValue).toBe(10);
    expect(result.outputs[0]).toBe(3);
    expect(result.values[0]).toBeCloseTo(-8, 12);
    expect(result.values[1]).toBeCloseTo(1, 12);
  });

  it.each(ALGORITHMS)('averages the games of several background rows (%s)', (algorithm) => {
    // x = (0, 1); z1 = (1, 0) gives (-8, 1) as above; z2 = (0, 0): only b differs, f(0, 1) - f(0, 0) = 2 goes to b, a gets 0.
    // Mean over the background: phi = (-4, 1.5); base value (10 + 1) / 2 = 5.5; 5.5 - 4 + 1.5 = 3.
    const result = treeShapInterventional(parseRaiaTreeEnsemble(twoFeatureDoc), Float64Array.from([0, 1]), 1, matrix([[1, 0], [0, 0]]), algorithm);
    expect(result.baseValue).toBe(5.5);
    expect(result.values[0]).toBeCloseTo(-4, 12);
    expect(result.values[1]).toBeCloseTo(1.5, 12);
    expect(result.additivityGap).toBeLessThanOrEqual(1e-12);
  });

  it.each(ALGORITHMS)('compares a float64 model’s inputs as doubles and a float32 model’s after Math.fround (%s)', (algorithm) => {
    // x0 <= 0.1 ? 0 : 1. In float64, x = 0.1 lies on the threshold and goes left (f = 0); in float32,
    // fround(0.1) = 0.10000000149... > 0.1 goes right (f = 1). Background z = 1 (f = 1): phi = f(x) - f(z).
    const doc = (comparisonPrecision: 'float64' | 'float32') => ({
      format: 'raia-tree-ensemble/v1', task: 'regression', decision: '<=', aggregation: 'sum', baseScore: 0, link: 'identity', featureNames: ['x'], comparisonPrecision,
      trees: [{ nodes: [{ feature: 0, threshold: 0.1, left: 1, right: 2, missingGoesLeft: false, cover: 2 }, { leaf: 0, cover: 1 }, { leaf: 1, cover: 1 }] }],
    });
    const background = matrix([[1]]);
    expect(treeShapInterventional(parseRaiaTreeEnsemble(doc('float64')), Float64Array.from([0.1]), 1, background, algorithm).values[0]).toBe(-1);
    expect(treeShapInterventional(parseRaiaTreeEnsemble(doc('float32')), Float64Array.from([0.1]), 1, background, algorithm).values[0]).toBe(0);
  });
});

describe('interventional TreeSHAP: many rows against brute force', () => {
  // Random ensembles with at least two features (so rows of the result are laid out m apart).
  const docs = fc.sample(raiaDocument({ maxFeatures: 4, maxTrees: 3, maxDepth: 4 }).filter((d) => d.featureNames.length >= 2), { seed: 2020, numRuns: 12 });

  // 8 rows: `auto` switches to the leaf tables; 40 rows: the tables serve rows in blocks of 32, so a second, partial block.
  it.each([8, 40])('every algorithm matches the brute-force Shapley values for %i rows', (nRows) => {
    docs.forEach((doc, d) => {
      const m = doc.featureNames.length;
      const model = parseRaiaTreeEnsemble(doc);
      const rows = seededRows(nRows, m, 100 + d);
      const background = seededRows(5, m, 900 + d);
      const expected = rows.map((x) => bruteForce(doc, x, background));
      const baseValue = background.reduce((s, z) => s + docMargin(doc, z), 0) / background.length;
      for (const algorithm of ALGORITHMS) {
        const result = treeShapInterventional(model, Float64Array.from(rows.flat()), nRows, matrix(background), algorithm);
        expect(result.nRows).toBe(nRows);
        expect(result.values.length).toBe(nRows * m);
        expect(Math.abs(result.baseValue - baseValue)).toBeLessThanOrEqual(1e-9);
        rows.forEach((x, r) => {
          // Largest deviation over the row's features and its output, one assertion per row.
          let worst = Math.abs(result.outputs[r]! - docMargin(doc, x));
          for (let j = 0; j < m; j++) worst = Math.max(worst, Math.abs(result.values[r * m + j]! - expected[r]![j]!));
          expect(worst, `${algorithm}, document ${d}, row ${r}`).toBeLessThanOrEqual(1e-9);
        });
      }
    });
  });

  it('the brute-force reference is not trivially zero on these cases', () => {
    // Guards the test above: the rows beyond the first block of 32 carry non-zero attributions.
    const doc = docs.find((d) => d.trees.some((t) => t.nodes.length > 1))!;
    const rows = seededRows(40, doc.featureNames.length, 100 + docs.indexOf(doc));
    const background = seededRows(5, doc.featureNames.length, 900 + docs.indexOf(doc));
    const total = rows.slice(32).reduce((s, x) => s + bruteForce(doc, x, background).reduce((a, b) => a + Math.abs(b), 0), 0);
    expect(total).toBeGreaterThan(0.1);
  });
});

describe('interventional TreeSHAP: inputs it refuses', () => {
  const model = parseRaiaTreeEnsemble(twoFeatureDoc);
  it.each(ALGORITHMS)('a background of another width, too few values in X, an empty background (%s)', (algorithm) => {
    expect(() => treeShapInterventional(model, Float64Array.from([0, 1]), 1, matrix([[1, 0, 0]]), algorithm)).toThrow(/^background has 3 features, the model 2$/);
    expect(() => treeShapInterventional(model, Float64Array.from([0, 1, 2]), 2, matrix([[1, 0]]), algorithm)).toThrow(/^X holds 3 values, fewer than 2 rows x 2 features$/);
    expect(() => treeShapInterventional(model, Float64Array.from([0, 1]), 1, { data: new Float64Array(0), nRows: 0, nFeatures: 2 }, algorithm)).toThrow(/^the background has no rows$/);
    expect(() => treeShapInterventional(model, Float64Array.from([0, 1]), 1, matrix([[1, 0, 0]]), algorithm)).toThrow(RangeError);
  });
});
