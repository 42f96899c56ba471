import { describe, expect, it } from 'vitest';
import { kmeansBackground, sampleBackground } from '../../../src/analytics/explain/background-summary.js';
import type { Background, FeatureMatrix } from '../../../src/analytics/explain/model-contract.js';
import { mulberry32, type Random } from '../../../src/analytics/seeded-random.js';

/** A Random that returns exactly these uniforms, in order, and fails loudly if asked for more. */
function scripted(values: number[]): Random {
  let k = 0;
  return () => {
    if (k >= values.length) throw new Error(`scripted random exhausted after ${values.length} draws`);
    return values[k++]!;
  };
}

function matrix(rows: number[][]): FeatureMatrix {
  return { data: Float64Array.from(rows.flat()), nRows: rows.length, nFeatures: rows[0]!.length };
}

function rowsOf(b: Background): number[][] {
  return Array.from({ length: b.nRows }, (_, i) => Array.from(b.data.subarray(i * b.nFeatures, (i + 1) * b.nFeatures)));
}

function expectRows(actual: number[][], expected: number[][], digits = 12): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((row, i) => row.forEach((v, j) => expect(actual[i]![j]).toBeCloseTo(v, digits)));
}

describe('sampleBackground: k rows without replacement (Fisher-Yates)', () => {
  // Row i is (10 i, 10 i + 1), so a sampled row is intact iff it reads (10 t, 10 t + 1).
  const data = matrix(Array.from({ length: 4 }, (_, i) => [10 * i, 10 * i + 1]));

  it('takes the first k entries of the shuffled row order, whole rows, equally weighted', () => {
    // Fisher-Yates on [0, 1, 2, 3] with uniforms 0, 0.5, 0.9:
    //   i = 3: j = floor(0 * 4) = 0 -> swap -> [3, 1, 2, 0]
    //   i = 2: j = floor(0.5 * 3) = 1 -> swap -> [3, 2, 1, 0]
    //   i = 1: j = floor(0.9 * 2) = 1 -> no-op -> [3, 2, 1, 0]
    const b = sampleBackground(data, 2, scripted([0, 0.5, 0.9]));
    expect(b.nRows).toBe(2);
    expect(b.nFeatures).toBe(2);
    expect(b.weights).toBeUndefined();
    expect(rowsOf(b)).toEqual([
      [30, 31],
      [20, 21],
    ]);
  });

  it('returns every row once when k >= n', () => {
    // Same uniforms: order [3, 2, 1, 0]; k = 10 is capped at n = 4.
    const b = sampleBackground(data, 10, scripted([0, 0.5, 0.9]));
    expect(b.nRows).toBe(4);
    expect(rowsOf(b)).toEqual([
      [30, 31],
      [20, 21],
      [10, 11],
      [0, 1],
    ]);
  });

  it('draws distinct, intact rows of the data for a seeded generator', () => {
    const n = 40;
    const big = matrix(Array.from({ length: n }, (_, i) => [10 * i, 10 * i + 1]));
    for (const seed of [1, 2, 3]) {
      const b = sampleBackground(big, 15, mulberry32(seed));
      expect(b.nRows).toBe(15);
      const picked = rowsOf(b).map(([a, c]) => {
        expect(c).toBe(a! + 1);
        expect(a! % 10).toBe(0);
        return a! / 10;
      });
      expect(new Set(picked).size).toBe(15);
      for (const t of picked) expect(t >= 0 && t < n).toBe(true);
    }
  });
});

