import { describe, expect, it } from 'vitest';
import { locate, operatingPoints, rocUpperHull, SELECT_NONE } from '../../../src/analytics/fairness/roc-points.js';

describe('operatingPoints', () => {
  // Positives scored .9, .6, .6; negatives .7, .6, .2. Thresholds from the top: none selected,
  // ≥ .9 (1 TP), ≥ .7 (1 TP, 1 FP), ≥ .6 (3 TP, 2 FP: the tie takes both classes at once), ≥ .2 (all).
  const positives = () => Float64Array.of(0.6, 0.9, 0.6);
  const negatives = () => Float64Array.of(0.7, 0.2, 0.6);

  it('lists every distinct score as a threshold with cumulative counts, from nobody to everybody', () => {
    const p = operatingPoints(positives(), negatives(), 100);
    expect(Array.from(p.thresholds)).toEqual([SELECT_NONE, 0.9, 0.7, 0.6, 0.2]);
    expect(Array.from(p.truePositives)).toEqual([0, 1, 1, 3, 3]);
    expect(Array.from(p.falsePositives)).toEqual([0, 0, 1, 2, 3]);
    expect(p.positives).toBe(3);
    expect(p.negatives).toBe(3);
    expect(SELECT_NONE).toBe(Number.MAX_VALUE);
  });

  it('keeps exactly maxPoints points when there are more, both ends included, evenly spaced', () => {
    const all = operatingPoints(positives(), negatives(), 5);
    expect(all.thresholds).toHaveLength(5);
    // 5 points into 3: indices round(k·4/2) = 0, 2, 4.
    const three = operatingPoints(positives(), negatives(), 3);
    expect(Array.from(three.thresholds)).toEqual([SELECT_NONE, 0.7, 0.2]);
    expect(Array.from(three.truePositives)).toEqual([0, 1, 3]);
    expect(Array.from(three.falsePositives)).toEqual([0, 1, 3]);
    expect([three.positives, three.negatives]).toEqual([3, 3]);
    // 5 points into 4: indices round(k·4/3) = 0, 1, 3, 4.
    const four = operatingPoints(positives(), negatives(), 4);
    expect(Array.from(four.thresholds)).toEqual([SELECT_NONE, 0.9, 0.6, 0.2]);
    expect(Array.from(four.truePositives)).toEqual([0, 1, 3, 3]);
    expect(Array.from(four.falsePositives)).toEqual([0, 0, 2, 3]);
  });

  it('handles a class with no rows', () => {
    const p = operatingPoints(Float64Array.of(0.4, 0.8), new Float64Array(0), 10);
    expect(Array.from(p.thresholds)).toEqual([SELECT_NONE, 0.8, 0.4]);
    expect(Array.from(p.truePositives)).toEqual([0, 1, 2]);
    expect(Array.from(p.falsePositives)).toEqual([0, 0, 0]);
    const q = operatingPoints(new Float64Array(0), Float64Array.of(0.3), 10);
    expect(Array.from(q.thresholds)).toEqual([SELECT_NONE, 0.3]);
    expect(Array.from(q.falsePositives)).toEqual([0, 1]);
  });
});

describe('rocUpperHull', () => {
  it('keeps the upper convex hull: the higher point at equal FPR, no point under a chord', () => {
    // Points (FPR, TPR): (0,0) (0,1/3) (1/3,1/3) (2/3,1) (1,1). (0,0) is under (0,1/3); (1/3,1/3) lies
    // under the chord from (0,1/3) to (2/3,1).
    const p = operatingPoints(Float64Array.of(0.6, 0.9, 0.6), Float64Array.of(0.7, 0.2, 0.6), 100);
    expect(Array.from(rocUpperHull(p))).toEqual([1, 3, 4]);
  });

  it('drops a point lying exactly on a chord', () => {
    // Ties across classes: (0,0) (1/2,1/2) (1,1) are collinear; the hull is the two ends.
    const p = operatingPoints(Float64Array.of(0.8, 0.5), Float64Array.of(0.8, 0.5), 100);
    expect(Array.from(p.truePositives)).toEqual([0, 1, 2]);
    expect(Array.from(rocUpperHull(p))).toEqual([0, 2]);
  });

  it('keeps the corners of a concave curve and drops points on a flat top', () => {
    // Thresholds .9 (1 TP) .8 (+1 FP) .6 (+1 TP) .3 (+1 FP): points (0,0) (0,1/2) (1/2,1/2) (1/2,1) (1,1).
    const concave = operatingPoints(Float64Array.of(0.9, 0.6), Float64Array.of(0.8, 0.3), 100);
    expect(Array.from(rocUpperHull(concave))).toEqual([1, 3, 4]);
    // Points (0,0) (0,1/2) (0,1) (1/3,1) (2/3,1) (1,1): the flat top keeps only its two ends.
    const flat = operatingPoints(Float64Array.of(0.9, 0.7), Float64Array.of(0.6, 0.5, 0.4), 100);
    expect(Array.from(rocUpperHull(flat))).toEqual([2, 5]);
  });
});

describe('locate', () => {
  const values = Float64Array.of(0, 0.25, 0.5, 1);

  it('finds the segment holding v and the fraction along it', () => {
    expect(locate(values, 0.1)).toEqual({ lo: 0, fraction: expect.closeTo(0.4, 12) });
    expect(locate(values, 0.3)).toEqual({ lo: 1, fraction: expect.closeTo(0.2, 12) });
    expect(locate(values, 0.5)).toEqual({ lo: 2, fraction: 0 });
    expect(locate(values, 0.75)).toEqual({ lo: 2, fraction: 0.5 });
    expect(locate([0, 1, 2, 3, 4, 5, 6, 7], 5.5)).toEqual({ lo: 5, fraction: 0.5 });
  });

  it('clamps v to the ends', () => {
    expect(locate(values, 0)).toEqual({ lo: 0, fraction: 0 });
    expect(locate(values, -1)).toEqual({ lo: 0, fraction: 0 });
    expect(locate(values, 1)).toEqual({ lo: 2, fraction: 1 });
    expect(locate(values, 2)).toEqual({ lo: 2, fraction: 1 });
    expect(locate([0.5], 0.7)).toEqual({ lo: 0, fraction: 0 });
  });

  it('lands on the last of equal values', () => {
    expect(locate([0, 0.5, 0.5, 1], 0.5)).toEqual({ lo: 2, fraction: 0 });
  });
});
