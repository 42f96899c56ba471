import { describe, expect, it } from 'vitest';
import { createDriftDetector, datasetDrift } from '../../../src/analytics/drift/dataset-drift.js';
import type { ColumnSample } from '../../../src/analytics/drift/column-drift.js';

const numeric = (values: number[]): ColumnSample => ({ kind: 'numeric', values });
const same = numeric([1, 2, 3, 4, 5, 6, 7]);
const shifted = numeric([101, 102, 103, 104, 105, 106, 107]);

describe('datasetDrift', () => {
  it('declares drift when the drifted share reaches driftShare, leaving skipped columns out', () => {
    const columns = [
      { name: 'a', reference: same, current: shifted },
      { name: 'b', reference: same, current: same },
      { name: 'c', reference: same, current: numeric([NaN]) },
    ];
    const r = datasetDrift(columns);
    expect(r.columns.map((c) => [c.column, c.drifted, c.skipped])).toEqual([
      ['a', true, undefined],
      ['b', false, undefined],
      ['c', false, 'empty sample'],
    ]);
    expect(r).toMatchObject({ numberOfColumns: 2, numberOfDriftedColumns: 1, shareOfDriftedColumns: 0.5, driftShare: 0.5, datasetDrift: true });
    expect(datasetDrift(columns, { driftShare: 0.51 }).datasetDrift).toBe(false);
  });

  it('is no drift when no column could be tested', () => {
    const r = datasetDrift([{ name: 'c', reference: same, current: numeric([]) }], { driftShare: 0 });
    expect(r).toMatchObject({ numberOfColumns: 0, numberOfDriftedColumns: 0, shareOfDriftedColumns: 0, datasetDrift: false });
  });

  it('merges per-column options over the defaults, thresholds key by key', () => {
    const columns = [
      { name: 'a', reference: same, current: shifted },
      { name: 'b', reference: same, current: shifted },
    ];
    const r = datasetDrift(columns, {
      defaults: { test: 'psi', thresholds: { psi: 1e9, ks: 0.5 } },
      columns: { b: { test: 'ks', thresholds: { wasserstein: 3 } } },
    });
    expect(r.columns.map((c) => [c.test, c.threshold, c.drifted])).toEqual([
      ['psi', 1e9, false],
      ['ks', 0.5, true],
    ]);
  });
});

describe('createDriftDetector', () => {
  const specs = [
    { name: 'x', kind: 'numeric' as const },
    { name: 'k', kind: 'categorical' as const },
  ];

  it('reads cells as CSV would give them: numbers, numeric strings, booleans; blanks and junk are missing', () => {
    const detector = createDriftDetector(specs);
    for (const row of [[1, 'a'], ['2.5', 'b'], [true, true], [false, 1], ['', ''], [null, null], [undefined, undefined], ['abc', 'a'], [NaN, 'b'], [Infinity, 'a']] as const) detector.pushReference(row);
    for (const row of [[1, 'a'], [2, 'a']] as const) detector.pushCurrent(row);
    const [x, k] = detector.result({ defaults: { test: 'psi' } }).columns;
    // x: 1, 2.5, 1, 0 tested; '', null, undefined, 'abc', NaN, Infinity missing.
    expect(x).toMatchObject({ column: 'x', referenceSize: 4, referenceMissing: 6, currentSize: 2 });
    // k: 'a' ×3, 'b' ×2, 'true', '1'; three blanks ('', null, undefined) missing.
    expect(k).toMatchObject({ column: 'k', referenceSize: 7, currentSize: 2, referenceMissing: 3, currentMissing: 0, distinctValues: 4 });
    expect(k!.psiCategories!.map((c) => [c.category, c.reference])).toEqual([
      ['a', 3 / 7],
      ['b', 2 / 7],
      ['true', 1 / 7],
      ['1', 1 / 7],
    ]);
  });

  it('takes whole numeric columns, counting non-finite values as missing, and refuses other columns', () => {
    const detector = createDriftDetector(specs);
    detector.pushReferenceColumn(0, Float64Array.of(1, 2, Infinity, NaN, 3));
    detector.pushCurrentColumn(0, [4, -Infinity]);
    const [x] = detector.result().columns;
    expect(x).toMatchObject({ referenceSize: 3, referenceMissing: 2, currentSize: 1, currentMissing: 1 });
    expect(() => detector.pushReferenceColumn(1, [1])).toThrow(new RangeError('column 1 is not numeric'));
    expect(() => detector.pushCurrentColumn(7, [1])).toThrow(new RangeError('column 7 is not numeric'));
  });

  it('lets a request override the detector options, thresholds key by key', () => {
    const detector = createDriftDetector([{ name: 'x', kind: 'numeric' }], { driftShare: 0.9, defaults: { test: 'psi', thresholds: { psi: 5, ks: 0.2 } }, columns: { x: { psiBins: 4 } } });
    for (let i = 0; i < 20; i++) detector.pushReference([i]);
    for (let i = 0; i < 20; i++) detector.pushCurrent([i + 10]);
    const base = detector.result();
    expect(base).toMatchObject({ driftShare: 0.9, datasetDrift: false });
    expect(base.columns[0]).toMatchObject({ test: 'psi', threshold: 5 });
    expect(base.columns[0]!.psiBins).toHaveLength(4);
    const request = detector.result({ driftShare: 0.5, defaults: { test: 'ks', thresholds: { psi: 0 } } });
    expect(request.driftShare).toBe(0.5);
    expect(request.columns[0]).toMatchObject({ test: 'ks', threshold: 0.2 });
    const requestColumns = detector.result({ columns: { x: { test: 'psi', threshold: 0 } } });
    expect(requestColumns.columns[0]).toMatchObject({ test: 'psi', threshold: 0, drifted: true });
    expect(requestColumns.columns[0]!.psiBins).toHaveLength(10); // the request's column options replace the detector's
  });
});
