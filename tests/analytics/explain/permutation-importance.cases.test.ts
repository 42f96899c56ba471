import { describe, expect, it } from 'vitest';
import { permutationImportance } from '../../../src/analytics/explain/permutation-importance.js';
import type { BatchPredict, FeatureMatrix } from '../../../src/analytics/explain/model-contract.js';
import type { PerformanceMetric } from '../../../src/analytics/explain/performance-metrics.js';
import { mulberry32 } from '../../../src/analytics/seeded-random.js';

/**
 * scikit-learn's permutation_importance: for every repeat and feature, shuffle that column, score
 * the model, and record baseline - score (score - baseline for a loss); importances_mean and
 * importances_std are the mean and the population (numpy default, ddof = 0) std over repeats.
 *
 * The model below looks at every block of n rows it is sent, works out which column was shuffled
 * (by comparing with the data), checks the shuffle is a permutation of that column, and scores the
 * block with metrics written here, so the expected drops are known outside the code under test.
 */
const n = 10;
const m = 3;
const random = mulberry32(41);
const data: FeatureMatrix = { data: Float64Array.from({ length: n * m }, () => random()), nRows: n, nFeatures: m };
const column = (X: Float64Array, offset: number, j: number) => Array.from({ length: n }, (_, i) => X[offset + i * m + j]!);
const sorted = (a: number[]) => [...a].sort((x, y) => x - y);

// f = 3 x0 - 2 x1 (x2 unused), y = f on the data plus a little noise for regression; labels for classification.
const linear = (X: Float64Array, i: number) => 3 * X[i * m]! - 2 * X[i * m + 1]!;
const yRegression = Float64Array.from({ length: n }, (_, i) => linear(data.data, i) + (i % 2 === 0 ? 0.1 : -0.1));
const yLabels = Float64Array.from({ length: n }, (_, i) => (linear(data.data, i) > 0.5 ? 1 : 0));

type Block = { call: number; shuffled: number; score: number };

function recordingModel(metric: PerformanceMetric, output: 'linear' | 'probability') {
  const calls: number[] = [];
  const blocks: Block[] = [];
  const y = metric === 'rmse' ? yRegression : yLabels;
  const predict: BatchPredict = (X, nRows) => {
    expect(X.length).toBe(nRows * m);
    expect(nRows % n).toBe(0);
    const out = Float64Array.from({ length: nRows }, (_, i) => {
      const z = linear(X, i);
      return output === 'linear' ? z : 1 / (1 + Math.exp(-4 * (z - 0.5)));
    });
    for (let b = 0; b < nRows / n; b++) {
      const offset = b * n * m;
      const changed = [0, 1, 2].filter((j) => column(X, offset, j).some((v, i) => v !== data.data[i * m + j]));
      expect(changed.length).toBeLessThanOrEqual(1);
      if (changed.length === 1) expect(sorted(column(X, offset, changed[0]!))).toEqual(sorted(column(data.data, 0, changed[0]!)));
      const p = out.subarray(b * n, (b + 1) * n);
      const s = metric === 'rmse' ? Math.sqrt(p.reduce((acc, v, i) => acc + (v - y[i]!) ** 2, 0) / n) : p.reduce((acc, v, i) => acc + ((v >= 0.5 ? 1 : 0) === y[i] ? 1 : 0), 0) / n;
      blocks.push({ call: calls.length, shuffled: changed[0] ?? -1, score: s });
    }
    calls.push(nRows);
    return out;
  };
  return { predict, calls, blocks };
}

describe('permutation importance against scikit-learn’s definition', () => {
  it.each([
    ['rmse', 'linear', -1],
    ['accuracy', 'probability', 1],
  ] as [PerformanceMetric, 'linear' | 'probability', number][])('%s: drops, mean and population std from the scores of the shuffled copies', async (metric, output, sign) => {
    const repeats = 3;
    const { predict, blocks } = recordingModel(metric, output);
    const result = await permutationImportance(predict, data, metric === 'rmse' ? yRegression : yLabels, { metric, nRepeats: repeats, random: mulberry32(5), maxBatchRows: 40 });
    // The first block is the unshuffled data; then one block per (repeat, feature), repeat-major.
    expect(blocks[0]!.shuffled).toBe(-1);
    expect(result.baseline).toBeCloseTo(blocks[0]!.score, 12);
    expect(blocks).toHaveLength(1 + repeats * m);
    expect(result.nRepeats).toBe(repeats);
    expect(result.metric).toBe(metric);
    for (let r = 0; r < repeats; r++) for (let j = 0; j < m; j++) expect(blocks[1 + r * m + j]!.shuffled).toBe(j);
    const drops = blocks.slice(1).map((b) => sign * (blocks[0]!.score - b.score));
    drops.forEach((d, k) => expect(result.drops[k]).toBeCloseTo(d, 12));
    for (let j = 0; j < m; j++) {
      const own = Array.from({ length: repeats }, (_, r) => drops[r * m + j]!);
      const mean = own.reduce((a, b) => a + b, 0) / repeats;
      const std = Math.sqrt(own.reduce((a, d) => a + (d - mean) ** 2, 0) / repeats);
      expect(result.mean[j]).toBeCloseTo(mean, 12);
      expect(result.std[j]).toBeCloseTo(std, 12);
    }
    // x2 is unused: shuffling it changes nothing. x0 carries the most weight.
    expect(result.mean[2]).toBe(0);
    expect(result.std[2]).toBe(0);
    if (metric === 'rmse') expect(result.mean[0]).toBeGreaterThan(0.3);
  });
});

describe('permutation importance batches shuffled copies up to maxBatchRows rows a call', () => {
  it.each([
    // 9 tasks (3 repeats x 3 features) of 10 rows: 4 copies a call at 40 rows -> 4 + 4 + 1.
    [40, [10, 40, 40, 10]],
    // 45 rows still fit 4 copies only.
    [45, [10, 40, 40, 10]],
    // 30 rows: 3 copies a call, 9 tasks -> exactly 3 calls.
    [30, [10, 30, 30, 30]],
    // Fewer rows than one copy: one copy a call.
    [7, [10, 10, 10, 10, 10, 10, 10, 10, 10, 10]],
    // Room for everything: one call.
    [1000, [10, 90]],
  ] as [number, number[]][])('maxBatchRows %i: calls of %j rows', async (maxBatchRows, sizes) => {
    const { predict, calls, blocks } = recordingModel('rmse', 'linear');
    const result = await permutationImportance(predict, data, yRegression, { metric: 'rmse', nRepeats: 3, random: mulberry32(5), maxBatchRows });
    expect(calls).toEqual(sizes);
    // Whatever the batching, drop k is the score change of the k-th shuffled copy sent (rmse is a loss: permuted - baseline).
    const drops = blocks.slice(1).map((b) => b.score - blocks[0]!.score);
    expect(drops).toHaveLength(9);
    drops.forEach((d, k) => expect(result.drops[k]).toBeCloseTo(d, 12));
  });
});
