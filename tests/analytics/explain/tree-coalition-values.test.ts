import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { coalitionValues } from '../../../src/analytics/explain/coalition-values.js';
import { kernelShap } from '../../../src/analytics/explain/kernel-shap.js';
import { treeCoalitionTables, treeCoalitionValues } from '../../../src/analytics/explain/tree-coalition-values.js';
import { mulberry32 } from '../../../src/analytics/seeded-random.js';
import { predictMargin, treeEnsemblePredictor } from '../../../src/analytics/trees/predict.js';
import { parseRaiaTreeEnsemble } from '../../../src/analytics/trees/raia-tree-format.js';
import { referencePredictMargin } from '../../../src/analytics/trees/reference-tree-scorer.js';
import { additiveTreeEnsembleOf } from '../../../src/analytics/trees/tree-backed-predict.js';
import { docMargin, featureRow, raiaDocument } from '../trees/random-tree-documents.js';

/** v(S) by its definition: the weighted mean over background rows of the margin of (x_S, z_notS), each hybrid row walked node by node. */
function definitionValue(model: ReturnType<typeof parseRaiaTreeEnsemble>, x: number[], mask: number[], background: number[][], weights: number[]): number {
  const total = weights.reduce((a, b) => a + b, 0);
  let v = 0;
  background.forEach((z, b) => {
    const hybrid = Float64Array.from(z.map((zj, j) => (mask[j] === 1 ? x[j]! : zj)));
    v += (weights[b]! / total) * referencePredictMargin(model, hybrid, 1)[0]!;
  });
  return v;
}