describe('kmeansBackground: k-means++ seeding (Arthur & Vassilvitskii 2007)', () => {
  // Rows: 0 (0,0), 1 (1,2), 2 (5,1), 3 (6,3), 4 (20,4), 5 (21,6).
  const data = matrix([
    [0, 0],
    [1, 2],
    [5, 1],
    [6, 3],
    [20, 4],
    [21, 6],
  ]);

  it('picks each further centre with probability proportional to D(x)^2, by inverse CDF', () => {
    // first = floor(0.5 * 6) = 3 -> (6,3).
    // D^2 to (6,3): [45, 26, 5, 0, 197, 234], total 507, cumulative [45, 71, 76, 76, 273, 507];
    //   u = 0.25 * 507 = 126.75 -> row 4 (20,4).
    // D^2 = min(previous, distance to (20,4) = [416, 365, 234, 197, 0, 5]) = [45, 26, 5, 0, 0, 5], total 81,
    //   cumulative [45, 71, 76, 76, 76, 81]; u = 0.75 * 81 = 60.75 -> row 1 (1,2).
    // Lloyd from (6,3), (20,4), (1,2): cells {2,3}, {4,5}, {0,1}; means (5.5,2), (20.5,5), (0.5,1); stable.
    const raw = kmeansBackground(data, 3, scripted([0.5, 0.25, 0.75]), { roundValues: false });
    expectRows(rowsOf(raw), [
      [5.5, 2],
      [20.5, 5],
      [0.5, 1],
    ]);
    expect(Array.from(raw.weights!)).toEqual([2, 2, 2]);
  });

  it('rounds every centre coordinate to the nearest value of that feature, the first row on ties (shap.kmeans, np.argmin)', () => {
    // Same clustering. x: 5.5 -> 5 (tie 5/6, row 2 first), 20.5 -> 20 (tie 20/21), 0.5 -> 0 (tie 0/1).
    // y: 2 -> 2, 5 -> 4 (tie 4/6, row 4 first), 1 -> 1.
    const rounded = kmeansBackground(data, 3, scripted([0.5, 0.25, 0.75]));
    expect(rowsOf(rounded)).toEqual([
      [5, 2],
      [20, 4],
      [0, 1],
    ]);
    expect(Array.from(rounded.weights!)).toEqual([2, 2, 2]);
  });

  it('never picks a point that already is a centre, even for a uniform of exactly 0', () => {
    // Rows (0,0), (10,0), (10,2). first = floor(0 * 3) = 0. D^2 = [0, 100, 104]; u = 0 * 204 = 0:
    // row 0 has probability 0 (0 - 0 is not < 0), so row 1 (10,0) is picked.
    // Lloyd: {0}, {1, 2} -> centres (0,0) and (10,1).
    const b = kmeansBackground(
      matrix([
        [0, 0],
        [10, 0],
        [10, 2],
      ]),
      2,
      scripted([0, 0]),
      { roundValues: false },
    );
    expect(rowsOf(b)).toEqual([
      [0, 0],
      [10, 1],
    ]);
    expect(Array.from(b.weights!)).toEqual([1, 2]);
  });
});

