import { describe, expect, it } from 'vitest';
import type { ColumnSample } from '../../../src/analytics/drift/column-drift.js';
import { createDriftDetector, datasetDrift } from '../../../src/analytics/drift/dataset-drift.js';

// Expected numbers are worked by hand (comments); KS p-values of samples that do not overlap are
// 2/C(n+m, n) for n = m (only the two extreme lattice paths reach D = 1).

const numeric = (values: ArrayLike<number>): ColumnSample => ({ kind: 'numeric', values });
const categorical = (entries: [string, number][]): ColumnSample => ({ kind: 'categorical', counts: new Map(entries) });

const low = numeric([4, 1, 7, 2, 6, 3, 5]);
// 1..7 against 101..107: D = 1, p = 2/C(14, 7) = 2/3432 ≈ 5.8e-4.
const high = numeric([107, 101, 106, 102, 105, 103, 104]);

/** Two drifted columns, one not, one skipped: the share is 2/3. */
const fourColumns = [
  { name: 'zeta', reference: low, current: high },
  // a b c 10 each against 5 each: expected 5 5 5 = observed, χ² = 0, p = 1.
  { name: 'alpha', reference: categorical([['a', 10], ['b', 10], ['c', 10]]), current: categorical([['c', 5], ['a', 5], ['b', 5]]) },
  // Share of the non-first category y: 10/40 against 30/40, pooled ½:
  // z = (¼ - ¾)/√(½·½·(1/40 + 1/40)) = -½·√80 = -√20, p ≈ 8e-6.
  { name: 'mid', reference: categorical([['x', 30], ['y', 10]]), current: categorical([['x', 10], ['y', 30]]) },
  { name: 'gone', reference: numeric([Number.NaN]), current: numeric([1, 2]) },
];

describe('datasetDrift worked by hand', () => {
  it('keeps the input order and names, and takes the drifted share over the tested columns only', () => {
    const r = datasetDrift(fourColumns);
    expect(r.columns.map((c) => [c.column, c.test, c.drifted, c.skipped])).toEqual([
      ['zeta', 'ks', true, undefined],
      ['alpha', 'chisquare', false, undefined],
      ['mid', 'z', true, undefined],
      ['gone', 'z', false, 'empty sample'],
    ]);
    expect(r.columns[0]!.score).toBeCloseTo(2 / 3432, 15);
    expect(r.columns[1]!.score).toBeCloseTo(1, 14);
    expect(r.columns[2]!.statistic).toBeCloseTo(-Math.sqrt(20), 12);
    expect(r).toMatchObject({ numberOfColumns: 3, numberOfDriftedColumns: 2, driftShare: 0.5, datasetDrift: true });
    expect(r.shareOfDriftedColumns).toBe(2 / 3);
  });

  it('declares dataset drift at share ≥ driftShare', () => {
    expect(datasetDrift(fourColumns, { driftShare: 2 / 3 })).toMatchObject({ driftShare: 2 / 3, datasetDrift: true });
    expect(datasetDrift(fourColumns, { driftShare: 0.67 })).toMatchObject({ driftShare: 0.67, datasetDrift: false });
    const all = datasetDrift([fourColumns[0]!, fourColumns[2]!], { driftShare: 1 });
    expect(all).toMatchObject({ numberOfColumns: 2, numberOfDriftedColumns: 2, shareOfDriftedColumns: 1, datasetDrift: true });
    const none = datasetDrift([fourColumns[1]!, fourColumns[3]!], { driftShare: 0 });
    // 0 of 1 tested column drifted: share 0 ≥ 0.
    expect(none).toMatchObject({ numberOfColumns: 1, numberOfDriftedColumns: 0, shareOfDriftedColumns: 0, datasetDrift: true });
  });

  it('reports no drift and a share of 0 for an empty column list', () => {
    expect(datasetDrift([])).toStrictEqual({ columns: [], numberOfColumns: 0, numberOfDriftedColumns: 0, shareOfDriftedColumns: 0, driftShare: 0.5, datasetDrift: false });
  });

  it('applies defaults to every column and per-column options over them, key by key', () => {
    const columns = [
      { name: 'a', reference: low, current: high },
      { name: 'b', reference: low, current: high },
    ];
    // p = 2/3432 ≈ 5.83e-4: drifted at 1e-3, not at 1e-4.
    const r = datasetDrift(columns, { defaults: { thresholds: { ks: 1e-3, psi: 7 } }, columns: { b: { thresholds: { ks: 1e-4 } }, nobody: { test: 'wasserstein' } } });
    expect(r.columns.map((c) => [c.column, c.test, c.threshold, c.drifted])).toEqual([
      ['a', 'ks', 1e-3, true],
      ['b', 'ks', 1e-4, false],
    ]);
    expect(r).toMatchObject({ numberOfColumns: 2, numberOfDriftedColumns: 1, shareOfDriftedColumns: 0.5, datasetDrift: true });
    // The psi threshold of the defaults survives b's own thresholds.
    const psi = datasetDrift(columns, { defaults: { test: 'psi', psiBins: 4, thresholds: { psi: 7 } }, columns: { b: { thresholds: { ks: 1e-4 }, psiBins: 2 } } });
    expect(psi.columns.map((c) => [c.test, c.threshold, c.psiBins!.length])).toEqual([
      ['psi', 7, 4],
      ['psi', 7, 2],
    ]);
    // A scalar threshold of a column wins over the defaults' threshold.
    const scalar = datasetDrift(columns, { defaults: { threshold: 0.5 }, columns: { a: { threshold: 1e-9 } } });
    expect(scalar.columns.map((c) => [c.threshold, c.drifted])).toEqual([
      [1e-9, false],
      [0.5, true],
    ]);
    // A column's per-test thresholds win over the defaults' scalar threshold (which still applies
    // to the tests the column does not name, and over the defaults' per-test thresholds).
    const mixed = datasetDrift([...columns, { name: 'c', reference: low, current: high }], {
      defaults: { threshold: 1e-3, thresholds: { ks: 0.9 } },
      columns: { a: { thresholds: { ks: 1e-4 } }, c: { thresholds: { psi: 0.2 } } },
    });
    expect(mixed.columns.map((c) => [c.column, c.threshold, c.drifted])).toEqual([
      ['a', 1e-4, false],
      ['b', 1e-3, true],
      ['c', 1e-3, true],
    ]);
  });
});

