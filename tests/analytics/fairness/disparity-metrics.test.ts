import { describe, expect, it } from 'vitest';
import { computeDisparities, DISPARITY_METRICS, DISPARITY_SOURCE } from '../../../src/analytics/fairness/disparity-metrics.js';
import { GROUP_METRICS } from '../../../src/analytics/fairness/group-metrics.js';

/** rates[m·G + g] from per-metric rows, in GROUP_METRICS order. */
function ratesOf(rows: Record<(typeof GROUP_METRICS)[number], number[]>): Float64Array {
  const G = rows.selectionRate.length;
  const rates = new Float64Array(GROUP_METRICS.length * G);
  GROUP_METRICS.forEach((metric, m) => rows[metric].forEach((v, g) => (rates[m * G + g] = v)));
  return rates;
}

describe('computeDisparities', () => {
  // Three groups; the third is left out of comparisons (its extreme values must not count). Reference: group 1.
  const rates = ratesOf({
    selectionRate: [0.2, 0.5, 0.9],
    accuracy: [0.7, 0.6, 0.1],
    truePositiveRate: [0.75, 0.25, 0],
    falsePositiveRate: [0.1, 0.8, 1],
    falseNegativeRate: [0.25, 0.75, 1],
    precision: [NaN, 0.5, 0.1],
    expectedCalibrationError: [0.3, 0.1, 0],
    disparateImpact: [0.4, 1, 1.8],
  });

  it('takes ranges, ratios and the worst impact over the compared groups only', () => {
    const out = new Float64Array(DISPARITY_METRICS.length);
    computeDisparities(rates, 3, Uint8Array.of(1, 1, 0), 1, out);
    const byName = Object.fromEntries(DISPARITY_METRICS.map((m, d) => [m, out[d]]));
    expect(byName.demographicParityDifference).toBeCloseTo(0.3, 12);
    expect(byName.demographicParityRatio).toBeCloseTo(0.4, 12);
    expect(byName.disparateImpactRatio).toBeCloseTo(0.4, 12);
    expect(byName.equalOpportunityDifference).toBeCloseTo(0.5, 12);
    expect(byName.equalizedOddsDifference).toBeCloseTo(0.7, 12); // max(TPR range .5, FPR range .7)
    expect(byName.predictiveParityDifference).toBeNaN(); // one defined precision among compared groups
    expect(byName.accuracyDifference).toBeCloseTo(0.1, 12);
    expect(byName.falsePositiveRateDifference).toBeCloseTo(0.7, 12);
    expect(byName.calibrationDifference).toBeCloseTo(0.2, 12);
  });

  it('includes every group when all are compared', () => {
    const out = new Float64Array(DISPARITY_METRICS.length);
    computeDisparities(rates, 3, Uint8Array.of(1, 1, 1), 1, out);
    expect(out[0]).toBeCloseTo(0.7, 12); // .9 − .2
    expect(out[1]).toBeCloseTo(0.2 / 0.9, 12);
    expect(out[2]).toBeCloseTo(0.4, 12); // min(.4, 1.8), the reference left out
    expect(out[4]).toBeCloseTo(0.9, 12); // max(TPR .75, FPR .9)
    expect(out[5]).toBeCloseTo(0.4, 12); // precision .5 − .1
  });

  it('leaves the impact ratio undefined without another compared group, and the ratio when nobody is selected', () => {
    const zero = ratesOf({
      selectionRate: [0, 0],
      accuracy: [1, 1],
      truePositiveRate: [NaN, NaN],
      falsePositiveRate: [0, 0],
      falseNegativeRate: [NaN, NaN],
      precision: [NaN, NaN],
      expectedCalibrationError: [NaN, NaN],
      disparateImpact: [NaN, NaN],
    });
    const out = new Float64Array(DISPARITY_METRICS.length);
    computeDisparities(zero, 2, Uint8Array.of(1, 1), 0, out);
    expect(out[0]).toBe(0);
    expect(out[1]).toBeNaN();
    expect(out[2]).toBeNaN();
    expect(out[3]).toBeNaN();
    expect(out[4]).toBeNaN(); // the TPR range is undefined, so the maximum is too
    expect(out[6]).toBe(0);
    const single = new Float64Array(DISPARITY_METRICS.length);
    computeDisparities(rates, 3, Uint8Array.of(0, 1, 0), 1, single);
    expect(Array.from(single).every(Number.isNaN)).toBe(true);
  });

  it('counts only groups with a defined selection rate', () => {
    // Two compared groups, one without a selection rate: no difference, no ratio.
    const oneDefined = ratesOf({
      selectionRate: [0.3, NaN],
      accuracy: [1, NaN],
      truePositiveRate: [1, NaN],
      falsePositiveRate: [0, NaN],
      falseNegativeRate: [0, NaN],
      precision: [1, NaN],
      expectedCalibrationError: [NaN, NaN],
      disparateImpact: [1, NaN],
    });
    const out = new Float64Array(DISPARITY_METRICS.length);
    computeDisparities(oneDefined, 2, Uint8Array.of(1, 1), 0, out);
    expect(Array.from(out).every(Number.isNaN)).toBe(true);
  });

  it('refuses a rates array shorter than every metric for every group', () => {
    expect(() => computeDisparities(new Float64Array(GROUP_METRICS.length * 2 - 1), 2, Uint8Array.of(1, 1), 0, new Float64Array(9))).toThrow(new RangeError('rates array too short'));
    expect(() => computeDisparities(new Float64Array(GROUP_METRICS.length * 2), 2, Uint8Array.of(1, 1), 0, new Float64Array(9))).not.toThrow();
  });

  it('names the group metrics each disparity is built from', () => {
    const source = Object.fromEntries(Object.entries(DISPARITY_SOURCE).map(([d, ms]) => [d, ms.map((m) => GROUP_METRICS[m])]));
    expect(source).toEqual({
      demographicParityDifference: ['selectionRate'],
      demographicParityRatio: ['selectionRate'],
      disparateImpactRatio: ['disparateImpact'],
      equalOpportunityDifference: ['truePositiveRate'],
      equalizedOddsDifference: ['truePositiveRate', 'falsePositiveRate'],
      predictiveParityDifference: ['precision'],
      accuracyDifference: ['accuracy'],
      falsePositiveRateDifference: ['falsePositiveRate'],
      calibrationDifference: ['expectedCalibrationError'],
    });
  });
});
