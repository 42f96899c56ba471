import { describe, expect, it } from 'vitest';
import { coalitionValues } from '../../../src/analytics/explain/coalition-values.js';
import type { Background, BatchPredict } from '../../../src/analytics/explain/model-contract.js';
import { parseRaiaTreeEnsemble } from '../../../src/analytics/trees/raia-tree-format.js';
import { markTreeBackedPredict } from '../../../src/analytics/trees/tree-backed-predict.js';

/** A model with an interaction and a square, so every coalition has its own value. */
const f3 = (x: ArrayLike<number>) => x[0]! * x[1]! + x[2]! * x[2]! - 0.5 * x[1]!;

/** Batch form of a row function for m-wide rows, recording every call's shape. */
function recording(m: number, f: (x: ArrayLike<number>) => number) {
  const calls: { n: number; length: number; shared: boolean; bufferBytes: number }[] = [];
  const predict: BatchPredict = (X, n) => {
    calls.push({ n, length: X.length, shared: X.buffer instanceof SharedArrayBuffer, bufferBytes: X.buffer.byteLength });
    return Float64Array.from({ length: n }, (_, i) => f(X.subarray(i * m, (i + 1) * m)));
  };
  return { predict, calls };
}

/** v(S) by its definition: sum_b w_b f(x_S, z_b,notS) / sum_b w_b, one row at a time. */
function bruteForce(f: (x: ArrayLike<number>) => number, x: number[], mask: number[], background: number[][], weights: number[]): number {
  const total = weights.reduce((a, b) => a + b, 0);
  return background.reduce((s, z, b) => s + (weights[b]! / total) * f(z.map((zj, j) => (mask[j] ? x[j]! : zj))), 0);
}

const bgRows = [
  [0.5, -1, 2],
  [-2, 0.25, 1],
  [1.5, 3, -0.5],
];
const bgWeights = [1, 2, 1];
const background: Background = { data: Float64Array.from(bgRows.flat()), nRows: 3, nFeatures: 3, weights: Float64Array.from(bgWeights) };
/** All 8 subsets of 3 features, subset c holding feature j when bit j of c is set. */
const allMasks = Array.from({ length: 8 }, (_, c) => [0, 1, 2].map((j) => (c >> j) & 1));

describe('coalitionValues: the interventional value function for a black-box model', () => {
  it('equals the weighted background mean with x on S, for every subset, in chunks of maxBatchRows rows', async () => {
    const x = [1, 2, -1];
    const { predict, calls } = recording(3, f3);
    const v = await coalitionValues(predict, Float64Array.from(x), Uint8Array.from(allMasks.flat()), 8, background, { maxBatchRows: 12 });
    allMasks.forEach((mask, c) => expect(v[c]).toBeCloseTo(bruteForce(f3, x, mask, bgRows, bgWeights), 12));
    // Hand check of two of them: v(empty) = (1 f(z0) + 2 f(z1) + f(z2)) / 4 with
    // f(z0) = -0.5 + 4 + 0.5 = 4, f(z1) = -0.5 + 1 - 0.125 = 0.375, f(z2) = 4.5 + 0.25 - 1.5 = 3.25;
    // v(all) = f(x) = 2 + 1 - 1 = 2.
    expect(v[0]).toBeCloseTo((4 + 2 * 0.375 + 3.25) / 4, 12);
    expect(v[7]).toBeCloseTo(2, 12);
    // 12 rows per call = 4 coalitions x 3 background rows: 8 coalitions in exactly 2 calls.
    expect(calls.map((c) => c.n)).toEqual([12, 12]);
    for (const call of calls) {
      expect(call.length).toBe(call.n * 3); // one row-major batch of exactly n rows
      expect(call.shared).toBe(true); // shared memory, for multi-threaded scorers
      expect(call.bufferBytes).toBeLessThanOrEqual(12 * 3 * 8); // never more than maxBatchRows rows in memory
    }
  });

  it('sends a short last chunk as exactly its own rows, and nothing for no coalitions', async () => {
    const x = [-0.5, 1, 3];
    const { predict, calls } = recording(3, f3);
    const v = await coalitionValues(predict, Float64Array.from(x), Uint8Array.from(allMasks.slice(1).flat()), 7, background, { maxBatchRows: 12 });
    allMasks.slice(1).forEach((mask, c) => expect(v[c]).toBeCloseTo(bruteForce(f3, x, mask, bgRows, bgWeights), 12));
    // 7 coalitions = 4 + 3: the second call holds 3 x 3 = 9 rows.
    expect(calls.map((c) => [c.n, c.length])).toEqual([
      [12, 36],
      [9, 27],
    ]);
    const none = recording(3, f3);
    expect((await coalitionValues(none.predict, Float64Array.from(x), new Uint8Array(0), 0, background)).length).toBe(0);
    expect(none.calls).toEqual([]);
  });

  it('takes each coalition from its own instance row when instanceOf is given, at least one coalition per call', async () => {
    const instances = [
      [1, 2, -1],
      [0, -3, 0.5],
    ];
    const masks = [allMasks[3]!, allMasks[5]!, allMasks[6]!, allMasks[3]!];
    const instanceOf = Int32Array.from([0, 1, 1, 1]);
    const { predict, calls } = recording(3, f3);
    // maxBatchRows 2 < 3 background rows: still one coalition (3 rows) per call.
    const v = await coalitionValues(predict, Float64Array.from(instances.flat()), Uint8Array.from(masks.flat()), 4, background, { instanceOf, maxBatchRows: 2 });
    masks.forEach((mask, c) => expect(v[c]).toBeCloseTo(bruteForce(f3, instances[instanceOf[c]!]!, mask, bgRows, bgWeights), 12));
    expect(calls.map((c) => c.n)).toEqual([3, 3, 3, 3]);
  });
});

