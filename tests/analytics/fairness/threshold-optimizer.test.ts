import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { combineAttributes } from '../../../src/analytics/fairness/intersection-groups.js';
import { SELECT_NONE } from '../../../src/analytics/fairness/roc-points.js';
import { createRandom } from '../../../src/analytics/fairness/seeded-random.js';
import { applyThresholds, optimizeThresholds, type ThresholdArtifact } from '../../../src/analytics/fairness/threshold-optimizer.js';
import { FairnessInputError } from '../../../src/analytics/fairness/fairness-input.js';

/** Two or three groups whose scores are shifted differently, so the unconstrained model is unfair. */
function scored(perGroup: number, groups: number, seed: number) {
  const random = createRandom(seed);
  const rows = perGroup * groups;
  const codes = Int32Array.from({ length: rows }, (_, i) => i % groups);
  const yTrue = Uint8Array.from(codes, (g) => (random() < 0.3 + 0.15 * g ? 1 : 0));
  const yScore = Float64Array.from(codes, (g, i) => Math.min(1, Math.max(0, 0.2 + 0.35 * yTrue[i]! + 0.12 * g + (random() - 0.5) * 0.6)));
  return { yTrue, yScore, attribute: { name: 'group', codes, labels: Array.from({ length: groups }, (_, g) => `g${g}`) } };
}

describe('optimizeThresholds', () => {
  it('meets demographic parity on its own data: exactly in expectation, within tolerance when applied', () => {
    const data = scored(20_000, 3, 1);
    const result = optimizeThresholds(data, { constraint: 'demographic_parity', tolerance: 0.02 });
    expect(result.before.demographicParityDifference!).toBeGreaterThan(0.1);
    expect(result.afterExpected.demographicParityDifference!).toBeLessThan(1e-9);
    expect(result.afterRealised.demographicParityDifference!).toBeLessThan(0.02);
    expect(result.constraintMet).toBe(true);
    expect(Math.abs(result.afterRealised.accuracy - result.afterExpected.accuracy)).toBeLessThan(0.01);
    expect(result.accuracyCost).toBeCloseTo(result.before.accuracy - result.afterExpected.accuracy, 12);
  });

  it('meets equalized odds on its own data: exactly in expectation, within tolerance when applied', () => {
    const data = scored(20_000, 3, 2);
    const result = optimizeThresholds(data, { constraint: 'equalized_odds', tolerance: 0.03 });
    expect(result.before.equalizedOddsDifference!).toBeGreaterThan(0.1);
    expect(result.afterExpected.equalizedOddsDifference!).toBeLessThan(1e-9);
    expect(result.afterRealised.equalizedOddsDifference!).toBeLessThan(0.03);
    expect(result.constraintMet).toBe(true);
  });

  it('finds the brute-force best common selection rate for demographic parity', () => {
    // Two groups of 4 rows; with equal group sizes, equal selection rates mean equal top-k counts.
    const yTrue = Uint8Array.of(1, 1, 0, 0, 1, 0, 0, 0);
    const yScore = Float64Array.of(0.9, 0.6, 0.7, 0.1, 0.8, 0.5, 0.4, 0.3);
    const codes = Int32Array.of(0, 0, 0, 0, 1, 1, 1, 1);
    const result = optimizeThresholds({ yTrue, yScore, attribute: { name: 'g', codes, labels: ['a', 'b'] } }, { constraint: 'demographic_parity' });
    // Selecting the top-k by score for k = 0..4, correct decisions: group a (.9+ .7- .6+ .1-) 2,3,2,3,2;
    // group b (.8+ .5- .4- .3-) 3,4,3,2,1. Totals 5,7,5,5,3: k = 1 is best, 7 of 8 (accuracy is linear
    // between adjacent k, so randomising cannot beat the best k).
    expect(result.afterExpected.accuracy).toBeCloseTo(7 / 8, 12);
  });

  it('meets its constraint on arbitrary data (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 30, max: 200 }), fc.integer(), fc.constantFrom('demographic_parity' as const, 'equalized_odds' as const), (perGroup, seed, constraint) => {
        const data = scored(perGroup, 2, seed);
        // Rounded scores create ties, the hard case for threshold curves.
        const rounded = { ...data, yScore: data.yScore.map((s) => Math.round(s * 10) / 10) };
        let result;
        try {
          result = optimizeThresholds(rounded, { constraint });
        } catch (error) {
          // Equalized odds is undefined when a group has no positives or no negatives.
          expect(error).toBeInstanceOf(FairnessInputError);
          return;
        }
        const disparity = constraint === 'demographic_parity' ? result.afterExpected.demographicParityDifference : result.afterExpected.equalizedOddsDifference;
        expect(disparity!).toBeLessThan(1e-9);
        for (const rule of result.artifact.groups) {
          expect(rule.probabilityLow).toBeGreaterThanOrEqual(0);
          expect(rule.probabilityLow).toBeLessThanOrEqual(1);
          expect(rule.probabilityConstant).toBeGreaterThanOrEqual(0);
          expect(rule.probabilityConstant).toBeLessThanOrEqual(1);
          expect(rule.thresholdHigh).toBeGreaterThanOrEqual(rule.thresholdLow);
        }
      }),
      { numRuns: 80 },
    );
  });

  it('produces a JSON artifact that applies identically after a round trip', () => {
    const data = scored(2000, 2, 3);
    const { artifact } = optimizeThresholds(data, { constraint: 'equalized_odds' });
    const restored = JSON.parse(JSON.stringify(artifact)) as ThresholdArtifact;
    const a = applyThresholds(artifact, data.yScore, data.attribute.codes, createRandom(5));
    const b = applyThresholds(restored, data.yScore, data.attribute.codes, createRandom(5));
    expect(b).toEqual(a);
    expect(restored.kind).toBe('raia.fairness.threshold-optimizer');
  });

  it('works on an intersection through combineAttributes', () => {
    const data = scored(4000, 2, 4);
    const other = { name: 'band', codes: Int32Array.from(data.yTrue, (_, i) => (i >> 1) % 2), labels: ['lo', 'hi'] };
    const combined = combineAttributes([data.attribute, other]);
    const result = optimizeThresholds({ ...data, attribute: combined }, { constraint: 'demographic_parity' });
    expect(result.artifact.attribute).toBe('group × band');
    expect(result.artifact.groups.map((g) => g.group)).toEqual(['group=g0, band=lo', 'group=g0, band=hi', 'group=g1, band=lo', 'group=g1, band=hi']);
    expect(result.afterExpected.demographicParityDifference!).toBeLessThan(1e-9);
  });
});

