import { describe, expect, it } from 'vitest';
import { columnDrift, defaultDriftTest, DriftTestNotApplicable } from '../../../src/analytics/drift/column-drift.js';
import { createDriftDetector } from '../../../src/analytics/drift/dataset-drift.js';
import { mulberry32 } from '../../../src/analytics/seeded-random.js';

const counts = (entries: [string, number][]) => new Map(entries);

describe('default test choice (Evidently)', () => {
  it('picks KS / chi-square / z for small references and Wasserstein / Jensen–Shannon for large ones', () => {
    expect(defaultDriftTest('numeric', 1000, 100)).toBe('ks');
    expect(defaultDriftTest('numeric', 1001, 100)).toBe('wasserstein');
    expect(defaultDriftTest('numeric', 500, 4)).toBe('chisquare');
    expect(defaultDriftTest('numeric', 5000, 4)).toBe('jensenshannon');
    expect(defaultDriftTest('categorical', 1000, 3)).toBe('chisquare');
    expect(defaultDriftTest('categorical', 1000, 2)).toBe('z');
    expect(defaultDriftTest('categorical', 1001, 2)).toBe('jensenshannon');
  });
});

describe('column drift', () => {
  it('flags a shifted numeric column by KS and reports PSI', () => {
    const ref = Float64Array.from({ length: 300 }, (_, i) => i);
    const cur = Float64Array.from({ length: 300 }, (_, i) => i + 90);
    const r = columnDrift({ kind: 'numeric', values: ref }, { kind: 'numeric', values: cur });
    expect(r.test).toBe('ks');
    expect(r.statistic).toBeCloseTo(0.3, 12);
    expect(r.drifted).toBe(true);
    expect(r.psi).toBeGreaterThan(0.1);
    expect(r.psiBins).toHaveLength(10);
  });

  it('uses normalised Wasserstein above 1000 reference rows, honouring overrides', () => {
    const ref = Float64Array.from({ length: 2000 }, (_, i) => i % 2); // std 0.5
    const cur = Float64Array.from({ length: 2000 }, (_, i) => (i % 2) + 0.04);
    const r = columnDrift({ kind: 'numeric', values: ref }, { kind: 'numeric', values: cur }, { test: 'wasserstein' });
    expect(r.score).toBeCloseTo(0.08, 12);
    expect(r.drifted).toBe(false);
    expect(columnDrift({ kind: 'numeric', values: ref }, { kind: 'numeric', values: cur }, { test: 'wasserstein', threshold: 0.05 }).drifted).toBe(true);
  });

  it('runs chi-square on categories with Evidently expected counts', () => {
    const r = columnDrift(
      { kind: 'categorical', counts: counts([['a', 25], ['b', 25], ['c', 50]]) },
      { kind: 'categorical', counts: counts([['a', 30], ['b', 20], ['c', 50]]) },
    );
    expect(r.test).toBe('chisquare');
    expect(r.statistic).toBeCloseTo(2, 12);
    expect(r.score).toBeCloseTo(Math.exp(-1), 12);
    expect(r.drifted).toBe(false);
  });

  it('uses Jensen–Shannon (base 2) for large categorical references', () => {
    const r = columnDrift({ kind: 'categorical', counts: counts([['x', 2000]]) }, { kind: 'categorical', counts: counts([['y', 10]]) });
    expect(r.test).toBe('jensenshannon');
    expect(r.score).toBeCloseTo(1, 12);
    expect(r.drifted).toBe(true);
  });

  it('refuses numeric-only tests on categorical columns', () => {
    expect(() => columnDrift({ kind: 'categorical', counts: counts([['a', 1]]) }, { kind: 'categorical', counts: counts([['a', 1]]) }, { test: 'ks' })).toThrow(DriftTestNotApplicable);
  });
});

describe('dataset drift through the push API', () => {
  it('declares dataset drift when at least half the columns drift, configurable', () => {
    const random = mulberry32(7);
    const detector = createDriftDetector([
      { name: 'age', kind: 'numeric' },
      { name: 'income', kind: 'numeric' },
      { name: 'segment', kind: 'categorical' },
    ]);
    for (let i = 0; i < 800; i++) detector.pushReference([random() * 50, random() * 1000, random() < 0.5 ? 'a' : 'b']);
    for (let i = 0; i < 800; i++) detector.pushCurrent([random() * 50 + 20, random() * 1000, random() < 0.5 ? 'a' : 'b']);
    detector.pushCurrent([null, 'n/a', null]);
    const r = detector.result();
    expect(r.columns.map((c) => c.test)).toEqual(['ks', 'ks', 'z']);
    expect(r.columns.map((c) => c.drifted)).toEqual([true, false, false]);
    expect(r.columns[0]!.currentMissing).toBe(1);
    expect(r.columns[1]!.currentMissing).toBe(1);
    expect(r.shareOfDriftedColumns).toBeCloseTo(1 / 3, 15);
    expect(r.datasetDrift).toBe(false);
    expect(detector.result({ driftShare: 0.3 }).datasetDrift).toBe(true);
    expect(detector.result({ columns: { income: { test: 'psi', threshold: 0 } } }).numberOfDriftedColumns).toBe(2);
  });
});
