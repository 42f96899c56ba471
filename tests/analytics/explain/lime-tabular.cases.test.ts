import { describe, expect, it } from 'vitest';
import { limeTabular, type LimeDistance } from '../../../src/analytics/explain/lime-tabular.js';
import type { BatchPredict, FeatureMatrix } from '../../../src/analytics/explain/model-contract.js';
import { mulberry32, type Random } from '../../../src/analytics/seeded-random.js';

/**
 * A Random that returns exactly these uniforms, in order, and fails loudly if asked for more.
 * It lets a test steer each step of lime's sampling: one uniform picks a quartile bin by inverse CDF
 * of the training frequencies, then pairs (u, v) make Box-Muller normals Z = sqrt(-2 ln u) cos(2 pi v)
 * for the truncated normal inside the bin.
 */
function scripted(values: number[]): Random {
  let k = 0;
  return () => {
    if (k >= values.length) throw new Error(`scripted random exhausted after ${values.length} draws`);
    return values[k++]!;
  };
}

/** u with sqrt(-2 ln u) = r (exactly, checked below), so (u, 0) gives Z = +r and (u, 0.5) gives Z = -r. */
const uFor = (r: number) => Math.exp(-(r * r) / 2);
/** A normal draw far outside any bin: Z = sqrt(-2 ln 1e-300) = 37.17. */
const MISS = [1e-300, 0];

function columns(cols: number[][]): FeatureMatrix {
  const n = cols[0]!.length;
  const m = cols.length;
  return { data: Float64Array.from({ length: n * m }, (_, p) => cols[p % m]![Math.floor(p / m)]!), nRows: n, nFeatures: m };
}

/** A model that remembers the rows it was asked to score. */
function recording(f: (row: number[]) => number, m: number): { predict: BatchPredict; rows: () => number[][] } {
  let seen: number[][] = [];
  return {
    predict: (X, n) => {
      seen = Array.from({ length: n }, (_, i) => Array.from(X.subarray(i * m, (i + 1) * m)));
      return Float64Array.from(seen, f);
    },
    rows: () => seen,
  };
}

/**
 * Weighted ridge (alpha = 1, unpenalised intercept) on ONE binary feature z, in closed form:
 * W = sum w, zbar = sum w z / W, ybar = sum w y / W, Szz = sum w (z - zbar)^2, Szy = sum w (z - zbar)(y - ybar),
 * coef = Szy / (Szz + 1), intercept = ybar - zbar coef; weighted R^2 = 1 - SSres / SStot.
 */
function ridge1(z: number[], y: number[], w: number[]): { coef: number; intercept: number; r2: number } {
  const W = w.reduce((a, b) => a + b, 0);
  const zbar = z.reduce((a, v, i) => a + w[i]! * v, 0) / W;
  const ybar = y.reduce((a, v, i) => a + w[i]! * v, 0) / W;
  const szz = z.reduce((a, v, i) => a + w[i]! * (v - zbar) ** 2, 0);
  const szy = z.reduce((a, v, i) => a + w[i]! * (v - zbar) * (y[i]! - ybar), 0);
  const coef = szy / (szz + 1);
  const intercept = ybar - zbar * coef;
  const ssRes = y.reduce((a, v, i) => a + w[i]! * (v - intercept - coef * z[i]!) ** 2, 0);
  const ssTot = y.reduce((a, v, i) => a + w[i]! * (v - ybar) ** 2, 0);
  return { coef, intercept, r2: 1 - ssRes / ssTot };
}

// Training column 0..7 (n = 8): numpy quartiles at positions 1.75, 3.5, 5.25 -> edges 1.75, 3.5, 5.25.
// Bins {0,1}, {2,3}, {4,5}, {6,7}: frequencies 1/4 each, means 0.5, 2.5, 4.5, 6.5, population std 0.5;
// bounds [0, 1.75], [1.75, 3.5], [3.5, 5.25], [5.25, 7].
const ramp8 = [0, 1, 2, 3, 4, 5, 6, 7];

