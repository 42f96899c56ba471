import { describe, expect, it } from 'vitest';
import { cellIndex } from '../../../src/analytics/fairness/confusion-cells.js';
import { createGroupTallies, GROUP_METRICS, groupRates, tallyGroups } from '../../../src/analytics/fairness/group-metrics.js';

// Two finest cells, two score bins. Cell 0: TP ×2 in bin 1 (score sum 1.6), FP ×1 in bin 0 (.3).
// Cell 1: FN ×1 in bin 0 (.4), TN ×3 in bin 0 (.9 in all), TP ×1 in bin 1 (.9).
const bins = 2;
const mass = new Float64Array(2 * 4 * bins);
const scoreMass = new Float64Array(2 * 4 * bins);
const put = (c: number, t: number, p: number, b: number, m: number, s: number) => {
  mass[cellIndex(c, t, p, b, bins)] = m;
  scoreMass[cellIndex(c, t, p, b, bins)] = s;
};
put(0, 1, 1, 1, 2, 1.6);
put(0, 0, 1, 0, 1, 0.3);
put(1, 1, 0, 0, 1, 0.4);
put(1, 0, 0, 0, 3, 0.9);
put(1, 1, 1, 1, 1, 0.9);

const rateOf = (rates: Float64Array, G: number, metric: (typeof GROUP_METRICS)[number], g: number) => rates[GROUP_METRICS.indexOf(metric) * G + g]!;

describe('group tallies and rates', () => {
  it('sums the cells of one group: confusion counts, positives and scores per bin', () => {
    const tallies = createGroupTallies(1, bins, true);
    tallyGroups(mass, scoreMass, 2, bins, Int32Array.of(0, 0), tallies);
    expect([tallies.tp[0], tallies.fn[0], tallies.fp[0], tallies.tn[0]]).toEqual([3, 1, 1, 3]);
    expect(Array.from(tallies.binPositives!)).toEqual([1, 3]);
    expect(Array.from(tallies.binScores!)).toEqual([expect.closeTo(1.6, 14), expect.closeTo(2.5, 14)]);
    // Tallying again into the same buffers starts from zero.
    tallyGroups(mass, scoreMass, 2, bins, Int32Array.of(0, 0), tallies);
    expect([tallies.tp[0], tallies.fn[0], tallies.fp[0], tallies.tn[0]]).toEqual([3, 1, 1, 3]);
    expect(Array.from(tallies.binPositives!)).toEqual([1, 3]);

    const rates = new Float64Array(GROUP_METRICS.length);
    groupRates(tallies, 0, rates);
    // n = 8: selection 4/8, accuracy 6/8, TPR 3/4, FPR 1/4, FNR 1/4, precision 3/4;
    // ECE = (|1 − 1.6| + |3 − 2.5|) / 8 = 1.1 / 8.
    expect(Array.from(rates)).toEqual([0.5, 0.75, 0.75, 0.25, 0.25, 0.75, expect.closeTo(1.1 / 8, 14), 1]);
  });

  it('keeps groups apart and takes disparate impact against the reference', () => {
    const tallies = createGroupTallies(2, bins, true);
    tallyGroups(mass, scoreMass, 2, bins, Int32Array.of(0, 1), tallies);
    const rates = new Float64Array(GROUP_METRICS.length * 2);
    groupRates(tallies, 0, rates);
    // Group 0: TP 2, FP 1 → selection 1, accuracy 2/3, TPR 1, FPR 1, FNR 0, precision 2/3, ECE (.3 + .4)/3.
    // Group 1: TP 1, FN 1, TN 3 → selection 1/5, accuracy 4/5, TPR 1/2, FPR 0, FNR 1/2, precision 1, ECE (|1 − 1.3| + |1 − .9|)/5.
    const column = (g: number) => GROUP_METRICS.map((m) => rateOf(rates, 2, m, g));
    expect(column(0)).toEqual([1, 2 / 3, 1, 1, 0, 2 / 3, expect.closeTo(0.7 / 3, 14), 1]);
    expect(column(1)).toEqual([0.2, 0.8, 0.5, 0, 0.5, 1, expect.closeTo(0.4 / 5, 14), 0.2]);
    groupRates(tallies, 1, rates);
    expect([rateOf(rates, 2, 'disparateImpact', 0), rateOf(rates, 2, 'disparateImpact', 1)]).toEqual([5, 1]);
    groupRates(tallies, -1, rates);
    expect([rateOf(rates, 2, 'disparateImpact', 0), rateOf(rates, 2, 'disparateImpact', 1)]).toEqual([NaN, NaN]);
  });

  it('leaves ECE undefined without scores, and every rate for a group without weight', () => {
    const tallies = createGroupTallies(2, 1, false);
    expect(tallies.binPositives).toBeNull();
    expect(tallies.binScores).toBeNull();
    // Without score bins: one bin per cell (bins = 1), masses of cell 0 only; group 1 gets nothing.
    const plain = Float64Array.of(0, 1, 0, 2, 0, 0, 0, 0);
    tallyGroups(plain, null, 2, 1, Int32Array.of(0, 0), tallies);
    const rates = new Float64Array(GROUP_METRICS.length * 2);
    groupRates(tallies, 0, rates);
    expect(rateOf(rates, 2, 'expectedCalibrationError', 0)).toBeNaN();
    expect(rateOf(rates, 2, 'selectionRate', 0)).toBe(1); // FP 1, TP 2
    expect(GROUP_METRICS.map((m) => rateOf(rates, 2, m, 1)).every(Number.isNaN)).toBe(true);
    expect(createGroupTallies(3, 4, true).binScores).toHaveLength(12);
    // Score tallies given no score sums count the confusion cells and leave the bins empty.
    const scored = createGroupTallies(1, 2, true);
    tallyGroups(mass, null, 2, 2, Int32Array.of(0, 0), scored);
    expect([scored.tp[0], scored.fn[0], scored.fp[0], scored.tn[0]]).toEqual([3, 1, 1, 3]);
    expect(Array.from(scored.binScores!)).toEqual([0, 0]);
    expect(Array.from(scored.binPositives!)).toEqual([0, 0]);
  });
});