describe('coalition values of a tree ensemble from its trees', () => {
  it('hand-computed: one tree x0 <= 0.5 ? (x1 <= 0.5 ? 1 : 2) : 3, x = (0, 1), background (1, 0) and (0.2, 0.7)', () => {
    const model = parseRaiaTreeEnsemble({
      format: 'raia-tree-ensemble/v1',
      task: 'regression',
      decision: '<=',
      aggregation: 'sum',
      baseScore: 0,
      link: 'identity',
      featureNames: ['x0', 'x1'],
      trees: [
        {
          nodes: [
            { feature: 0, threshold: 0.5, left: 1, right: 2, missingGoesLeft: false, cover: 3 },
            { feature: 1, threshold: 0.5, left: 3, right: 4, missingGoesLeft: false, cover: 2 },
            { leaf: 3, cover: 1 },
            { leaf: 1, cover: 1 },
            { leaf: 2, cover: 1 },
          ],
        },
      ],
    });
    const background = { data: Float64Array.of(1, 0, 0.2, 0.7), nRows: 2, nFeatures: 2 };
    const tables = treeCoalitionTables(model, background)!;
    // masks: {}, {x0}, {x1}, {x0, x1}
    const masks = Uint8Array.of(0, 0, 1, 0, 0, 1, 1, 1);
    // {}: f(1, 0) = 3, f(0.2, 0.7) = 2 -> 2.5; {x0}: f(0, 0) = 1, f(0, 0.7) = 2 -> 1.5;
    // {x1}: f(1, 1) = 3, f(0.2, 1) = 2 -> 2.5; {x0, x1}: f(0, 1) = 2.
    expect(Array.from(treeCoalitionValues(tables, Float64Array.of(0, 1), masks, 4))).toEqual([2.5, 1.5, 2.5, 2]);
  });

  it('equals the definition on random ensembles (ties, NaN, both decisions, float64 and float32, weighted backgrounds, several instances)', () => {
    fc.assert(
      fc.property(
        raiaDocument({ maxFeatures: 5, maxTrees: 5, maxDepth: 5 }).chain((doc) => {
          const m = doc.featureNames.length;
          return fc.tuple(
            fc.constant(doc),
            fc.constantFrom('float64' as const, 'float32' as const),
            fc.array(featureRow(m), { minLength: 1, maxLength: 3 }),
            fc.array(fc.tuple(featureRow(m), fc.integer({ min: 1, max: 5 })), { minLength: 1, maxLength: 12 }),
            fc.array(fc.tuple(fc.array(fc.integer({ min: 0, max: 1 }), { minLength: m, maxLength: m }), fc.nat()), { minLength: 1, maxLength: 20 }),
          );
        }),
        ([doc, precision, instances, weighted, coalitions]) => {
          const model = parseRaiaTreeEnsemble({ ...doc, comparisonPrecision: precision });
          const m = model.nFeatures;
          const background = { data: Float64Array.from(weighted.flatMap(([z]) => z)), nRows: weighted.length, nFeatures: m, weights: Float64Array.from(weighted.map(([, w]) => w)) };
          const tables = treeCoalitionTables(model, background)!;
          const instanceOf = Int32Array.from(coalitions.map(([, i]) => i % instances.length));
          const masks = Uint8Array.from(coalitions.flatMap(([mask]) => mask));
          const got = treeCoalitionValues(tables, Float64Array.from(instances.flat()), masks, coalitions.length, instanceOf);
          coalitions.forEach(([mask], c) => {
            const expected = definitionValue(
              model,
              instances[instanceOf[c]!]!,
              mask,
              weighted.map(([z]) => z),
              weighted.map(([, w]) => w),
            );
            expect(got[c]).toBeCloseTo(expected, 10);
          });
          // the empty and the full coalition of one instance, against the document walked independently (float64 only)
          if (precision === 'float64') {
            const full = treeCoalitionValues(tables, Float64Array.from(instances[0]!), new Uint8Array(m).fill(1), 1);
            expect(full[0]).toBeCloseTo(docMargin(doc, instances[0]!), 10);
          }
        },
      ),
      { numRuns: 300, seed: 1801 },
    );
  });

  it('coalitionValues takes this path only for a marked additive predictor, and gives what scoring the synthetic rows gives', async () => {
    const doc = fc.sample(raiaDocument({ maxFeatures: 4, maxTrees: 4, maxDepth: 4 }), { numRuns: 1, seed: 5 })[0]!;
    const model = parseRaiaTreeEnsemble(doc);
    const m = model.nFeatures;
    const rows = fc.sample(featureRow(m), { numRuns: 9, seed: 6 });
    const background = { data: Float64Array.from(rows.slice(1).flat()), nRows: 8, nFeatures: m };
    const masks = Uint8Array.from(Array.from({ length: (1 << m) * m }, (_, i) => (Math.floor(i / m) >> i % m) & 1));
    const marked = treeEnsemblePredictor(model, 'margin');
    expect(additiveTreeEnsembleOf(marked)).toBe(model);
    expect(additiveTreeEnsembleOf((X: Float64Array, n: number) => predictMargin(model, X, n))).toBeNull();
    expect(additiveTreeEnsembleOf(treeEnsemblePredictor({ ...model, link: 'logistic' }, 'output'))).toBeNull();
    let calls = 0;
    const blackBox = (X: Float64Array, n: number) => {
      calls++;
      return predictMargin(model, X, n);
    };
    const x = Float64Array.from(rows[0]!);
    const fromTrees = await coalitionValues(marked, x, masks, 1 << m, background);
    const fromRows = await coalitionValues(blackBox, x, masks, 1 << m, background);
    expect(calls).toBeGreaterThan(0);
    fromTrees.forEach((v, c) => expect(v).toBeCloseTo(fromRows[c]!, 10));
  });

  it('KernelSHAP through the trees equals KernelSHAP on the same model as a black box', async () => {
    const doc = fc.sample(raiaDocument({ maxFeatures: 5, maxTrees: 6, maxDepth: 5 }), { numRuns: 1, seed: 11 })[0]!;
    const model = parseRaiaTreeEnsemble({ ...doc, comparisonPrecision: 'float32' });
    const m = model.nFeatures;
    const rows = fc.sample(featureRow(m), { numRuns: 24, seed: 12 });
    const explained = { data: Float64Array.from(rows.slice(0, 4).flat()), nRows: 4, nFeatures: m };
    const background = { data: Float64Array.from(rows.slice(4).flat()), nRows: 20, nFeatures: m };
    const viaTrees = await kernelShap(treeEnsemblePredictor(model), explained, background, { random: mulberry32(3) });
    const viaRows = await kernelShap((X, n) => predictMargin(model, X, n), explained, background, { random: mulberry32(3) });
    expect(viaTrees.baseValue).toBeCloseTo(viaRows.baseValue, 12);
    viaTrees.values.forEach((v, i) => expect(v).toBeCloseTo(viaRows.values[i]!, 9));
  });
});