describe('createDriftDetector worked by hand', () => {
  it('counts NaN and absent cells of a categorical column as missing, never as categories', () => {
    const detector = createDriftDetector([
      { name: 'x', kind: 'numeric' },
      { name: 'k', kind: 'categorical' },
    ]);
    for (const row of [[1, 'a'], [2, 'b'], [3, Number.NaN], [4], [Number.NaN, 'a']]) detector.pushReference(row);
    for (const row of [[5, 'a'], [6, 'b'], [7, 'b'], [8, 'a']]) detector.pushCurrent(row);
    const r = detector.result();
    const [x, k] = r.columns;
    // x: 1..4 against 5..8, D = 1, p = 2/C(8, 4) = 2/70.
    expect(x).toMatchObject({ column: 'x', test: 'ks', referenceSize: 4, referenceMissing: 1, currentSize: 4, drifted: true });
    expect(x!.score).toBeCloseTo(2 / 70, 14);
    // k: reference a 2, b 1; current a 2, b 2. Shares of b: 1/3 and 1/2, pooled 3/7:
    // z = (1/3 - 1/2)/√(3/7 · 4/7 · (1/3 + 1/4)) = (-1/6)/√(1/7) = -√7/6.
    expect(k).toMatchObject({ column: 'k', test: 'z', referenceSize: 3, currentSize: 4, distinctValues: 2, drifted: false });
    expect(k!.statistic).toBeCloseTo(-Math.sqrt(7) / 6, 12);
    expect(r).toMatchObject({ numberOfColumns: 2, numberOfDriftedColumns: 1, shareOfDriftedColumns: 0.5, datasetDrift: true });

    // Rows pushed after a result are in the next one: a third category turns k to chi-square.
    detector.pushCurrent([9, 'c']);
    const [x2, k2] = detector.result().columns;
    expect(x2).toMatchObject({ currentSize: 5, referenceSize: 4 });
    expect(k2).toMatchObject({ test: 'chisquare', distinctValues: 3, currentSize: 5 });
  });

  it('appends whole numeric columns after pushed rows', () => {
    const detector = createDriftDetector([{ name: 'x', kind: 'numeric' }]);
    detector.pushReference([2]);
    detector.pushReferenceColumn(0, [1, Number.NaN, 4, 3]);
    detector.pushCurrentColumn(0, Float64Array.of(6, 8));
    detector.pushCurrent(['7']);
    detector.pushCurrent([5]);
    // Reference 1..4 (one NaN), current 5..8: D = 1, p = 2/70 ≤ 0.05.
    const [x] = detector.result().columns;
    expect(x).toMatchObject({ referenceSize: 4, referenceMissing: 1, currentSize: 4, currentMissing: 0, statistic: 1, drifted: true });
  });
});
