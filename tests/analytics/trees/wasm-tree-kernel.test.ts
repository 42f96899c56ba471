import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileTreeEnsemble } from '../../../src/analytics/trees/compiled-tree-ensemble.js';
import { parseRaiaTreeEnsemble } from '../../../src/analytics/trees/raia-tree-format.js';
import { referencePredictMargin } from '../../../src/analytics/trees/reference-tree-scorer.js';
import { scorePerfectWasm } from '../../../src/analytics/trees/wasm-tree-kernel.js';
import { featureRow, raiaDocument } from './random-tree-documents.js';

/** Margins of rows `from .. to - 1` by the WebAssembly kernel, in an array pre-filled with a sentinel. */
function wasmMargins(model: ReturnType<typeof parseRaiaTreeEnsemble>, X: Float64Array, nRows: number, from = 0, to = nRows): Float64Array {
  const out = new Float64Array(nRows).fill(-999);
  scorePerfectWasm(compileTreeEnsemble(model), X, from, to, out);
  return out;
}

/** A random ensemble whose every split sends NaN right, so the kernel also takes rows with NaN. */
const nanRightDocument = raiaDocument({ maxFeatures: 6, maxTrees: 8, maxDepth: 6 }).map((doc) => ({
  ...doc,
  trees: doc.trees.map((tree) => ({ nodes: tree.nodes.map((n) => ('feature' in n ? { ...n, missingGoesLeft: false } : n)) })),
}));

describe('the WebAssembly scoring kernel equals the reference walk', () => {
  it('on random ensembles (NaN going right), float64 and float32, any batch size (eight-row groups and the rest)', () => {
    fc.assert(
      fc.property(
        nanRightDocument.chain((doc) =>
          fc.tuple(fc.constant(doc), fc.array(featureRow(doc.featureNames.length), { minLength: 1, maxLength: 70 }), fc.constantFrom('float64' as const, 'float32' as const)),
        ),
        ([doc, rows, precision]) => {
          const model = parseRaiaTreeEnsemble({ ...doc, comparisonPrecision: precision });
          if (compileTreeEnsemble(model).layout !== 'perfect') return;
          const X = Float64Array.from(rows.flat());
          expect(Array.from(wasmMargins(model, X, rows.length))).toEqual(Array.from(referencePredictMargin(model, X, rows.length)));
        },
      ),
      { numRuns: 300, seed: 2026 },
    );
  });

  it('writes only rows from .. to - 1, across several copy rounds, and again after another model was laid out', () => {
    const [docA, docB] = fc.sample(nanRightDocument.filter((d) => d.featureNames.length >= 3), { numRuns: 2, seed: 44 });
    const modelA = parseRaiaTreeEnsemble({ ...docA!, featureNames: docA!.featureNames.slice(0, 3), trees: docA!.trees.map((t) => ({ nodes: t.nodes.map((n) => ('feature' in n ? { ...n, feature: n.feature % 3 } : n)) })) });
    const modelB = parseRaiaTreeEnsemble(docB!);
    const rowsA = fc.sample(featureRow(3), { numRuns: 2500, seed: 5 });
    const XA = Float64Array.from(rowsA.flat());
    const expectedA = referencePredictMargin(modelA, XA, rowsA.length);
    // 1,024 rows per copy round: 2,500 rows take three rounds, the last partial.
    const partA = wasmMargins(modelA, XA, rowsA.length, 7, 2403);
    for (let r = 0; r < rowsA.length; r++) expect(partA[r]).toBe(r >= 7 && r < 2403 ? expectedA[r] : -999);
    const rowsB = fc.sample(featureRow(modelB.nFeatures), { numRuns: 333, seed: 6 });
    const XB = Float64Array.from(rowsB.flat());
    expect(Array.from(wasmMargins(modelB, XB, rowsB.length))).toEqual(Array.from(referencePredictMargin(modelB, XB, rowsB.length)));
    expect(Array.from(wasmMargins(modelA, XA, rowsA.length))).toEqual(Array.from(expectedA));
  });

  it('on wide rows (fewer rows per copy round) with features far into the row', () => {
    const nFeatures = 20_000;
    const featureNames = Array.from({ length: nFeatures }, (_, j) => `x${j}`);
    // x19999 <= 0.5 ? (x12345 <= -1 ? 1 : 2) : 3, plus a tree on x0
    const model = parseRaiaTreeEnsemble({
      format: 'raia-tree-ensemble/v1',
      task: 'regression',
      decision: '<=',
      aggregation: 'sum',
      baseScore: 0.5,
      link: 'identity',
      featureNames,
      trees: [
        { nodes: [{ feature: 19_999, threshold: 0.5, left: 1, right: 2, missingGoesLeft: false, cover: 3 }, { feature: 12_345, threshold: -1, left: 3, right: 4, missingGoesLeft: false, cover: 2 }, { leaf: 3, cover: 1 }, { leaf: 1, cover: 1 }, { leaf: 2, cover: 1 }] },
        { nodes: [{ feature: 0, threshold: 0, left: 1, right: 2, missingGoesLeft: false, cover: 2 }, { leaf: 10, cover: 1 }, { leaf: 20, cover: 1 }] },
      ],
    });
    const nRows = 150;
    const X = new Float64Array(nRows * nFeatures);
    const expected: number[] = [];
    for (let r = 0; r < nRows; r++) {
      const last = r % 3 === 0 ? 1 : 0;
      const middle = r % 2 === 0 ? -2 : 0;
      const first = r % 5 === 0 ? -1 : 1;
      X[r * nFeatures + nFeatures - 1] = last;
      X[r * nFeatures + 12_345] = middle;
      X[r * nFeatures] = first;
      expected.push(0.5 + (last > 0.5 ? 3 : middle <= -1 ? 1 : 2) + (first <= 0 ? 10 : 20));
    }
    expect(Array.from(wasmMargins(model, X, nRows))).toEqual(expected);
  });
});
