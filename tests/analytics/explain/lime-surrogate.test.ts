import { describe, expect, it } from 'vitest';
import { limeTabular, type LimeDistance } from '../../../src/analytics/explain/lime-tabular.js';
import type { BatchPredict, FeatureMatrix } from '../../../src/analytics/explain/model-contract.js';
import { mulberry32 } from '../../../src/analytics/seeded-random.js';

/** numpy.percentile (linear) of a sorted array. */
function percentile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Dense weighted ridge with intercept, written out from its definition: solve [[sum w, sum w x'], [sum w x, sum w x x' + alpha I]] [b0; b] = [sum w y; sum w x y] (intercept unpenalised). */
function ridgeByNormalEquations(Z: number[][], y: number[], w: number[], alpha: number): { intercept: number; coef: number[] } {
  const m = Z[0]!.length;
  const p = m + 1;
  const A = Array.from({ length: p }, () => new Array<number>(p + 1).fill(0));
  Z.forEach((row, i) => {
    const z = [1, ...row];
    for (let a = 0; a < p; a++) {
      for (let b = 0; b < p; b++) A[a]![b]! += w[i]! * z[a]! * z[b]!;
      A[a]![p]! += w[i]! * z[a]! * y[i]!;
    }
  });
  for (let a = 1; a < p; a++) A[a]![a]! += alpha;
  // Gauss-Jordan with partial pivoting
  for (let c = 0; c < p; c++) {
    let piv = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(A[r]![c]!) > Math.abs(A[piv]![c]!)) piv = r;
    [A[c], A[piv]] = [A[piv]!, A[c]!];
    for (let r = 0; r < p; r++) {
      if (r === c) continue;
      const f = A[r]![c]! / A[c]![c]!;
      for (let k = c; k <= p; k++) A[r]![k]! -= f * A[c]![k]!;
    }
  }
  const x = A.map((row, i) => row[p]! / row[i]!);
  return { intercept: x[0]!, coef: x.slice(1) };
}

describe('LIME surrogate, recomputed from the samples the model saw', () => {
  const m = 4;
  const random = mulberry32(11);
  const training: FeatureMatrix = { data: Float64Array.from({ length: 400 * m }, (_, i) => (i % m === 3 ? 5 : 1) * random()), nRows: 400, nFeatures: m };
  const instance = Float64Array.of(0.2, 0.6, 0.9, 2.5);
  const f = (x: ArrayLike<number>, o: number) => Math.sin(3 * x[o]!) + x[o + 1]! * x[o + 2]! - 0.3 * x[o + 3]!;

  for (const distance of ['binary', 'training-std'] as const) {
    it(`fits the weighted ridge of lime's definition (distance ${distance})`, async () => {
      let seen: Float64Array = new Float64Array(0);
      const predict: BatchPredict = (X, n) => {
        seen = Float64Array.from(X.subarray(0, n * m));
        return Float64Array.from({ length: n }, (_, i) => f(X, i * m));
      };
      const options: { nSamples: number; random: ReturnType<typeof mulberry32>; distance?: LimeDistance } = { nSamples: 800, random: mulberry32(5) };
      if (distance === 'training-std') options.distance = distance;
      const result = await limeTabular(predict, training, instance, options);

      const n = seen.length / m;
      const columns = Array.from({ length: m }, (_, j) => Array.from({ length: training.nRows }, (_, i) => training.data[i * m + j]!).sort((a, b) => a - b));
      const edges = columns.map((c) => [0.25, 0.5, 0.75].map((q) => percentile(c, q)));
      const bin = (j: number, v: number) => edges[j]!.filter((e) => v > e).length;
      const std = columns.map((c) => {
        const mean = c.reduce((a, b) => a + b, 0) / c.length;
        return Math.sqrt(c.reduce((a, b) => a + (b - mean) ** 2, 0) / c.length);
      });
      const Z: number[][] = [];
      const y: number[] = [];
      const w: number[] = [];
      const width = 0.75 * Math.sqrt(m);
      for (let i = 0; i < n; i++) {
        const row = Array.from({ length: m }, (_, j) => seen[i * m + j]!);
        Z.push(row.map((v, j) => (bin(j, v) === bin(j, instance[j]!) ? 1 : 0)));
        y.push(f(seen, i * m));
        const d2 = distance === 'binary' ? Z[i]!.reduce((a, z) => a + (1 - z), 0) : row.reduce((a, v, j) => a + ((v - instance[j]!) / std[j]!) ** 2, 0);
        w.push(Math.sqrt(Math.exp(-d2 / width ** 2)));
      }
      expect(Z[0]).toEqual([1, 1, 1, 1]);
      const expected = ridgeByNormalEquations(Z, y, w, 1);
      expect(result.intercept).toBeCloseTo(expected.intercept, 9);
      expected.coef.forEach((c, j) => expect(result.weights[j]).toBeCloseTo(c, 9));
      const yBar = y.reduce((a, v, i) => a + w[i]! * v, 0) / w.reduce((a, b) => a + b, 0);
      const pred = Z.map((z) => expected.intercept + z.reduce((a, v, j) => a + v * expected.coef[j]!, 0));
      const r2 = 1 - y.reduce((a, v, i) => a + w[i]! * (v - pred[i]!) ** 2, 0) / y.reduce((a, v, i) => a + w[i]! * (v - yBar) ** 2, 0);
      expect(result.score).toBeCloseTo(r2, 9);
    });
  }

  it('the two distances weigh the same samples differently', async () => {
    const predict: BatchPredict = (X, n) => Float64Array.from({ length: n }, (_, i) => f(X, i * m));
    const a = await limeTabular(predict, training, instance, { nSamples: 500, random: mulberry32(5) });
    const b = await limeTabular(predict, training, instance, { nSamples: 500, random: mulberry32(5), distance: 'training-std' });
    expect(a.modelPrediction).toBe(b.modelPrediction);
    expect(Array.from(a.weights)).not.toEqual(Array.from(b.weights));
  });
});