describe('applyThresholds', () => {
  const artifact: ThresholdArtifact = {
    kind: 'raia.fairness.threshold-optimizer',
    version: 1,
    constraint: 'demographic_parity',
    tolerance: 0.01,
    attribute: 'g',
    labels: ['a', 'b', 'c'],
    decision: 'predict 1 when score >= threshold',
    groups: [
      { code: 0, group: 'a', thresholdHigh: 0.5, thresholdLow: 0.5, probabilityLow: 0, probabilityConstant: 0, constantRate: 0, expected: { selectionRate: 0, truePositiveRate: null, falsePositiveRate: null } },
      { code: 1, group: 'b', thresholdHigh: SELECT_NONE, thresholdLow: 0.3, probabilityLow: 1, probabilityConstant: 0, constantRate: 0, expected: { selectionRate: 0, truePositiveRate: null, falsePositiveRate: null } },
    ],
  };

  it('applies deterministic thresholds (score ≥ t)', () => {
    const out = applyThresholds(artifact, Float64Array.of(0.5, 0.49, 0.3, 0.29), Int32Array.of(0, 0, 1, 1), createRandom(1));
    expect(Array.from(out)).toEqual([1, 0, 1, 0]);
  });

  it('randomises with the given probabilities', () => {
    const mixed: ThresholdArtifact = { ...artifact, groups: [{ ...artifact.groups[0]!, thresholdHigh: 0.9, thresholdLow: 0.1, probabilityLow: 0.25 }] };
    const n = 40_000;
    const out = applyThresholds(mixed, new Float64Array(n).fill(0.5), new Int32Array(n), createRandom(2));
    const rate = out.reduce((s, v) => s + v, 0) / n;
    expect(Math.abs(rate - 0.25)).toBeLessThan(5 * Math.sqrt((0.25 * 0.75) / n));
  });

  it('refuses a group it has no rule for', () => {
    expect(() => applyThresholds(artifact, Float64Array.of(0.5), Int32Array.of(2), createRandom(1))).toThrow(FairnessInputError);
  });
});
