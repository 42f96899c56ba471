import { describe, expect, it } from 'vitest';
import { metricFrame, weightedRocAuc, type FrameRow } from '../../../src/analytics/fairness/metric-frame.js';
import { assessFairness } from '../../../src/analytics/fairness/fairness-assessment.js';

// Group A: y 1 1 0 0, ŷ 1 0 1 0 (tp 1, fn 1, fp 1, tn 1), scores .9 .4 .6 .2
// Group B: y 1 0 0 0, ŷ 1 1 0 0 (tp 1, fp 1, tn 2), scores .8 .8 .3 .1 (a tie across classes)
// Group C: y 0 0,     ŷ 0 1     (fp 1, tn 1): no actual positives; scores .7 .1
const yTrue = Uint8Array.from([1, 1, 0, 0, 1, 0, 0, 0, 0, 0]);
const yPred = Uint8Array.from([1, 0, 1, 0, 1, 1, 0, 0, 0, 1]);
const yScore = Float64Array.from([0.9, 0.4, 0.6, 0.2, 0.8, 0.8, 0.3, 0.1, 0.7, 0.1]);
const groupOfRow = Int32Array.from([0, 0, 0, 0, 1, 1, 1, 1, 2, 2]);
const labels = ['A', 'B', 'C'];

const values = (row: FrameRow) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'object' && v !== null && 'value' in v ? v.value : v]));