describe('kmeansBackground: Lloyd iterations', () => {
  // x = 0, 1, 2, 3, 10, 11 with a constant second feature 5. Seeds rows 0 and 1:
  // first = floor(0 * 6) = 0; D^2 = [0, 1, 4, 9, 100, 121], u = 0.002 * 235 = 0.47 -> row 1.
  // Update 1: cells {0} | {1..5} -> means 0 and 27/5 = 5.4.
  // Update 2: 1 and 2 are nearer 0, 3 is nearer 5.4 -> cells {0,1,2} | {3,10,11} -> means 1 and 8.
  // Update 3: 3 is nearer 1 (4 < 25) -> cells {0,1,2,3} | {10,11} -> means 1.5 and 10.5.
  // Next assignment is unchanged, so Lloyd stops.
  const line = matrix([0, 1, 2, 3, 10, 11].map((x) => [x, 5]));
  const seeds = () => scripted([0, 0.002]);

  it('converges to the means of the final partition, weighted by cluster size', () => {
    const b = kmeansBackground(line, 2, seeds(), { roundValues: false });
    expectRows(rowsOf(b), [
      [1.5, 5],
      [10.5, 5],
    ]);
    expect(Array.from(b.weights!)).toEqual([4, 2]);
    // Rounded: 1.5 -> 1 (tie 1/2, first row), 10.5 -> 10 (tie 10/11).
    expect(rowsOf(kmeansBackground(line, 2, seeds()))).toEqual([
      [1, 5],
      [10, 5],
    ]);
  });

  it('stops after maxIterations centre updates', () => {
    const one = kmeansBackground(line, 2, seeds(), { maxIterations: 1, roundValues: false });
    expectRows(rowsOf(one), [
      [0, 5],
      [5.4, 5],
    ]);
    expect(Array.from(one.weights!)).toEqual([1, 5]);
    const two = kmeansBackground(line, 2, seeds(), { maxIterations: 2, roundValues: false });
    expectRows(rowsOf(two), [
      [1, 5],
      [8, 5],
    ]);
    expect(Array.from(two.weights!)).toEqual([3, 3]);
  });

  it('assigns a point equidistant from two centres to the first (argmin, as sklearn)', () => {
    // x = 0, 1, 2 (second feature 0). first = row 0; D^2 = [0, 1, 4], u = 0.5 * 5 = 2.5 -> row 2.
    // Row 1 is at distance 1 from both centres and joins centre 0: {0,1} | {2} -> means 0.5 and 2, stable.
    const b = kmeansBackground(matrix([0, 1, 2].map((x) => [x, 0])), 2, scripted([0, 0.5]), { roundValues: false });
    expect(rowsOf(b)).toEqual([
      [0.5, 0],
      [2, 0],
    ]);
    expect(Array.from(b.weights!)).toEqual([2, 1]);
  });

  it('keeps the centre of a cluster that empties, so it can win points back', () => {
    // Rows 0 (7,0), 1 (8,1), 2 (1,10), 3 (9,1), 4 (3,4). Seeding:
    //   first = floor(0.7 * 5) = 3 -> (9,1); D^2 = [5, 1, 145, 0, 45], u = 0.02 * 196 = 3.92 -> row 0 (7,0);
    //   D^2 = [0, 1, 136, 0, 32], u = 0.003 * 169 = 0.507 -> row 1 (8,1).
    // Update 1: cells {3} | {0,4} | {1,2} -> (9,1), (5,2), (4.5,5.5).
    // Update 2: rows 0 and 1 go to (9,1) (5 < 8, 1 < 10), row 4 to (4.5,5.5) (4.5 < 8): cluster 1 is empty
    //   and keeps (5,2); others -> (8,2/3) and (2,7).
    // Update 3: row 4 (3,4) is nearer (5,2) (8) than (2,7) (10): cells {0,1,3} | {4} | {2} -> (8,2/3), (3,4), (1,10).
    // Then stable.
    const rows = [
      [7, 0],
      [8, 1],
      [1, 10],
      [9, 1],
      [3, 4],
    ];
    const b = kmeansBackground(matrix(rows), 3, scripted([0.7, 0.02, 0.003]), { roundValues: false });
    expectRows(rowsOf(b), [
      [8, 2 / 3],
      [3, 4],
      [1, 10],
    ]);
    expect(Array.from(b.weights!)).toEqual([3, 1, 1]);
  });

  it('with k = 1 returns the data mean (rounded to data values by default) with weight n', () => {
    const data = matrix([
      [0, 0],
      [1, 2],
      [5, 1],
      [6, 3],
      [20, 4],
      [21, 6],
    ]);
    // mean = (53/6, 16/6); rounded: x 8.83 -> 6 (distance 2.83), y 2.67 -> 3 (distance 0.33).
    const raw = kmeansBackground(data, 1, mulberry32(3), { roundValues: false });
    expectRows(rowsOf(raw), [[53 / 6, 16 / 6]]);
    expect(Array.from(raw.weights!)).toEqual([6]);
    expect(rowsOf(kmeansBackground(data, 1, mulberry32(3)))).toEqual([[6, 3]]);
  });

  it('with k >= n returns every (distinct) row once, weight 1', () => {
    const data = [
      [0, 0],
      [4, 1],
      [1, 7],
      [9, 9],
    ];
    for (const k of [4, 10]) {
      const b = kmeansBackground(matrix(data), k, mulberry32(k));
      expect(b.nRows).toBe(4);
      expect(Array.from(b.weights!)).toEqual([1, 1, 1, 1]);
      const sorted = rowsOf(b).sort((p, q) => p[0]! - q[0]!);
      expect(sorted).toEqual([...data].sort((p, q) => p[0]! - q[0]!));
    }
  });

  it('drops clusters left empty by duplicate rows', () => {
    // Rows (3,1), (3,1), (8,2), k = 3: first = row 0; D^2 = [0, 0, 26], u = 13 -> row 2;
    // then D^2 = [0, 0, 0]: no point has positive probability, the fallback is the last row (8,2) again.
    // Row 2 is equidistant from centres 1 and 2 and goes to the first, so centre 2 ends empty.
    const b = kmeansBackground(
      matrix([
        [3, 1],
        [3, 1],
        [8, 2],
      ]),
      3,
      scripted([0, 0.5, 0.5]),
    );
    expect(rowsOf(b)).toEqual([
      [3, 1],
      [8, 2],
    ]);
    expect(Array.from(b.weights!)).toEqual([2, 1]);
  });

  it('finds well separated clusters: weights are the cluster sizes, centres the means', () => {
    // Three clusters about 100 apart, rows interleaved; sizes 5, 3, 2.
    const a = [
      [0, 0],
      [1, 0],
      [0, 1],
      [1, 1],
      [2, 2],
    ];
    const bb = [
      [100, 0],
      [101, 1],
      [102, 2],
    ];
    const c = [
      [0, 100],
      [2, 100],
    ];
    const rows = [a[0]!, bb[0]!, c[0]!, a[1]!, bb[1]!, a[2]!, c[1]!, a[3]!, bb[2]!, a[4]!];
    for (const seed of [1, 2, 3, 4, 5]) {
      const b = kmeansBackground(matrix(rows), 3, mulberry32(seed), { roundValues: false });
      const clusters = rowsOf(b)
        .map((centre, i) => ({ centre, weight: b.weights![i]! }))
        .sort((p, q) => q.weight - p.weight);
      expect(clusters.map((p) => p.weight)).toEqual([5, 3, 2]);
      // means: A (4/5, 4/5), B (101, 1), C (1, 100)
      expectRows(
        clusters.map((p) => p.centre),
        [
          [0.8, 0.8],
          [101, 1],
          [1, 100],
        ],
      );
    }
  });
});