describe('LIME sampling inside quartile bins', () => {
  it('the scripted uniforms give the normals the comments claim', () => {
    for (const r of [1, 1.5, 2]) expect(Math.sqrt(-2 * Math.log(uFor(r)))).toBe(r);
    expect(Math.cos(2 * Math.PI * 0)).toBe(1);
    expect(Math.cos(2 * Math.PI * 0.5)).toBe(-1);
    expect(2.5 + 0.5 * Math.sqrt(-2 * Math.log(MISS[0]!))).toBeGreaterThan(3.5);
  });

  it('draws mean + std Z with the bin’s training mean and std, accepting the upper bound', async () => {
    // Uniform 0.3 lies in [0.25, 0.5): bin 1 (mean 2.5, std 0.5). Z = 2: 2.5 + 0.5 * 2 = 3.5, the bin's upper edge.
    const model = recording((r) => r[0]!, 1);
    await limeTabular(model.predict, columns([ramp8]), Float64Array.of(2.5), {
      nSamples: 2,
      random: scripted([0.3, uFor(2), 0, ...Array<number[]>(49).fill(MISS).flat(), 0.5]),
    });
    expect(model.rows()).toEqual([[2.5], [3.5]]);
  });

  it('accepts a normal draw exactly on the lower bound', async () => {
    // Bin 1 again; Z = -1.5: 2.5 - 0.5 * 1.5 = 1.75, the bin's lower edge.
    const model = recording((r) => r[0]!, 1);
    await limeTabular(model.predict, columns([ramp8]), Float64Array.of(2.5), {
      nSamples: 2,
      random: scripted([0.3, uFor(1.5), 0.5, ...Array<number[]>(49).fill(MISS).flat(), 0.5]),
    });
    expect(model.rows()).toEqual([[2.5], [1.75]]);
  });

  it('puts a uniform exactly on a cumulative frequency into the next bin, and falls back to uniform on the bin after 50 misses', async () => {
    // Uniform 0.25 = F(bin 0): inverse CDF takes the first bin with u < F, i.e. bin 1 = [1.75, 3.5].
    // 50 normals at Z = 37 all miss; then lower + 0.5 (upper - lower) = 1.75 + 0.875 = 2.625.
    const model = recording((r) => r[0]!, 1);
    await limeTabular(model.predict, columns([ramp8]), Float64Array.of(2.5), {
      nSamples: 2,
      random: scripted([0.25, ...Array<number[]>(50).fill(MISS).flat(), 0.5]),
    });
    expect(model.rows()).toEqual([[2.5], [2.625]]);
  });

  it('gives a single-valued bin its value without drawing a normal', async () => {
    // Column 0..5 (n = 6): edges 1.25, 2.5, 3.75; bins {0,1}, {2}, {3}, {4,5}, frequencies 1/3, 1/6, 1/6, 1/3.
    // Both features use it. Sampling runs feature by feature:
    //   feature 0, sample 1: u = 0.4 -> bin 1 = {2} -> 2 (std 0: no normal drawn)
    //   feature 0, sample 2: u = 0.6 -> bin 2 = {3} -> 3
    //   feature 1, sample 1: u = 0.1 -> bin 0 (mean 0.5, std 0.5, [0, 1.25]); Z = +1 -> 1
    //   feature 1, sample 2: u = 0.9 -> bin 3 (mean 4.5, std 0.5, [3.75, 5]); Z = -1 -> 4
    // A normal drawn for the single-valued bins would consume the uniforms meant for feature 1.
    const ramp6 = [0, 1, 2, 3, 4, 5];
    const model = recording((r) => r[0]! + r[1]!, 2);
    await limeTabular(model.predict, columns([ramp6, ramp6]), Float64Array.of(2.2, 0.7), {
      nSamples: 3,
      random: scripted([0.4, 0.6, 0.1, uFor(1), 0, 0.9, uFor(1), 0.5]),
    });
    expect(model.rows()).toEqual([
      [2.2, 0.7],
      [2, 1],
      [3, 4],
    ]);
  });

  it('a uniform just below 1 lands in the last bin even when the frequencies sum below it in floating point', async () => {
    // Column [0,1,1,2,2,2,3]: quartiles 1, 2, 2 -> edges 1, 2; bins {0,1,1}, {2,2,2}, {3}: 3/7, 3/7, 1/7.
    const u = 1 - 2 ** -53;
    expect(u - 3 / 7 - 3 / 7 - 1 / 7).toBe(0); // the inverse-CDF loop never sees u < 0
    const model = recording((r) => r[0]!, 1);
    const result = await limeTabular(model.predict, columns([[0, 1, 1, 2, 2, 2, 3]]), Float64Array.of(3), { nSamples: 2, random: scripted([u]) });
    expect(model.rows()).toEqual([[3], [3]]);
    expect(result.conditions).toEqual(['x0 > 2']);
  });
});

