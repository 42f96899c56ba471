import { describe, expect, it } from 'vitest';
import { assessFairness, type GroupingReport } from '../../../src/analytics/fairness/fairness-assessment.js';
import { FairnessInputError, type ClassificationInput } from '../../../src/analytics/fairness/fairness-input.js';
import { createRandom } from '../../../src/analytics/fairness/seeded-random.js';

/** Rows as [group code, yTrue, yPred, score?, weight?]. */
type Row = [number, 0 | 1, 0 | 1, number?, number?];
function rowsInput(rows: Row[], labels: string[], options: { scores?: boolean; weights?: boolean } = {}): ClassificationInput {
  return {
    yTrue: Uint8Array.from(rows, (r) => r[1]),
    yPred: Uint8Array.from(rows, (r) => r[2]),
    ...(options.scores ? { yScore: Float64Array.from(rows, (r) => r[3]!) } : {}),
    ...(options.weights ? { sampleWeight: Float64Array.from(rows, (r) => r[4] ?? 1) } : {}),
    attributes: [{ name: 'g', codes: Int32Array.from(rows, (r) => r[0]), labels }],
  };
}
const groupOf = (grouping: GroupingReport, label: string) => grouping.groups.find((g) => g.group === label)!;

function reasonsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(FairnessInputError);
    return (error as FairnessInputError).reasons;
  }
  throw new Error('expected a FairnessInputError');
}

describe('assessFairness report fields', () => {
  // a: TP, TN (scores .9, .1); b: FN, FP (scores .2, .8); c: one TP of weight 0.
  const data = rowsInput(
    [
      [0, 1, 1, 0.9, 1],
      [0, 0, 0, 0.1, 1],
      [1, 1, 0, 0.2, 1],
      [1, 0, 1, 0.8, 1],
      [2, 1, 1, 0.5, 0],
    ],
    ['a', 'b', 'c'],
    { scores: true, weights: true },
  );
  // Computed inside each test (not once here) so that mutation testing sees which tests run the code.
  const report = () => assessFairness(data, { minGroupSize: 1, bootstrap: false });
  const grouping = () => report().groupings[0]!;

  it('states what it was computed from', () => {
    expect(report()).toMatchObject({ rows: 5, totalWeight: 4, weighted: true, hasScores: true, calibrationBins: 10, minGroupSize: 1, bootstrap: null });
    const plain = assessFairness(rowsInput([[0, 1, 1], [1, 0, 0]], ['a', 'b']), { bootstrap: false, calibrationBins: 4, minGroupSize: 7 });
    expect(plain).toMatchObject({ rows: 2, totalWeight: 2, weighted: false, hasScores: false, calibrationBins: 4, minGroupSize: 7 });
  });

  it('describes each group: levels, rows, weight, size flags and the reference', () => {
    expect(grouping().groups.map((r) => [r.group, r.levels, r.rows, r.weight, r.smallGroup, r.includedInComparisons, r.isReference])).toEqual([
      ['a', { g: 'a' }, 2, 2, false, true, true], // first of the tied highest selection rates (.5, .5)
      ['b', { g: 'b' }, 2, 2, false, true, false],
      ['c', { g: 'c' }, 1, 0, false, true, false],
    ]);
    expect(grouping()).toMatchObject({ name: 'g', attributes: ['g'], referenceGroup: 'a', referenceRule: 'highest-selection-rate', includesSmallGroups: false, smallGroups: [] });
  });

  it('gives a zero-weight group no rates, each with the reason', () => {
    for (const estimate of Object.values(groupOf(grouping(), 'c').metrics)) expect(estimate).toEqual({ value: null, reason: 'the group has no rows (or zero total weight)' });
  });

  it('computes ECE per group and compares only groups with defined rates', () => {
    // a: bins 9 (y=1, s=.9) and 1 (y=0, s=.1): (.1 + .1)/2 = .1; b: bins 2 (y=1, s=.2) and 8 (y=0, s=.8): (.8 + .8)/2 = .8.
    expect(groupOf(grouping(), 'a').metrics.expectedCalibrationError.value).toBeCloseTo(0.1, 12);
    expect(groupOf(grouping(), 'b').metrics.expectedCalibrationError.value).toBeCloseTo(0.8, 12);
    expect(grouping().disparities.calibrationDifference).toEqual({ value: expect.closeTo(0.7, 12), groupsCompared: ['a', 'b'] });
    expect(grouping().disparities.demographicParityDifference).toEqual({ value: 0, groupsCompared: ['a', 'b'] });
    // Disparate impact compares the groups other than the reference.
    expect(grouping().disparities.disparateImpactRatio).toEqual({ value: 1, groupsCompared: ['b'] });
    expect(grouping().disparities.equalizedOddsDifference).toEqual({ value: 1, groupsCompared: ['a', 'b'] }); // TPR 1 vs 0, FPR 0 vs 1
    expect(grouping().fourFifthsRule).toEqual({ threshold: 0.8, ratio: 1, passed: true });
  });
});

