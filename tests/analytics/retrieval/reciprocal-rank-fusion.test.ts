import { describe, expect, it } from 'vitest';
import { reciprocalRankFusion } from '../../../src/analytics/retrieval/reciprocal-rank-fusion.js';

describe('reciprocal rank fusion (k = 60)', () => {
  it('sums 1/(60 + rank) over the rankings, as computed by hand', () => {
    // vector: a b c d; full text: c a e
    // a: 1/61 + 1/62 = 0.0325225…; c: 1/63 + 1/61 = 0.0322664…; b: 1/62; e: 1/63; d: 1/64
    const fused = reciprocalRankFusion([['a', 'b', 'c', 'd'], ['c', 'a', 'e']]);
    expect(fused.map((f) => f.id)).toEqual(['a', 'c', 'b', 'e', 'd']);
    expect(fused[0]!.score).toBeCloseTo(1 / 61 + 1 / 62, 15);
    expect(fused[1]!.score).toBeCloseTo(1 / 63 + 1 / 61, 15);
    expect(fused[2]!.score).toBeCloseTo(1 / 62, 15);
    expect(fused.map((f) => f.ranks)).toEqual([[1, 2], [3, 1], [2, null], [null, 3], [4, null]]);
  });

  it('breaks equal scores by first appearance and counts an id once per ranking', () => {
    // x and y both at rank 1 in one ranking each: equal scores, x seen first.
    const fused = reciprocalRankFusion([['x', 'x'], ['y']], 60);
    expect(fused).toEqual([{ id: 'x', score: 1 / 61, ranks: [1, null] }, { id: 'y', score: 1 / 61, ranks: [null, 1] }]);
  });

  it('uses the k it is given', () => {
    expect(reciprocalRankFusion([['a']], 1)[0]!.score).toBe(0.5);
    expect(reciprocalRankFusion([[], []])).toEqual([]);
  });
});
