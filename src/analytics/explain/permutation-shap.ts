import { coalitionValues } from './coalition-values.js';
import { assertSameWidth, evaluate, normalisedWeights, type Background, type BatchPredict, type FeatureMatrix } from './model-contract.js';
import { mulberry32, shuffleInPlace, type Random } from '../seeded-random.js';
import { additivityGap, type ShapleyExplanation } from './shapley-explanation.js';

export type PermutationShapOptions = { nPermutations?: number; random?: Random; maxBatchRows?: number };

/**
 * Permutation sampling of Shapley values (Strumbelj & Kononenko 2014) with antithetic pairs, as
 * shap's PermutationExplainer: each random order is walked forwards (adding features one by one
 * to the empty coalition) and backwards (removing them from the full one), which is the reversed
 * order. Every walk telescopes from v(empty) to v(all), so efficiency holds exactly for any
 * number of permutations; additive models get exact values from a single one.
 * 2M + 1 coalitions per permutation, all in one batched model call per row.
 */
export async function permutationShap(predict: BatchPredict, rows: FeatureMatrix, background: Background, options: PermutationShapOptions = {}): Promise<ShapleyExplanation> {
  assertSameWidth(rows, background);
  const m = rows.nFeatures;
  const nPerm = options.nPermutations ?? 10;
  const random = options.random ?? mulberry32(0);
  const perCoalitions = 2 * m + 1;
  const count = nPerm * perCoalitions;
  const outputs = await evaluate(predict, rows.data.subarray(0, rows.nRows * m), rows.nRows);
  const bgOut = await evaluate(predict, background.data.subarray(0, background.nRows * m), background.nRows);
  const weights = normalisedWeights(background);
  let baseValue = 0;
  for (let b = 0; b < background.nRows; b++) baseValue += weights[b]! * bgOut[b]!;

  const values = new Float64Array(rows.nRows * m);
  const order = new Int32Array(nPerm * m);
  const masks = new Uint8Array(count * m);
  for (let r = 0; r < rows.nRows; r++) {
    for (let p = 0; p < nPerm; p++) {
      const perm = order.subarray(p * m, (p + 1) * m);
      for (let j = 0; j < m; j++) perm[j] = j;
      shuffleInPlace(perm, random);
      const base = p * perCoalitions;
      // Forward: coalition i holds perm[0..i); backward: coalition M + i holds all but perm[0..i).
      for (let i = 1; i <= m; i++) {
        masks.copyWithin((base + i) * m, (base + i - 1) * m, (base + i) * m);
        masks[(base + i) * m + perm[i - 1]!] = 1;
      }
      for (let i = 1; i <= m; i++) {
        masks.copyWithin((base + m + i) * m, (base + m + i - 1) * m, (base + m + i) * m);
        masks[(base + m + i) * m + perm[i - 1]!] = 0;
      }
    }
    const x = rows.data.subarray(r * m, (r + 1) * m);
    const v = await coalitionValues(predict, x, masks, count, background, { maxBatchRows: options.maxBatchRows });
    const phi = values.subarray(r * m, (r + 1) * m);
    for (let p = 0; p < nPerm; p++) {
      const base = p * perCoalitions;
      for (let i = 1; i <= m; i++) {
        const f = order[p * m + i - 1]!;
        phi[f]! += v[base + i]! - v[base + i - 1]!;
        phi[f]! += v[base + m + i - 1]! - v[base + m + i]!;
      }
    }
    for (let j = 0; j < m; j++) phi[j]! /= 2 * nPerm;
  }
  return { baseValue, values, outputs, nRows: rows.nRows, nFeatures: m, additivityGap: additivityGap(values, baseValue, outputs, rows.nRows, m) };
}