describe('assessFairness reasons for undefined values', () => {
  it('says when nobody is selected: no ratio, no disparate impact, no precision', () => {
    const report = assessFairness(rowsInput([[0, 1, 0], [0, 0, 0], [1, 1, 0], [1, 0, 0]], ['a', 'b']), { minGroupSize: 1, bootstrap: false });
    const g = report.groupings[0]!;
    expect(g.referenceGroup).toBe('a');
    expect(g.disparities.demographicParityDifference.value).toBe(0);
    expect(g.disparities.demographicParityRatio).toEqual({ value: null, reason: 'no compared group has a positive selection rate', groupsCompared: ['a', 'b'] });
    // No group has a defined impact ratio, so none is compared; the reason is the reference's rate of 0.
    expect(g.disparities.disparateImpactRatio).toEqual({ value: null, reason: 'the reference group a has selection rate 0', groupsCompared: [] });
    expect(groupOf(g, 'b').metrics.disparateImpact).toEqual({ value: null, reason: 'the reference group a has selection rate 0' });
    expect(groupOf(g, 'a').metrics.precision).toEqual({ value: null, reason: 'no predicted positives in the group (TP + FP = 0)' });
    expect(g.disparities.predictiveParityDifference).toEqual({ value: null, reason: 'fewer than two compared groups have a defined value (0)', groupsCompared: [] });
    expect(g.fourFifthsRule).toEqual({ threshold: 0.8, ratio: null, passed: null });
  });

  it('says when there is no reference group (every group too small to compare)', () => {
    const g = assessFairness(rowsInput([[0, 1, 1], [1, 0, 1]], ['a', 'b']), { bootstrap: false }).groupings[0]!;
    expect(g.referenceGroup).toBeNull();
    expect(g.groups.every((r) => !r.isReference && r.smallGroup && !r.includedInComparisons)).toBe(true);
    expect(groupOf(g, 'a').metrics.disparateImpact).toEqual({ value: null, reason: 'no reference group' });
    expect(g.disparities.disparateImpactRatio).toEqual({ value: null, reason: 'no reference group', groupsCompared: [] });
    expect(groupOf(g, 'a').metrics.falsePositiveRate).toEqual({ value: null, reason: 'no actual negatives in the group (FP + TN = 0)' });
    expect(groupOf(g, 'b').metrics.falseNegativeRate).toEqual({ value: null, reason: 'no actual positives in the group (TP + FN = 0)' });
  });

  it('says when the reference is the only compared group', () => {
    // a has 3 rows, b 1: with a minimum of 2 rows only a is compared, and a is the reference.
    const g = assessFairness(rowsInput([[0, 1, 1], [0, 0, 0], [0, 1, 0], [1, 1, 1]], ['a', 'b']), { minGroupSize: 2, bootstrap: false }).groupings[0]!;
    expect(g.referenceGroup).toBe('a');
    expect(g.smallGroups).toEqual(['b']);
    expect(groupOf(g, 'b')).toMatchObject({ smallGroup: true, includedInComparisons: false, rows: 1 });
    expect(g.disparities.disparateImpactRatio).toEqual({ value: null, reason: 'no other compared group has a defined selection rate', groupsCompared: [] });
    expect(g.disparities.demographicParityDifference).toEqual({ value: null, reason: 'fewer than two compared groups have a defined value (1)', groupsCompared: ['a'] });
    // A small group still gets its own rates, against the reference: b selects 1/1, a 1/3.
    expect(groupOf(g, 'b').metrics.disparateImpact.value).toBeCloseTo(3, 12);
  });

  it('takes the reference group with the highest selection rate among compared groups', () => {
    // b selects 2/3, a 1/3, c (too small to compare) 1/1.
    const g = assessFairness(
      rowsInput([[0, 1, 1], [0, 0, 0], [0, 1, 0], [1, 1, 1], [1, 0, 1], [1, 0, 0], [2, 1, 1]], ['a', 'b', 'c']),
      { minGroupSize: 2, bootstrap: false },
    ).groupings[0]!;
    expect(g.referenceGroup).toBe('b');
    expect(groupOf(g, 'a').metrics.disparateImpact.value).toBeCloseTo(0.5, 12);
    expect(g.disparities.disparateImpactRatio.value).toBeCloseTo(0.5, 12);
    expect(g.disparities.disparateImpactRatio.groupsCompared).toEqual(['a']);
  });

  it('uses a given reference group even when it selects nobody', () => {
    const g = assessFairness(rowsInput([[0, 1, 1], [0, 0, 0], [1, 1, 0], [1, 0, 0]], ['a', 'b']), { minGroupSize: 1, bootstrap: false, referenceGroups: { g: 'b' } }).groupings[0]!;
    expect(g).toMatchObject({ referenceGroup: 'b', referenceRule: 'given' });
    expect(groupOf(g, 'b').isReference).toBe(true);
    expect(g.disparities.disparateImpactRatio).toEqual({ value: null, reason: 'the reference group b has selection rate 0', groupsCompared: [] });
    expect(groupOf(g, 'a').metrics.disparateImpact).toEqual({ value: null, reason: 'the reference group b has selection rate 0' });
  });

  it('says when a given reference group has no weight', () => {
    const data = rowsInput([[0, 1, 1, 0, 1], [0, 0, 0, 0, 1], [1, 1, 1, 0, 0]], ['a', 'b'], { weights: true });
    const g = assessFairness(data, { minGroupSize: 1, bootstrap: false, referenceGroups: { g: 'b' } }).groupings[0]!;
    expect(g.disparities.disparateImpactRatio).toEqual({ value: null, reason: 'the reference group b has no rows (or zero total weight)', groupsCompared: [] });
    expect(groupOf(g, 'a').metrics.disparateImpact).toEqual({ value: null, reason: 'the reference group b has no rows (or zero total weight)' });
  });
});

