import { REUSED_BUFFER_BATCH_ROWS, evaluate, type BatchPredict, type FeatureMatrix } from './model-contract.js';
import { higherIsBetter, score, type PerformanceMetric } from './performance-metrics.js';
import { mulberry32, shuffleInPlace, type Random } from '../seeded-random.js';

export type PermutationImportance = {
  metric: PerformanceMetric;
  baseline: number;
  /** Mean drop in performance when the feature is shuffled (positive = the model relies on it; losses count an increase as a drop). */
  mean: Float64Array;
  std: Float64Array;
  /** drops[r * nFeatures + j]: drop in repeat r. */
  drops: Float64Array;
  nRepeats: number;
};

/**
 * Permutation feature importance (Breiman 2001; Fisher, Rudin & Dominici 2019), as sklearn's
 * permutation_importance: shuffle one column, re-score, repeat `nRepeats` times; the drop is
 * baseline - permuted for scores and permuted - baseline for losses. std is the population std
 * over repeats (numpy's default, as sklearn reports). Shuffled copies of several features go to
 * the model in one call, up to maxBatchRows rows.
 */
export async function permutationImportance(
  predict: BatchPredict,
  data: FeatureMatrix,
  y: Float64Array,
  options: { metric: PerformanceMetric; nRepeats?: number; random?: Random; maxBatchRows?: number },
): Promise<PermutationImportance> {
  const { nRows: n, nFeatures: m } = data;
  const repeats = options.nRepeats ?? 5;
  const random = options.random ?? mulberry32(0);
  const sign = higherIsBetter[options.metric] ? 1 : -1;
  const baseline = score(options.metric, y, await evaluate(predict, data.data.subarray(0, n * m), n));
  const drops = new Float64Array(repeats * m);
  const tasks = repeats * m;
  const perCall = Math.max(1, Math.floor((options.maxBatchRows ?? REUSED_BUFFER_BATCH_ROWS) / n));
  // Shared memory: a multi-threaded scorer hands shares of it to worker threads without copying.
  const buffer = new Float64Array(new SharedArrayBuffer(Math.max(1, Math.min(perCall, tasks) * n * m) * 8));
  const perm = new Int32Array(n);
  for (let first = 0; first < tasks; first += perCall) {
    const count = Math.min(perCall, tasks - first);
    for (let t = 0; t < count; t++) {
      const j = (first + t) % m;
      const block = t * n * m;
      buffer.set(data.data.subarray(0, n * m), block);
      for (let i = 0; i < n; i++) perm[i] = i;
      shuffleInPlace(perm, random);
      for (let i = 0; i < n; i++) buffer[block + i * m + j] = data.data[perm[i]! * m + j]!;
    }
    const out = await evaluate(predict, buffer.subarray(0, count * n * m), count * n);
    for (let t = 0; t < count; t++) drops[first + t] = sign * (baseline - score(options.metric, y, out.subarray(t * n, (t + 1) * n)));
  }
  const mean = new Float64Array(m);
  const std = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    for (let r = 0; r < repeats; r++) mean[j]! += drops[r * m + j]! / repeats;
    for (let r = 0; r < repeats; r++) std[j]! += (drops[r * m + j]! - mean[j]!) ** 2 / repeats;
    std[j] = Math.sqrt(std[j]!);
  }
  return { metric: options.metric, baseline, mean, std, drops, nRepeats: repeats };
}