describe('fairlearn / AIF360 metric frame', () => {
  const frame = metricFrame({ yTrue, yPred, yScore }, groupOfRow, labels, 'A');

  it('gives every group’s and the overall confusion counts and rates (by hand)', () => {
    const [a, b, c] = frame.byGroup.map(values);
    expect(a).toMatchObject({ n: 4, tn: 1, fp: 1, fn: 1, tp: 1, baseRate: 0.5, selectionRate: 0.5, truePositiveRate: 0.5, falsePositiveRate: 0.5, trueNegativeRate: 0.5, falseNegativeRate: 0.5, precision: 0.5, negativePredictiveValue: 0.5, accuracy: 0.5, rocAuc: 0.75 });
    expect(b).toMatchObject({ n: 4, tn: 2, fp: 1, fn: 0, tp: 1, baseRate: 0.25, selectionRate: 0.5, truePositiveRate: 1, trueNegativeRate: 2 / 3, falseNegativeRate: 0, precision: 0.5, negativePredictiveValue: 1, accuracy: 0.75 });
    expect(b!.falsePositiveRate).toBeCloseTo(1 / 3, 15);
    expect(b!.rocAuc).toBeCloseTo(2.5 / 3, 15); // the tied negative at 0.8 counts one half
    expect(c).toMatchObject({ n: 2, tp: 0, fn: 0, fp: 1, tn: 1, baseRate: 0, truePositiveRate: null, falseNegativeRate: null, precision: 0, negativePredictiveValue: 1, rocAuc: null });
    expect(frame.byGroup[2]!.truePositiveRate.reason).toMatch(/no actual positives/);
    expect(frame.byGroup[2]!.rocAuc.reason).toMatch(/only negatives/);
    const o = values(frame.overall);
    expect(o).toMatchObject({ n: 10, tp: 2, fn: 1, fp: 3, tn: 4, selectionRate: 0.5, accuracy: 0.6 });
    expect(o.baseRate).toBeCloseTo(0.3, 15);
    expect(o.truePositiveRate).toBeCloseTo(2 / 3, 15);
    expect(o.falsePositiveRate).toBeCloseTo(3 / 7, 15);
    expect(o.precision).toBeCloseTo(0.4, 15);
    expect(o.negativePredictiveValue).toBeCloseTo(0.8, 15);
    expect(o.rocAuc).toBeCloseTo(17.5 / 21, 15); // 7 + 4 + 6.5 winning pairs of 3 x 7
  });

  it('gives fairlearn’s difference and ratio between groups and to overall, skipping undefined groups', () => {
    const tpr = frame.disparities.truePositiveRate;
    expect(tpr.betweenGroups.difference.value).toBeCloseTo(0.5, 15);
    expect(tpr.betweenGroups.ratio.value).toBeCloseTo(0.5, 15);
    expect(tpr.toOverall.difference.value).toBeCloseTo(1 / 3, 15);
    expect(tpr.toOverall.ratio.value).toBeCloseTo(2 / 3, 15); // min(0.5 / (2/3), 1 / (1 / (2/3)))
    const fpr = frame.disparities.falsePositiveRate;
    expect(fpr.betweenGroups.difference.value).toBeCloseTo(1 / 6, 15);
    expect(fpr.betweenGroups.ratio.value).toBeCloseTo(2 / 3, 15);
    expect(fpr.toOverall.difference.value).toBeCloseTo(2 / 21, 15);
    expect(fpr.toOverall.ratio.value).toBeCloseTo(7 / 9, 15);
    // precision 0.5, 0.5, 0: a group at 0 makes the ratios 0
    expect(frame.disparities.precision.betweenGroups.ratio.value).toBe(0);
    expect(frame.disparities.precision.toOverall.ratio.value).toBe(0);
    expect(frame.disparities.selectionRate.betweenGroups).toEqual({ difference: { value: 0 }, ratio: { value: 1 } });
  });

  it('aggregates equalized odds worst-case and mean, and names the parity metrics', () => {
    const between = frame.fairlearn.betweenGroups;
    expect(between.equalizedOddsDifference.worstCase.value).toBeCloseTo(0.5, 15);
    expect(between.equalizedOddsDifference.mean.value).toBeCloseTo(1 / 3, 15);
    expect(between.equalizedOddsRatio.worstCase.value).toBeCloseTo(0.5, 15);
    expect(between.equalizedOddsRatio.mean.value).toBeCloseTo(7 / 12, 15);
    expect(between.demographicParityDifference.value).toBe(0);
    expect(between.equalOpportunityDifference.value).toBeCloseTo(0.5, 15);
    expect(between.predictiveParityDifference.value).toBeCloseTo(0.5, 15);
    expect(between.accuracyParityDifference.value).toBeCloseTo(0.25, 15);
    expect(between.accuracyParityRatio.value).toBeCloseTo(2 / 3, 15);
    const overall = frame.fairlearn.toOverall;
    expect(overall.equalizedOddsDifference.worstCase.value).toBeCloseTo(1 / 3, 15);
    expect(overall.equalizedOddsDifference.mean.value).toBeCloseTo(3 / 14, 15);
    expect(overall.equalizedOddsRatio.worstCase.value).toBeCloseTo(2 / 3, 15);
    expect(overall.equalizedOddsRatio.mean.value).toBeCloseTo(13 / 18, 15);
  });

  it('gives AIF360’s signed metrics against the named privileged group', () => {
    expect(frame.aif360).toMatchObject({ privilegedGroup: 'A', privilegedRule: 'given' });
    const [vsB, vsC] = frame.aif360!.versus;
    expect(vsB!.unprivileged).toBe('B');
    expect(vsB!.statisticalParityDifference.value).toBe(0);
    expect(vsB!.disparateImpact.value).toBe(1);
    expect(vsB!.equalOpportunityDifference.value).toBeCloseTo(0.5, 15);
    expect(vsB!.falsePositiveRateDifference.value).toBeCloseTo(-1 / 6, 15);
    expect(vsB!.averageOddsDifference.value).toBeCloseTo(1 / 6, 15);
    expect(vsB!.averageAbsOddsDifference.value).toBeCloseTo(1 / 3, 15);
    expect(vsB!.predictiveParityDifference.value).toBe(0);
    expect(vsB!.errorRateDifference.value).toBeCloseTo(-0.25, 15);
    // C has no positives: equal opportunity is undefined, and says why
    expect(vsC!.equalOpportunityDifference.value).toBeNull();
    expect(vsC!.equalOpportunityDifference.reason).toMatch(/C/);
    expect(vsC!.averageOddsDifference.value).toBeNull();
    // B and C together (tp 1, fn 0, fp 2, tn 3) against A
    const rest = frame.aif360!.restVersusPrivileged;
    expect(rest.equalOpportunityDifference.value).toBeCloseTo(0.5, 15);
    expect(rest.falsePositiveRateDifference.value).toBeCloseTo(-0.1, 15);
    expect(rest.averageOddsDifference.value).toBeCloseTo(0.2, 15);
    expect(rest.predictiveParityDifference.value).toBeCloseTo(-1 / 6, 15);
  });

  it('makes disparate impact undefined when the privileged group selects nobody', () => {
    const f = metricFrame({ yTrue: Uint8Array.from([1, 0, 1, 0]), yPred: Uint8Array.from([0, 0, 1, 0]) }, Int32Array.from([0, 0, 1, 1]), ['p', 'u'], 'p');
    expect(f.aif360!.versus[0]!.disparateImpact).toMatchObject({ value: null });
    expect(f.aif360!.versus[0]!.statisticalParityDifference.value).toBe(0.5);
    expect(f.byGroup[0]!.rocAuc.reason).toMatch(/no scores/);
  });

  it('weights rows as scikit-learn’s sample_weight: a weight of 2 equals the row twice', () => {
    const w = Float64Array.from([2, 1, 1, 3]);
    const y = Uint8Array.from([1, 0, 1, 0]);
    const s = Float64Array.from([0.3, 0.5, 0.9, 0.3]);
    const dup = { y: Uint8Array.from([1, 1, 0, 1, 0, 0, 0]), s: Float64Array.from([0.3, 0.3, 0.5, 0.9, 0.3, 0.3, 0.3]) };
    const weighted = weightedRocAuc(y, s, w, Int32Array.from([0, 1, 2, 3]));
    const repeated = weightedRocAuc(dup.y, dup.s, null, Int32Array.from([0, 1, 2, 3, 4, 5, 6]));
    expect(weighted.value).toBeCloseTo(repeated.value!, 15);
    // by hand: positives .3 (x2), .9; negatives .5, .3 (x3): .9 beats 4; each .3 ties 3 (1.5) -> 4 + 2 * 1.5 = 7 of 3 x 4
    expect(weighted.value).toBeCloseTo(7 / 12, 15);
  });

  it('is attached to every grouping of a fairness report, intersections included', () => {
    const report = assessFairness(
      {
        yTrue,
        yPred,
        yScore,
        attributes: [
          { name: 'g', codes: Int32Array.from(groupOfRow), labels },
          { name: 'h', codes: Int32Array.from([0, 1, 0, 1, 0, 1, 0, 1, 0, 1]), labels: ['x', 'y'] },
        ],
      },
      { bootstrap: false, privilegedGroups: { g: 'A' } },
    );
    const g = report.groupings.find((r) => r.name === 'g')!;
    expect(g.libraryMetrics!.byGroup.map((r) => r.tp)).toEqual([1, 1, 0]);
    expect(g.libraryMetrics!.aif360!.privilegedGroup).toBe('A');
    const both = report.groupings.find((r) => r.attributes.length === 2)!;
    expect(both.libraryMetrics!.byGroup.reduce((s, r) => s + r.n, 0)).toBe(10);
    expect(both.libraryMetrics!.aif360!.privilegedRule).toBe('highest-selection-rate');
    expect(() => assessFairness({ yTrue, yPred, attributes: [{ name: 'g', codes: Int32Array.from(groupOfRow), labels }] }, { bootstrap: false, privilegedGroups: { g: 'Z' } })).toThrow(/privileged group Z/);
  });
});
