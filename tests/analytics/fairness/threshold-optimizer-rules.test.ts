import { describe, expect, it } from 'vitest';
import { FairnessInputError } from '../../../src/analytics/fairness/fairness-input.js';
import { SELECT_NONE } from '../../../src/analytics/fairness/roc-points.js';
import { createRandom } from '../../../src/analytics/fairness/seeded-random.js';
import { applyThresholds, optimizeThresholds, type ThresholdArtifact, type ThresholdOptimizerInput } from '../../../src/analytics/fairness/threshold-optimizer.js';

function reasonsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(FairnessInputError);
    return (error as FairnessInputError).reasons;
  }
  throw new Error('expected a FairnessInputError');
}

/** Rows as [group, yTrue, score]. */
function input(rows: [number, 0 | 1, number][], labels = ['a', 'b']): ThresholdOptimizerInput {
  return {
    yTrue: Uint8Array.from(rows, (r) => r[1]),
    yScore: Float64Array.from(rows, (r) => r[2]),
    attribute: { name: 'g', codes: Int32Array.from(rows, (r) => r[0]), labels },
  };
}

describe('demographic parity rules, hand-computed', () => {
  // a: positive .9, negative .2 → selection rates 0, 1/2, 1 with 1, 2, 1 correct decisions.
  // b: positive .8, negatives .6 .4 .3 → rates 0, 1/4, 1/2, 3/4, 1 with 3, 4, 3, 2, 1 correct.
  // Correct decisions in total (a linear between its points): s = 1/4 gives 1.5 + 4 = 5.5, the best
  // (s = 0: 4, 1/2: 5, 3/4: 3.5, 1: 2). a reaches 1/4 half-way between selecting nobody and score ≥ .9.
  const data = input([
    [0, 1, 0.9],
    [0, 0, 0.2],
    [1, 1, 0.8],
    [1, 0, 0.6],
    [1, 0, 0.4],
    [1, 0, 0.3],
  ]);
  // Computed inside each test (not once here) so that mutation testing sees which tests run the code.
  const result = () => optimizeThresholds(data, { constraint: 'demographic_parity' });

  it('places every group at the best common selection rate', () => {
    const [a, b] = result().artifact.groups;
    expect(a).toEqual({
      code: 0,
      group: 'a',
      thresholdHigh: SELECT_NONE,
      thresholdLow: 0.9,
      probabilityLow: 0.5,
      probabilityConstant: 0,
      constantRate: 0,
      expected: { selectionRate: 0.25, truePositiveRate: 0.5, falsePositiveRate: 0 },
    });
    expect(b).toEqual({
      code: 1,
      group: 'b',
      thresholdHigh: 0.8,
      thresholdLow: 0.6,
      probabilityLow: 0,
      probabilityConstant: 0,
      constantRate: 0,
      expected: { selectionRate: 0.25, truePositiveRate: 1, falsePositiveRate: 0 },
    });
  });

  it('describes the artifact', () => {
    expect(result().artifact).toMatchObject({
      kind: 'raia.fairness.threshold-optimizer',
      version: 1,
      constraint: 'demographic_parity',
      tolerance: 0.01,
      attribute: 'g',
      labels: ['a', 'b'],
      decision: 'predict 1 when score >= threshold',
    });
    expect(optimizeThresholds(data, { constraint: 'demographic_parity', tolerance: 0 }).artifact.tolerance).toBe(0);
  });

  it('summarises before (score ≥ 0.5) and expected after', () => {
    // Before: a TP, TN (selection 1/2); b TP, FP, TN, TN (selection 1/2): 5 of 6 correct.
    expect(result().before).toEqual({
      accuracy: 5 / 6,
      demographicParityDifference: 0,
      equalizedOddsDifference: 1 / 3, // TPR 1 and 1; FPR 0 and 1/3
      groups: [
        { group: 'a', rows: 2, selectionRate: 0.5, truePositiveRate: 1, falsePositiveRate: 0, accuracy: 1 },
        { group: 'b', rows: 4, selectionRate: 0.5, truePositiveRate: 1, falsePositiveRate: 1 / 3, accuracy: 0.75 },
      ],
    });
    // Expected after: a 1/2 TP + 1 TN of 2; b 1 TP + 3 TN of 4: 5.5 of 6.
    expect(result().afterExpected.accuracy).toBeCloseTo(5.5 / 6, 12);
    expect(result().afterExpected.demographicParityDifference).toBe(0);
    expect(result().afterExpected.equalizedOddsDifference).toBeCloseTo(0.5, 12); // TPR 1/2 vs 1
    expect(result().afterExpected.groups.map((g) => [g.group, g.rows, g.accuracy])).toEqual([
      ['a', 2, 0.75],
      ['b', 4, 1],
    ]);
    expect(result().accuracyCost).toBeCloseTo(5 / 6 - 5.5 / 6, 12);
    expect(result().constraintMet).toBe(true);
  });

  it('summarises the given decisions when yPred is passed', () => {
    const withPred = optimizeThresholds({ ...data, yPred: Uint8Array.of(0, 0, 1, 1, 1, 1) }, { constraint: 'demographic_parity' });
    // a selects nobody (1 of 2 correct), b everybody (1 of 4 correct).
    expect(withPred.before.accuracy).toBeCloseTo(2 / 6, 12);
    expect(withPred.before.demographicParityDifference).toBe(1);
    expect(withPred.before.groups.map((g) => [g.selectionRate, g.truePositiveRate, g.falsePositiveRate])).toEqual([
      [0, 0, 0],
      [1, 1, 1],
    ]);
    expect(withPred.accuracyCost).toBeCloseTo(2 / 6 - 5.5 / 6, 12);
  });

  it('realises the rules with the given generator', () => {
    // b is deterministic (score ≥ .8); a selects its positive (.9) when the low threshold is drawn (p = 1/2).
    const draws = new Set<string>();
    for (let seed = 0; seed < 20; seed++) {
      const realised = optimizeThresholds(data, { constraint: 'demographic_parity', random: createRandom(seed) }).afterRealised;
      const [a, b] = realised.groups;
      expect(b).toEqual({ group: 'b', rows: 4, selectionRate: 0.25, truePositiveRate: 1, falsePositiveRate: 0, accuracy: 1 });
      expect([0, 0.5]).toContain(a!.selectionRate);
      draws.add(String(a!.selectionRate));
    }
    expect(draws.size).toBe(2);
  });
});

