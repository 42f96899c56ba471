import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildFastTreeShapPlan, fastTreeShapInto } from '../../../src/analytics/explain/fast-tree-shap.js';
import { fastTreeShapWasmInto } from '../../../src/analytics/explain/wasm-fast-tree-shap.js';
import { mulberry32 } from '../../../src/analytics/seeded-random.js';
import { parseRaiaTreeEnsemble } from '../../../src/analytics/trees/raia-tree-format.js';
import { featureRow, raiaDocument } from '../trees/random-tree-documents.js';

// The JavaScript loops of fastTreeShapInto are the reference here: tests/analytics/explain/fast-tree-shap.cases.test.ts
// checks the WebAssembly path (treeShapPathDependent) against brute-force Shapley values, this file that
// both paths give the same doubles on random ensembles, row counts around the kernel's 256-row blocks,
// NaN either way, both comparison precisions, and rounds of copies.

/** Values from both paths, each starting from the same non-zero values (both add to them). */
function bothPaths(plan: ReturnType<typeof buildFastTreeShapPlan>, data: Float64Array, nRows: number, m: number, copyBytes?: number) {
  const start = Float64Array.from({ length: data.length }, (_, i) => (i % 7) / 8);
  const js = Float64Array.from(start);
  const wasm = Float64Array.from(start);
  fastTreeShapInto(plan, data, nRows, m, js);
  fastTreeShapWasmInto(plan, data, nRows, m, wasm, copyBytes);
  return { js, wasm, start };
}

describe('Fast TreeSHAP in WebAssembly equals its JavaScript loops', () => {
  it('on random ensembles with repeated features, ties, NaN both ways and leaves of value 0, both precisions', () => {
    fc.assert(
      fc.property(
        raiaDocument({ maxFeatures: 6, maxTrees: 6, maxDepth: 6 }).chain((doc) =>
          fc.tuple(fc.constant(doc), fc.array(featureRow(doc.featureNames.length), { minLength: 1, maxLength: 40 }), fc.constantFrom('float64' as const, 'float32' as const)),
        ),
        ([doc, rows, precision]) => {
          const model = parseRaiaTreeEnsemble({ ...doc, comparisonPrecision: precision });
          const m = doc.featureNames.length;
          const data = Float64Array.from(rows.flat(), (v) => (precision === 'float32' ? Math.fround(v) : v));
          const { js, wasm } = bothPaths(buildFastTreeShapPlan(model), data, rows.length, m);
          expect(Array.from(wasm)).toEqual(Array.from(js));
        },
      ),
      { numRuns: 300, seed: 1207 },
    );
  });

  it.each([255, 256, 257, 700])('%i rows: every 256-row block of the kernel, and rows past nRows left alone', (nRows) => {
    const doc = fc.sample(raiaDocument({ maxFeatures: 5, maxTrees: 8, maxDepth: 6 }), { numRuns: 1, seed: nRows })[0]!;
    const model = parseRaiaTreeEnsemble(doc);
    const m = doc.featureNames.length;
    const random = mulberry32(nRows);
    const grid = [-0.25, 0, 0.25, 0.5, 0.75, 1, 1.3, NaN];
    // Ten rows more than explained: their values must stay as they started.
    const data = Float64Array.from({ length: (nRows + 10) * m }, () => grid[Math.floor(random() * grid.length)]!);
    const { js, wasm, start } = bothPaths(buildFastTreeShapPlan(model), data, nRows, m);
    expect(Array.from(wasm)).toEqual(Array.from(js));
    expect(Array.from(wasm.subarray(nRows * m))).toEqual(Array.from(start.subarray(nRows * m)));
  });

  it('in rounds of a few rows at a time (the copy bound), the same doubles as in one round', () => {
    const doc = fc.sample(raiaDocument({ maxFeatures: 4, maxTrees: 5, maxDepth: 5 }), { numRuns: 1, seed: 42 })[0]!;
    const model = parseRaiaTreeEnsemble(doc);
    const m = doc.featureNames.length;
    const random = mulberry32(7);
    const data = Float64Array.from({ length: 50 * m }, () => Math.floor(random() * 6) / 4);
    const plan = buildFastTreeShapPlan(model);
    // 3 rows of data and values per round: 17 rounds, the last one of 2 rows.
    const { js, wasm } = bothPaths(plan, data, 50, m, 3 * 2 * m * 8);
    expect(Array.from(wasm)).toEqual(Array.from(js));
  });
});