describe('assessFairness options', () => {
  const input = rowsInput([[0, 1, 1], [0, 0, 0], [1, 1, 0], [1, 0, 1]], ['a', 'b']);

  it('refuses a bad calibration bin count, resample count, level or reference group', () => {
    for (const calibrationBins of [0, 1.5, NaN]) expect(reasonsOf(() => assessFairness(input, { calibrationBins, bootstrap: false }))).toEqual(['calibrationBins must be a positive integer']);
    for (const resamples of [0, 2.5]) expect(reasonsOf(() => assessFairness(input, { bootstrap: { resamples } }))).toEqual(['bootstrap resamples must be a positive integer']);
    for (const level of [0, 1, NaN]) expect(reasonsOf(() => assessFairness(input, { bootstrap: { resamples: 10, level } }))).toEqual(['bootstrap level must lie strictly between 0 and 1']);
    expect(reasonsOf(() => assessFairness(input, { bootstrap: false, referenceGroups: { g: 'z' } }))).toEqual(['reference group z not found in g']);
  });

  it('bins scores as asked and reports the intersections asked for', () => {
    // a: scores .9 (y=1) and .1 (y=0); b: .2 (y=1) and .8 (y=0). One bin: |Σy − Σs| / n = |1 − 1| / 2 = 0 for both.
    const scored = rowsInput([[0, 1, 1, 0.9], [0, 0, 0, 0.1], [1, 1, 0, 0.2], [1, 0, 1, 0.8]], ['a', 'b'], { scores: true });
    const one = assessFairness(scored, { minGroupSize: 1, bootstrap: false, calibrationBins: 1 });
    expect(one.calibrationBins).toBe(1);
    expect(one.groupings[0]!.groups.map((g) => g.metrics.expectedCalibrationError.value)).toEqual([0, 0]);
    // Two bins: a (|0 − .1| + |1 − .9|)/2 = .1, b (|1 − .2| + |0 − .8|)/2 = .8.
    const two = assessFairness(scored, { minGroupSize: 1, bootstrap: false, calibrationBins: 2 });
    expect(two.groupings[0]!.groups.map((g) => g.metrics.expectedCalibrationError.value)).toEqual([expect.closeTo(0.1, 14), expect.closeTo(0.8, 14)]);
    const twoAttributes = { ...scored, attributes: [...scored.attributes, { name: 'h', codes: Int32Array.of(0, 1, 0, 1), labels: ['x', 'y'] }] };
    expect(assessFairness(twoAttributes, { bootstrap: false, intersections: 'none' }).groupings.map((g) => g.name)).toEqual(['g', 'h']);
    expect(assessFairness(twoAttributes, { bootstrap: false }).groupings.map((g) => g.name)).toEqual(['g', 'h', 'g × h']);
    expect(assessFairness(twoAttributes, { bootstrap: false, minGroupSize: 1, referenceGroups: { 'g × h': 'g=b, h=y' } }).groupings[2]!.referenceGroup).toBe('g=b, h=y');
  });

  it('accepts one bin and one resample', () => {
    expect(assessFairness(input, { calibrationBins: 1, bootstrap: { resamples: 1 } }).bootstrap!.resamples).toBe(1);
  });

  it('bootstraps 1000 resamples at 95 % by default, from a fixed seed', () => {
    const report = assessFairness(input, { minGroupSize: 1 });
    expect(report.bootstrap).toEqual({ method: 'percentile', resampling: 'multinomial-over-cells', resamples: 1000, level: 0.95, effectiveRows: 4 });
    const ci = report.groupings[0]!.groups[0]!.metrics.selectionRate.ci!;
    expect(ci).toMatchObject({ level: 0.95, resamples: 1000 });
    expect(assessFairness(input, { minGroupSize: 1, bootstrap: { seed: 20240601 } })).toEqual(report);
    expect(assessFairness(input, { minGroupSize: 1, bootstrap: { random: createRandom(20240601) } })).toEqual(report);
    expect(assessFairness(input, { minGroupSize: 1, bootstrap: { seed: 1 } })).not.toEqual(report);
  });

  it('reports the effective size of weighted rows, rounded', () => {
    const weighted = { ...input, sampleWeight: Float64Array.of(1, 1, 1, 4) }; // 49 / 19 = 2.58 → 3
    expect(assessFairness(weighted, { bootstrap: { resamples: 3, level: 0.9 } }).bootstrap).toEqual({ method: 'percentile', resampling: 'multinomial-over-cells', resamples: 3, level: 0.9, effectiveRows: 3 });
  });

  it('puts each resampled statistic in its own column: constant statistics give point intervals', () => {
    // a: 20 rows y=1, ŷ=1; b: 20 rows y=0, ŷ=0; c: 20 rows y=1, ŷ=0. Every resample draws each group
    // (a group is missed with probability (2/3)^60), and every defined rate is the same in all of them.
    const rows: Row[] = [];
    for (let i = 0; i < 20; i++) rows.push([0, 1, 1], [1, 0, 0], [2, 1, 0]);
    const g = assessFairness(rowsInput(rows, ['a', 'b', 'c']), { minGroupSize: 1, bootstrap: { resamples: 40, level: 0.8, seed: 5 } }).groupings[0]!;
    const point = (v: number) => ({ lower: v, upper: v, level: 0.8, resamples: 40, undefinedResamples: 0 });
    const none = { lower: null, upper: null, level: 0.8, resamples: 40, undefinedResamples: 40 };
    const a = groupOf(g, 'a').metrics;
    const b = groupOf(g, 'b').metrics;
    const c = groupOf(g, 'c').metrics;
    expect([a.selectionRate.ci, a.accuracy.ci, a.truePositiveRate.ci, a.falsePositiveRate.ci, a.falseNegativeRate.ci, a.precision.ci, a.disparateImpact.ci]).toEqual([
      point(1), point(1), point(1), none, point(0), point(1), point(1),
    ]);
    expect([b.selectionRate.ci, b.accuracy.ci, b.truePositiveRate.ci, b.falsePositiveRate.ci, b.precision.ci, b.disparateImpact.ci]).toEqual([
      point(0), point(1), none, point(0), none, point(0),
    ]);
    expect([c.selectionRate.ci, c.accuracy.ci, c.truePositiveRate.ci, c.falseNegativeRate.ci]).toEqual([point(0), point(0), point(0), point(1)]);
    expect(a.expectedCalibrationError.ci).toEqual(none); // no scores
    const d = g.disparities;
    expect([d.demographicParityDifference.ci, d.demographicParityRatio.ci, d.disparateImpactRatio.ci, d.equalOpportunityDifference.ci, d.accuracyDifference.ci, d.predictiveParityDifference.ci]).toEqual([
      point(1), point(0), point(0), point(1), point(1), none,
    ]);
    expect(d.falsePositiveRateDifference.ci).toEqual(none); // only b has negatives
    expect(d.equalizedOddsDifference.ci).toEqual(none);
  });
});