describe('equalized odds rules, hand-computed', () => {
  // a: positives .9 .6, negatives .8 .3 → ROC hull (0, 1/2) (1/2, 1) (1, 1).
  // b: positive .7, negatives .5 .2 → ROC hull (0, 1) (1, 1).
  // The lower envelope is a's hull; P·TPR − N·FPR = 3(1/2 + x) − 4x is largest at x = 0: (FPR, TPR) = (0, 1/2).
  // a sits on its hull there (score ≥ .9); b's hull point (0, 1) is mixed half-and-half with the
  // constant predictor of rate 0 to come down to (0, 1/2).
  const data = input([
    [0, 1, 0.9],
    [0, 1, 0.6],
    [0, 0, 0.8],
    [0, 0, 0.3],
    [1, 1, 0.7],
    [1, 0, 0.5],
    [1, 0, 0.2],
  ]);
  const result = () => optimizeThresholds(data, { constraint: 'equalized_odds', tolerance: 0.05 });

  it('equalises TPR and FPR at the best point of the lower envelope', () => {
    const [a, b] = result().artifact.groups;
    expect(a).toEqual({
      code: 0,
      group: 'a',
      thresholdHigh: 0.9,
      thresholdLow: 0.6,
      probabilityLow: 0,
      probabilityConstant: 0,
      constantRate: 0,
      expected: { selectionRate: 0.25, truePositiveRate: 0.5, falsePositiveRate: 0 },
    });
    expect(b).toEqual({
      code: 1,
      group: 'b',
      thresholdHigh: 0.7,
      thresholdLow: 0.2,
      probabilityLow: 0,
      probabilityConstant: 0.5,
      constantRate: 0,
      expected: { selectionRate: 1 / 6, truePositiveRate: 0.5, falsePositiveRate: 0 },
    });
    expect(result().artifact.tolerance).toBe(0.05);
    expect(result().artifact.constraint).toBe('equalized_odds');
  });

  it('summarises before and expected after', () => {
    // Before (score ≥ .5): a TP TP FP TN (TPR 1, FPR 1/2); b TP FP TN (TPR 1, FPR 1/2): 5 of 7 correct.
    expect(result().before.accuracy).toBeCloseTo(5 / 7, 12);
    expect(result().before.equalizedOddsDifference).toBe(0);
    expect(result().before.demographicParityDifference).toBeCloseTo(3 / 4 - 2 / 3, 12);
    // After: a 1 TP + 2 TN, b 1/2 TP + 2 TN: 5.5 of 7; selection 1/4 vs 1/6.
    expect(result().afterExpected.accuracy).toBeCloseTo(5.5 / 7, 12);
    expect(result().afterExpected.equalizedOddsDifference).toBe(0);
    expect(result().afterExpected.demographicParityDifference).toBeCloseTo(1 / 12, 12);
    expect(result().afterExpected.groups.map((g) => [g.rows, g.accuracy])).toEqual([
      [4, 0.75],
      [3, expect.closeTo(2.5 / 3, 12)],
    ]);
    expect(result().constraintMet).toBe(true);
  });

  it('refuses a group without positives or without negatives, naming it', () => {
    const noPositives = input([
      [0, 1, 0.9],
      [0, 0, 0.1],
      [1, 0, 0.5],
      [2, 1, 0.5],
    ], ['a', 'b', 'c']);
    expect(reasonsOf(() => optimizeThresholds(noPositives, { constraint: 'equalized_odds' }))).toEqual([
      'equalized odds needs positives and negatives in every group; missing in b, c',
    ]);
  });
});

