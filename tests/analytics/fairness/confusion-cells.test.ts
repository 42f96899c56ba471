import { describe, expect, it } from 'vitest';
import { forEachCellResample } from '../../../src/analytics/fairness/bootstrap-intervals.js';
import { cellIndex, scoreBin, tallyConfusionCells } from '../../../src/analytics/fairness/confusion-cells.js';
import type { ClassificationInput } from '../../../src/analytics/fairness/fairness-input.js';
import { compactCombine } from '../../../src/analytics/fairness/intersection-groups.js';
import { createRandom } from '../../../src/analytics/fairness/seeded-random.js';

// Five rows, two groups. Group 0: (y=1, ŷ=1, s=.95) (y=0, ŷ=1, s=.15) (y=0, ŷ=0, s=0);
// group 1: (y=1, ŷ=0, s=1) (y=1, ŷ=0, s=.5).
const input = (extra: Partial<ClassificationInput> = {}): ClassificationInput => ({
  yTrue: Uint8Array.of(1, 0, 0, 1, 1),
  yPred: Uint8Array.of(1, 1, 0, 0, 0),
  attributes: [{ name: 'g', codes: Int32Array.of(0, 0, 0, 1, 1), labels: ['a', 'b'] }],
  ...extra,
});
const finestOf = (i: ClassificationInput) => compactCombine([i.attributes[0]!.codes], [2], i.yTrue.length);

describe('cell layout', () => {
  it('indexes cells as ((c·2 + yTrue)·2 + yPred)·bins + bin', () => {
    expect(cellIndex(0, 0, 0, 0, 1)).toBe(0);
    expect(cellIndex(1, 1, 0, 0, 1)).toBe(6);
    expect(cellIndex(2, 1, 1, 3, 10)).toBe(113); // ((4 + 1)·2 + 1)·10 + 3
  });

  it('bins scores in equal-width bins, 1 falling in the last', () => {
    expect(scoreBin(0, 10)).toBe(0);
    expect(scoreBin(0.0999, 10)).toBe(0);
    expect(scoreBin(0.25, 4)).toBe(1);
    expect(scoreBin(0.95, 10)).toBe(9);
    expect(scoreBin(1, 10)).toBe(9);
    expect(scoreBin(0.7, 1)).toBe(0);
  });
});

describe('tallyConfusionCells', () => {
  it('counts rows per (group, yTrue, yPred) without scores', () => {
    const cells = tallyConfusionCells(input(), finestOf(input()), 10);
    expect(cells.bins).toBe(1);
    expect(cells.scoreMass).toBeNull();
    // Group 0: cell (0,0,0)=0 one row, (0,1,1)=3 one row, (0,0,1)=1 one row; group 1: (1,1,0)=6 two rows.
    expect(Array.from(cells.mass)).toEqual([1, 1, 0, 1, 0, 0, 2, 0]);
    expect(Array.from(cells.rowsPerIntersection)).toEqual([3, 2]);
    expect(cells).toMatchObject({ intersections: 2, rows: 5, totalMass: 5, effectiveRows: 5 });
  });

  it('adds weights and score sums in score bins, and Kish’s effective size', () => {
    const weighted = input({ yScore: Float64Array.of(0.95, 0.15, 0, 1, 0.5), sampleWeight: Float64Array.of(1, 1, 1, 1, 4) });
    const cells = tallyConfusionCells(weighted, finestOf(weighted), 2);
    expect(cells.bins).toBe(2);
    const at = (c: number, t: number, p: number, b: number) => cells.mass[cellIndex(c, t, p, b, 2)];
    const scoreAt = (c: number, t: number, p: number, b: number) => cells.scoreMass![cellIndex(c, t, p, b, 2)];
    expect([at(0, 1, 1, 1), at(0, 0, 1, 0), at(0, 0, 0, 0), at(1, 1, 0, 1)]).toEqual([1, 1, 1, 5]);
    expect(cells.mass.reduce((s, m) => s + m, 0)).toBe(8);
    expect([scoreAt(0, 1, 1, 1), scoreAt(0, 0, 1, 0), scoreAt(1, 1, 0, 1)]).toEqual([0.95, 0.15, 1 + 4 * 0.5]);
    // (Σw)²/Σw² = 64 / 20.
    expect(cells).toMatchObject({ rows: 5, totalMass: 8, effectiveRows: 3.2 });
    expect(Array.from(cells.rowsPerIntersection)).toEqual([3, 2]);
  });

  it('gives an effective size of 0 when every weight is 0', () => {
    const zero = input({ sampleWeight: new Float64Array(5) });
    expect(tallyConfusionCells(zero, finestOf(zero), 10)).toMatchObject({ totalMass: 0, effectiveRows: 0 });
  });
});

describe('forEachCellResample', () => {
  it('draws round(effective rows) rows and scales them back to the total weight, keeping cell mean scores', () => {
    const weighted = input({ yScore: Float64Array.of(0.95, 0.15, 0, 1, 0.5), sampleWeight: Float64Array.of(1, 1, 1, 1, 4) });
    const cells = tallyConfusionCells(weighted, finestOf(weighted), 2);
    const seen: number[] = [];
    forEachCellResample(cells, 50, createRandom(3), (mass, scoreMass, r) => {
      seen.push(r);
      // round(3.2) = 3 draws, each worth 8/3 of the weight.
      expect(mass.reduce((s, m) => s + m, 0)).toBeCloseTo(8, 12);
      for (let k = 0; k < mass.length; k++) {
        expect(Math.round((mass[k]! * 3) / 8)).toBeCloseTo((mass[k]! * 3) / 8, 9);
        if (cells.mass[k] === 0) expect(mass[k]).toBe(0);
      }
      // Cell (group 1, y=1, ŷ=0, bin 1) has mean score 3/5.
      const k = cellIndex(1, 1, 0, 1, 2);
      expect(scoreMass![k]).toBeCloseTo(mass[k]! * 0.6, 12);
      const k0 = cellIndex(0, 0, 0, 0, 2); // mean score 0
      expect(scoreMass![k0]).toBe(0);
      // Cells without rows get no score (not 0 · an undefined mean).
      for (let j = 0; j < mass.length; j++) if (cells.mass[j] === 0) expect(scoreMass![j]).toBe(0);
    });
    expect(seen).toEqual(Array.from({ length: 50 }, (_, r) => r));
  });

  it('resamples unweighted rows as counts, without scores', () => {
    const cells = tallyConfusionCells(input(), finestOf(input()), 10);
    let total = 0;
    forEachCellResample(cells, 200, createRandom(4), (mass, scoreMass) => {
      expect(scoreMass).toBeNull();
      expect(mass.reduce((s, m) => s + m, 0)).toBe(5);
      for (const m of mass) expect(Number.isInteger(m)).toBe(true);
      total += mass[6]!;
    });
    // The cell with 2 of 5 rows has mean 2 per resample; sd of the mean over 200 resamples ≈ √(5·.4·.6/200) ≈ .077.
    expect(Math.abs(total / 200 - 2)).toBeLessThan(0.4);
  });

  it('draws nothing when the total weight is zero', () => {
    const zero = input({ sampleWeight: new Float64Array(5) });
    const cells = tallyConfusionCells(zero, finestOf(zero), 10);
    forEachCellResample(cells, 3, createRandom(5), (mass) => expect(Array.from(mass)).toEqual(new Array(8).fill(0)));
  });
});