describe('coalitionValues: tree ensembles marked as their margin', () => {
  // Two trees on features a, b (RAIA format): margin = 0.5 + t0 + t1 with
  // t0 = a <= 0.5 ? (b <= 0.5 ? 1 : 2) : 4 and t1 = b <= 0.25 ? -1 : 3.
  const doc = {
    format: 'raia-tree-ensemble/v1',
    task: 'regression',
    decision: '<=',
    aggregation: 'sum',
    baseScore: 0.5,
    link: 'identity',
    featureNames: ['a', 'b'],
    trees: [
      {
        nodes: [
          { feature: 0, threshold: 0.5, left: 1, right: 2, missingGoesLeft: true, cover: 10 },
          { feature: 1, threshold: 0.5, left: 3, right: 4, missingGoesLeft: true, cover: 6 },
          { leaf: 4, cover: 4 },
          { leaf: 1, cover: 3 },
          { leaf: 2, cover: 3 },
        ],
      },
      {
        nodes: [
          { feature: 1, threshold: 0.25, left: 1, right: 2, missingGoesLeft: false, cover: 10 },
          { leaf: -1, cover: 5 },
          { leaf: 3, cover: 5 },
        ],
      },
    ],
  };
  const model = parseRaiaTreeEnsemble(doc);
  const margin = (x: ArrayLike<number>) => 0.5 + (x[0]! <= 0.5 ? (x[1]! <= 0.5 ? 1 : 2) : 4) + (x[1]! <= 0.25 ? -1 : 3);

  it('computes v from the trees without scoring any synthetic row, and gets the brute-force values', async () => {
    const { predict, calls } = recording(2, margin);
    const marked = markTreeBackedPredict(predict, model, 'margin');
    const bg = [
      [0, 0],
      [1, 0.4],
      [0.3, 1],
    ];
    const x = [0.9, 0.1];
    const masks = [
      [0, 0],
      [1, 0],
      [0, 1],
      [1, 1],
    ];
    const v = await coalitionValues(marked, Float64Array.from(x), Uint8Array.from(masks.flat()), 4, { data: Float64Array.from(bg.flat()), nRows: 3, nFeatures: 2 });
    expect(calls).toEqual([]);
    // v(empty): margins of the background rows 0.5+1-1, 0.5+4+3, 0.5+2+3 = 0.5, 7.5, 5.5 -> mean 13.5 / 3 = 4.5.
    expect(v[0]).toBeCloseTo(4.5, 12);
    masks.forEach((mask, c) => expect(v[c]).toBeCloseTo(bruteForce(margin, x, mask, bg, [1, 1, 1]), 12));
  });

  it('scores rows as a black box when the background is wider than the marked model', async () => {
    // The predict function reads 3-wide rows and scores their first two features with the trees.
    const { predict, calls } = recording(3, margin);
    const marked = markTreeBackedPredict(predict, model, 'margin');
    const bg = [
      [0, 0, 7],
      [1, 0.4, -7],
      [0.3, 1, 0],
    ];
    const x = [0.9, 0.1, 2];
    const v = await coalitionValues(marked, Float64Array.from(x), Uint8Array.from(allMasks.flat()), 8, { data: Float64Array.from(bg.flat()), nRows: 3, nFeatures: 3 });
    expect(calls.length).toBe(1);
    allMasks.forEach((mask, c) => expect(v[c]).toBeCloseTo(bruteForce(margin, x, mask, bg, [1, 1, 1]), 12));
  });
});