describe('optimizeThresholds input checks', () => {
  const ok = input([
    [0, 1, 0.9],
    [0, 0, 0.1],
    [1, 1, 0.6],
    [1, 0, 0.4],
  ]);

  it('names each defect', () => {
    expect(reasonsOf(() => optimizeThresholds({ ...ok, yScore: Float64Array.of(0.5) }, { constraint: 'demographic_parity' }))).toEqual([
      'yScore has 1 entries for 4 rows',
      'row 1: yTrue must be 0/1 and yScore in [0, 1]', // the missing score of row 1 is not in [0, 1] either
    ]);
    expect(reasonsOf(() => optimizeThresholds({ ...ok, yPred: Uint8Array.of(1) }, { constraint: 'demographic_parity' }))).toEqual(['yPred has 1 entries for 4 rows']);
    expect(reasonsOf(() => optimizeThresholds({ ...ok, yTrue: Uint8Array.of(1, 2, 0, 0) }, { constraint: 'demographic_parity' }))).toEqual(['row 1: yTrue must be 0/1 and yScore in [0, 1]']);
    for (const bad of [1.5, -0.1, NaN]) {
      expect(reasonsOf(() => optimizeThresholds({ ...ok, yScore: Float64Array.of(0.9, 0.1, bad, 0.4) }, { constraint: 'demographic_parity' }))).toEqual(['row 2: yTrue must be 0/1 and yScore in [0, 1]']);
    }
    expect(reasonsOf(() => optimizeThresholds(input([]), { constraint: 'demographic_parity' }))).toEqual(['no rows']);
    for (const tolerance of [-0.01, NaN]) expect(reasonsOf(() => optimizeThresholds(ok, { constraint: 'demographic_parity', tolerance }))).toEqual(['tolerance must be non-negative']);
    for (const maxPointsPerGroup of [1, 2.5]) expect(reasonsOf(() => optimizeThresholds(ok, { constraint: 'demographic_parity', maxPointsPerGroup }))).toEqual(['maxPointsPerGroup must be an integer ≥ 2']);
    expect(reasonsOf(() => optimizeThresholds({ ...ok, attribute: { ...ok.attribute, codes: Int32Array.of(0, 0, 5, 1) } }, { constraint: 'demographic_parity' }))).toEqual(['attribute g row 2 has code 5, outside 0..1']);
  });

  it('accepts scores 0 and 1, two points per group and a zero tolerance', () => {
    const edges = { ...ok, yScore: Float64Array.of(1, 0, 1, 0) };
    const result = optimizeThresholds(edges, { constraint: 'equalized_odds', maxPointsPerGroup: 2, tolerance: 0 });
    expect(result.constraintMet).toBe(true);
    // Two points per group: select nobody, or everybody.
    for (const rule of result.artifact.groups) expect([rule.thresholdHigh, rule.thresholdLow]).toEqual([SELECT_NONE, 0]);
  });

  it('leaves out labels without rows', () => {
    const sparse = input([
      [0, 1, 0.9],
      [0, 0, 0.1],
      [2, 1, 0.6],
      [2, 0, 0.4],
    ], ['a', 'unused', 'c']);
    const result = optimizeThresholds(sparse, { constraint: 'demographic_parity' });
    expect(result.artifact.groups.map((g) => [g.code, g.group])).toEqual([
      [0, 'a'],
      [2, 'c'],
    ]);
    expect(result.before.groups.map((g) => g.group)).toEqual(['a', 'c']);
    expect(result.artifact.labels).toEqual(['a', 'unused', 'c']);
  });
});

