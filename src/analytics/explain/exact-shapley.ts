import { coalitionValues } from './coalition-values.js';
import { assertSameWidth, DEFAULT_MAX_BATCH_ROWS, evaluate, type Background, type BatchPredict, type FeatureMatrix } from './model-contract.js';
import { additivityGap, type ShapleyExplanation } from './shapley-explanation.js';

/** Beyond this, 2^M coalitions x background rows is more than any model call should see. */
export const EXACT_SHAPLEY_MAX_FEATURES = 20;

/**
 * Exact interventional Shapley values (Shapley 1953) by evaluating all 2^M coalitions:
 * phi_j = sum_{S not containing j} |S|! (M - |S| - 1)! / M! * (v(S u {j}) - v(S)),
 * with v(S) the background mean of f(x_S, b_notS) (see coalition-values.ts).
 * Cost: 2^M x |background| model evaluations per row; meant for M up to about 15.
 */
export async function exactShapley(predict: BatchPredict, rows: FeatureMatrix, background: Background, options: { maxBatchRows?: number } = {}): Promise<ShapleyExplanation> {
  assertSameWidth(rows, background);
  const m = rows.nFeatures;
  if (m > EXACT_SHAPLEY_MAX_FEATURES) throw new RangeError(`exact Shapley over ${m} features needs 2^${m} coalitions; use KernelSHAP or permutation SHAP`);
  const nCoalitions = 2 ** m;
  const masks = new Uint8Array(nCoalitions * m);
  for (let s = 0; s < nCoalitions; s++) for (let j = 0; j < m; j++) masks[s * m + j] = (s >>> j) & 1;

  // weight[k] = k! (M - k - 1)! / M!, computed as a ratio to stay finite for large M.
  const weight = new Float64Array(m);
  for (let k = 0; k < m; k++) weight[k] = 1 / (m * binomial(m - 1, k));

  const values = new Float64Array(rows.nRows * m);
  let baseValue = 0;
  // Several instances share one call when their coalitions fit together.
  const perCall = Math.max(1, Math.floor((options.maxBatchRows ?? DEFAULT_MAX_BATCH_ROWS) / (nCoalitions * background.nRows)));
  for (let first = 0; first < rows.nRows; first += perCall) {
    const count = Math.min(perCall, rows.nRows - first);
    const allMasks = count === 1 ? masks : new Uint8Array(count * nCoalitions * m);
    const instanceOf = new Int32Array(count * nCoalitions);
    for (let r = 0; r < count; r++) {
      if (count > 1) allMasks.set(masks, r * nCoalitions * m);
      instanceOf.fill(r, r * nCoalitions, (r + 1) * nCoalitions);
    }
    const v = await coalitionValues(predict, rows.data.subarray(first * m, (first + count) * m), allMasks, count * nCoalitions, background, { ...options, maxBatchRows: options.maxBatchRows ?? DEFAULT_MAX_BATCH_ROWS, instanceOf });
    for (let r = 0; r < count; r++) {
      const vBase = r * nCoalitions;
      const phi = values.subarray((first + r) * m, (first + r + 1) * m);
      for (let s = 0; s < nCoalitions; s++) {
        const size = popcount(s);
        for (let j = 0; j < m; j++) {
          if ((s >>> j) & 1) continue;
          phi[j]! += weight[size]! * (v[vBase + (s | (1 << j))]! - v[vBase + s]!);
        }
      }
      baseValue = v[vBase]!;
    }
  }
  if (rows.nRows === 0) baseValue = (await coalitionValues(predict, new Float64Array(m), new Uint8Array(m), 1, background))[0]!;
  const outputs = await evaluate(predict, rows.data.subarray(0, rows.nRows * m), rows.nRows);
  return { baseValue, values, outputs, nRows: rows.nRows, nFeatures: m, additivityGap: additivityGap(values, baseValue, outputs, rows.nRows, m) };
}

function popcount(s: number): number {
  let c = 0;
  for (let t = s; t !== 0; t &= t - 1) c++;
  return c;
}

export function binomial(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let r = 1;
  for (let i = 1; i <= Math.min(k, n - k); i++) r = (r * (n - i + 1)) / i;
  return Math.round(r);
}
