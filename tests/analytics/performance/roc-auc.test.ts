import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rocAuc, rocAucOneVsRest } from '../../../src/analytics/performance/roc-auc.js';

/** The definition: the fraction of (positive, negative) pairs the scores order correctly, ties ½. */
function pairwiseAuc(labels: number[], scores: number[]): number {
  let wins = 0;
  let pairs = 0;
  labels.forEach((a, i) => {
    if (a !== 1) return;
    labels.forEach((b, j) => {
      if (b === 1) return;
      pairs++;
      wins += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

describe('rocAuc', () => {
  it('matches the scikit-learn documentation example (0.75)', () => {
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]).value).toBe(0.75);
  });

  it('counts a tied positive/negative pair as one half', () => {
    // Pairs: (.5,.5) ½, (.5,.2) 1, (.9,.5) 1, (.9,.2) 1 → 3.5 / 4.
    expect(rocAuc([0, 1, 0, 1], [0.5, 0.5, 0.2, 0.9]).value).toBe(0.875);
    expect(rocAuc([0, 1, 0, 1], [0.3, 0.3, 0.3, 0.3]).value).toBe(0.5);
  });

  it('is 1 for a perfect ranking and 0 for a reversed one', () => {
    expect(rocAuc([0, 0, 1, 1], [1, 2, 3, 4]).value).toBe(1);
    expect(rocAuc([1, 1, 0, 0], [1, 2, 3, 4]).value).toBe(0);
  });

  it('is null with a reason when yTrue has one class', () => {
    expect(rocAuc([1, 1, 1], [0.2, 0.5, 0.9])).toEqual({ value: null, reason: expect.stringMatching(/both classes/) });
    expect(rocAuc([], []).value).toBeNull();
  });

  it('says which class is missing, and when there are no rows at all', () => {
    expect(rocAuc([1, 1, 1], [0.2, 0.5, 0.9]).reason).toBe('ROC AUC needs both classes in yTrue; found only positives');
    expect(rocAuc([0, 0], [0.2, 0.5]).reason).toBe('ROC AUC needs both classes in yTrue; found only negatives');
    // Rows labelled neither 0 nor the positive class count as negatives (one-vs-rest).
    expect(rocAuc([2, 0], [0.2, 0.5], 1).reason).toBe('ROC AUC needs both classes in yTrue; found only negatives');
    expect(rocAuc([], []).reason).toBe('ROC AUC needs both classes in yTrue; found only negatives (no rows)');
  });

  it('refuses a NaN score instead of looping forever on it (scikit-learn raises on NaN input)', () => {
    // NaN equals nothing, so its tie group never advanced: the call hung before this check.
    expect(rocAuc([0, 1, 1], [0.2, NaN, 0.7])).toEqual({ value: null, reason: 'scores row 1 is NaN' });
    expect(rocAuc([0, 1], [NaN, NaN])).toEqual({ value: null, reason: 'scores row 0 is NaN' });
    // ±Infinity are ordinary, comparable scores: the positive 0.5 beats −∞ and loses to +∞.
    expect(rocAuc([0, 1, 0], [-Infinity, 0.5, Infinity]).value).toBe(0.5);
    // Only the first yTrue.length scores are read: a NaN past them is not this call's business.
    expect(rocAuc([0, 1], [0.1, 0.9, NaN]).value).toBe(1);
  });

  it('equals the brute-force fraction of correctly ranked pairs', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 6 })), { minLength: 2, maxLength: 60 }),
        (rows) => {
          const labels = rows.map(([y]) => y);
          const scores = rows.map(([, s]) => s / 6);
          const positives = labels.filter((y) => y === 1).length;
          const auc = rocAuc(Float64Array.from(labels), Float64Array.from(scores));
          if (positives === 0 || positives === labels.length) return auc.value === null;
          return Math.abs(auc.value! - pairwiseAuc(labels, scores)) < 1e-12;
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('rocAucOneVsRest', () => {
  it('averages each class against the rest (hand-computed: (0.875 + 1 + 1) / 3)', () => {
    const probabilities = Float64Array.of(0.6, 0.3, 0.1, 0.2, 0.7, 0.1, 0.3, 0.3, 0.4, 0.3, 0.4, 0.3);
    expect(rocAucOneVsRest([0, 1, 2, 0], probabilities, ['a', 'b', 'c']).value).toBeCloseTo(2.875 / 3, 14);
  });

  it('is null when a class never occurs in yTrue', () => {
    const probabilities = Float64Array.of(0.6, 0.3, 0.1, 0.2, 0.7, 0.1);
    expect(rocAucOneVsRest([0, 1], probabilities, ['a', 'b', 'c'])).toEqual({
      value: null,
      reason: 'one-vs-rest ROC AUC needs every class in yTrue, and class c never occurs',
    });
    // Class a (index 0) is the first undefined one: it never occurs, although row 0 is class c.
    expect(rocAucOneVsRest([2, 1], probabilities, ['a', 'b', 'c']).reason).toBe(
      'one-vs-rest ROC AUC needs every class in yTrue, and class a never occurs',
    );
  });

  it('says so when yTrue holds a single class', () => {
    const probabilities = Float64Array.of(0.6, 0.3, 0.1, 0.2, 0.7, 0.1);
    expect(rocAucOneVsRest([0, 0], probabilities, ['a', 'b', 'c'])).toEqual({
      value: null,
      reason: 'one-vs-rest ROC AUC needs every class in yTrue, and only class a occurs',
    });
    expect(rocAucOneVsRest([], new Float64Array(0), ['a', 'b']).reason).toBe('one-vs-rest ROC AUC needs every class in yTrue, and class a never occurs');
  });
});