describe('applyThresholds', () => {
  const rule = (code: number, fields: Partial<ThresholdArtifact['groups'][number]>): ThresholdArtifact['groups'][number] => ({
    code,
    group: `g${code}`,
    thresholdHigh: 0.5,
    thresholdLow: 0.5,
    probabilityLow: 0,
    probabilityConstant: 0,
    constantRate: 0,
    expected: { selectionRate: 0, truePositiveRate: null, falsePositiveRate: null },
    ...fields,
  });
  const artifact = (groups: ThresholdArtifact['groups']): ThresholdArtifact => ({
    kind: 'raia.fairness.threshold-optimizer',
    version: 1,
    constraint: 'equalized_odds',
    tolerance: 0.01,
    attribute: 'g',
    labels: ['g0', 'g1', 'g2'],
    decision: 'predict 1 when score >= threshold',
    groups,
  });

  it('refuses mismatched lengths and codes without a rule', () => {
    const a = artifact([rule(0, {}), rule(1, {})]);
    expect(reasonsOf(() => applyThresholds(a, Float64Array.of(0.5, 0.5), Int32Array.of(0), createRandom(1)))).toEqual(['2 scores for 1 group codes']);
    expect(reasonsOf(() => applyThresholds(a, Float64Array.of(0.5, 0.5), Int32Array.of(0, 2), createRandom(1)))).toEqual(['row 1: no threshold rule for group code 2']);
    expect(reasonsOf(() => applyThresholds(a, Float64Array.of(0.5), Int32Array.of(-1), createRandom(1)))).toEqual(['row 0: no threshold rule for group code -1']);
    expect(reasonsOf(() => applyThresholds(a, Float64Array.of(0.5), Int32Array.of(3), createRandom(1)))).toEqual(['row 0: no threshold rule for group code 3']);
  });

  it('never selects at SELECT_NONE, even a score of 1', () => {
    const a = artifact([rule(0, { thresholdHigh: SELECT_NONE, thresholdLow: SELECT_NONE })]);
    expect(Array.from(applyThresholds(a, Float64Array.of(1, 0), Int32Array.of(0, 0), createRandom(1)))).toEqual([0, 0]);
  });

  it('uses the constant predictor with its probability and rate', () => {
    // Always constant (probability 1) with rate 1: every row selected whatever its score;
    // with rate 0: none. Probability 0: the threshold alone decides.
    const n = 200;
    const low = new Float64Array(n).fill(0.1);
    const codes = new Int32Array(n);
    expect(applyThresholds(artifact([rule(0, { probabilityConstant: 1, constantRate: 1 })]), low, codes, createRandom(2)).every((v) => v === 1)).toBe(true);
    expect(applyThresholds(artifact([rule(0, { probabilityConstant: 1, constantRate: 0 })]), Float64Array.from(low, () => 0.9), codes, createRandom(2)).every((v) => v === 0)).toBe(true);
    expect(applyThresholds(artifact([rule(0, { probabilityConstant: 0, constantRate: 1 })]), low, codes, createRandom(2)).every((v) => v === 0)).toBe(true);
    // Half constant at rate 1, half threshold at .5 on scores .1: about half selected.
    const mixed = applyThresholds(artifact([rule(0, { probabilityConstant: 0.5, constantRate: 1 })]), new Float64Array(20_000).fill(0.1), new Int32Array(20_000), createRandom(3));
    const rate = mixed.reduce((s, v) => s + v, 0) / 20_000;
    expect(Math.abs(rate - 0.5)).toBeLessThan(5 * Math.sqrt(0.25 / 20_000));
  });

  it('takes the low threshold with probability probabilityLow, per group', () => {
    const a = artifact([rule(0, { thresholdHigh: 0.9, thresholdLow: 0.1, probabilityLow: 1 }), rule(1, { thresholdHigh: 0.9, thresholdLow: 0.1, probabilityLow: 0 })]);
    expect(Array.from(applyThresholds(a, Float64Array.of(0.5, 0.5, 0.95, 0.05), Int32Array.of(0, 1, 1, 0), createRandom(4)))).toEqual([1, 0, 1, 0]);
  });
});