describe('LIME surrogate on hand-computed samples', () => {
  // One feature (ramp8), instance 2.5 in bin 1; f(x) = 10 if x > 3.5 else 0.
  // Sample 1: u = 0.3 -> bin 1, Z = +1 -> 3.0 (same bin, z = 1, f = 0).
  // Sample 2: u = 0.9 -> bin 3, Z = +1 -> 7.0 (other bin, z = 0, f = 10).
  const step = (r: number[]) => (r[0]! > 3.5 ? 10 : 0);
  const uniforms = () => scripted([0.3, uFor(1), 0, 0.9, uFor(1), 0]);
  const z = [1, 1, 0];
  const y = [0, 0, 10];

  it('uses the kernel sqrt(exp(-d^2 / w^2)) with w = 0.75 sqrt(M) on the binary distance', async () => {
    // M = 1: w^2 = 0.5625; d^2 = 0, 0, 1 -> weights 1, 1, exp(-1 / 1.125).
    const model = recording(step, 1);
    const result = await limeTabular(model.predict, columns([ramp8]), Float64Array.of(2.5), { nSamples: 3, random: uniforms() });
    expect(model.rows()).toEqual([[2.5], [3], [7]]);
    const q = Math.exp(-1 / 1.125);
    const expected = ridge1(z, y, [1, 1, q]);
    // closed form: coef = -20 q / (3 q + 2) = -2.5430 with q = 0.41111
    expect(expected.coef).toBeCloseTo((-20 * q) / (3 * q + 2), 12);
    expect(result.weights[0]).toBeCloseTo(expected.coef, 10);
    expect(result.intercept).toBeCloseTo(expected.intercept, 10);
    expect(result.localPrediction).toBeCloseTo(expected.intercept + expected.coef, 10);
    expect(result.modelPrediction).toBe(0);
    expect(result.score).toBeCloseTo(expected.r2, 10);
    expect(result.conditions).toEqual(['1.75 < x0 <= 3.5']);
  });

  it('honours an explicit kernel width', async () => {
    // w = 2: weights 1, 1, sqrt(exp(-1 / 4)).
    const result = await limeTabular(recording(step, 1).predict, columns([ramp8]), Float64Array.of(2.5), { nSamples: 3, random: uniforms(), kernelWidth: 2 });
    const expected = ridge1(z, y, [1, 1, Math.sqrt(Math.exp(-1 / 4))]);
    expect(result.weights[0]).toBeCloseTo(expected.coef, 10);
    expect(result.intercept).toBeCloseTo(expected.intercept, 10);
  });

  for (const distance of ['binary', 'training-std'] as const) {
    it(`skips NaN training values and scales a constant feature by 1 (distance ${distance})`, async () => {
      // Feature 0: ramp8 plus one NaN (ignored: same bins as ramp8, population std sqrt(42 / 8) = sqrt(5.25)).
      // Feature 1: constant 3 (edges [3]; every sample is 3; StandardScaler leaves a zero-variance feature unscaled).
      // Uniforms, feature 0 then feature 1: samples (3.0, 3) and (7.0, 3); binary rows (1,1), (1,1), (0,1).
      const training = columns([
        [...ramp8, NaN],
        [3, 3, 3, 3, 3, 3, 3, 3, 3],
      ]);
      const model = recording(step, 2);
      const options: { nSamples: number; random: Random; distance?: LimeDistance } = {
        nSamples: 3,
        random: scripted([0.3, uFor(1), 0, 0.9, uFor(1), 0, 0.5, 0.5]),
      };
      if (distance === 'training-std') options.distance = distance;
      const result = await limeTabular(model.predict, training, Float64Array.of(2.5, 3), options);
      expect(model.rows()).toEqual([
        [2.5, 3],
        [3, 3],
        [7, 3],
      ]);
      // w^2 = 0.5625 * 2 = 1.125. binary: d^2 = 0, 0, 1.
      // training-std: d^2 = ((3 - 2.5)^2 / 5.25 + 0, (7 - 2.5)^2 / 5.25 + 0) = (1/21, 27/7).
      const d2 = distance === 'binary' ? [0, 0, 1] : [0, 0.25 / 5.25, 20.25 / 5.25];
      const w = d2.map((d) => Math.sqrt(Math.exp(-d / 1.125)));
      // Feature 1 is 1 in every sample: centred it is 0, so the 2x2 ridge system is diagonal and
      // feature 0's coefficient is the one-feature ridge; feature 1's is 0.
      const expected = ridge1(z, y, w);
      expect(result.weights[0]).toBeCloseTo(expected.coef, 10);
      expect(result.weights[1]).toBeCloseTo(0, 10);
      expect(result.intercept).toBeCloseTo(expected.intercept, 10);
      expect(result.score).toBeCloseTo(expected.r2, 10);
      expect(result.conditions).toEqual(['1.75 < x0 <= 3.5', 'x1 <= 3']);
    });
  }

  it('a constant model gets zero weights, its value as intercept and a perfect score (sklearn r2 of a perfect fit)', async () => {
    const training = columns([ramp8, [...ramp8].reverse()]);
    const result = await limeTabular(() => new Float64Array(300).fill(2), training, Float64Array.of(1, 6), { nSamples: 300, random: mulberry32(4) });
    expect(result.weights[0]).toBeCloseTo(0, 12);
    expect(result.weights[1]).toBeCloseTo(0, 12);
    expect(result.intercept).toBeCloseTo(2, 12);
    expect(result.localPrediction).toBeCloseTo(2, 12);
    expect(result.score).toBe(1);
  });
});

describe('LIME bin descriptions', () => {
  // Column 0..4: quartiles at positions 1, 2, 3 -> edges 1, 2, 3 (values); bin k is edges[k-1] < x <= edges[k].
  const ramp5 = [0, 1, 2, 3, 4];
  const training = columns([ramp5, ramp5, ramp5]);
  const run = (instance: number[]) =>
    limeTabular((_X, n) => new Float64Array(n), training, Float64Array.from(instance), { nSamples: 20, random: mulberry32(1), featureNames: ['age', 'income', 'score'] });

  it('names the first, a middle and the last bin as lime does', async () => {
    expect((await run([0.5, 1.5, 3.5])).conditions).toEqual(['age <= 1', '1 < income <= 2', 'score > 3']);
  });

  it('puts a value equal to an edge in the bin that edge closes (x <= edge)', async () => {
    expect((await run([1, 2, 3])).conditions).toEqual(['age <= 1', '1 < income <= 2', '2 < score <= 3']);
  });
});
