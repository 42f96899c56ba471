import { describe, expect, it } from 'vitest';
import { mean, quantileSorted, sampleStandardDeviation } from 'simple-statistics';
import { createColumnProfiler } from '../../../src/analytics/quality/column-profiler.js';
import { createDatasetProfiler } from '../../../src/analytics/quality/dataset-profiler.js';
import { qualityIssues } from '../../../src/analytics/quality/quality-issues.js';
import { qualityScore } from '../../../src/analytics/quality/quality-score.js';
import { mulberry32 } from '../../../src/analytics/seeded-random.js';
import { classifyString, inferColumnType } from '../../../src/analytics/quality/type-inference.js';

describe('type inference', () => {
  it('classifies strings', () => {
    expect(['42', '-7', '3.14', '1e-3', 'true', 'FALSE', '2024-02-29', '2023-02-29', '2024-01-05T10:20:30Z', '2024-01-05 10:20', 'abc', '12abc'].map(classifyString)).toEqual([
      'integer',
      'integer',
      'number',
      'number',
      'boolean',
      'boolean',
      'date',
      'string',
      'datetime',
      'datetime',
      'string',
      'string',
    ]);
  });

  it('widens within a family and reports mixed families', () => {
    expect(inferColumnType({ integer: 5, number: 1, boolean: 0, date: 0, datetime: 0, string: 0 }).type).toBe('number');
    const mixed = inferColumnType({ integer: 95, number: 0, boolean: 0, date: 0, datetime: 0, string: 5 });
    expect(mixed).toMatchObject({ type: 'integer', mixedTypes: true, conforming: 95 });
    expect(inferColumnType({ integer: 50, number: 0, boolean: 0, date: 0, datetime: 0, string: 50 }).type).toBe('string');
  });
});

describe('column profiler', () => {
  it('computes hand-checked statistics on a small column', () => {
    const p = createColumnProfiler('x', { random: mulberry32(1) });
    for (const v of ['1', '2', '2', '3', '', null, '100']) p.push(v);
    const r = p.result();
    expect(r).toMatchObject({ count: 7, missing: 2, distinct: 4, distinctExact: true, type: 'integer', nullable: true });
    // values 1, 2, 2, 3, 100: mean 21.6, sample variance Σ(x-21.6)² = 424.36 + 2·384.16 + 345.96 + 6146.56 = 7685.2
    expect(r.numeric!.mean).toBeCloseTo(21.6, 12);
    expect(r.numeric!.std).toBeCloseTo(Math.sqrt(7685.2 / 4), 10);
    expect(r.numeric!.min).toBe(1);
    expect(r.numeric!.max).toBe(100);
    // simple-statistics quantiles: Q1 = 2, Q3 = 3 → fences 0.5 and 4.5, one outlier (100)
    expect(r.numeric!.outliers.iqr).toMatchObject({ lowerFence: 0.5, upperFence: 4.5, count: 1, exact: true });
    expect(r.numeric!.histogram.counts.reduce((a, b) => a + b, 0)).toBe(5);
    expect(r.topValues![0]).toEqual({ value: '2', count: 2, maxError: 0 });
  });

  it('equals simple-statistics on the exact path', () => {
    const random = mulberry32(9);
    const values = Array.from({ length: 5000 }, () => random() * 10 - 3);
    const p = createColumnProfiler('v', { random: mulberry32(1) });
    for (const v of values) p.push(v);
    const r = p.result().numeric!;
    const sorted = [...values].sort((a, b) => a - b);
    expect(r.mean).toBeCloseTo(mean(values), 12);
    expect(r.std).toBeCloseTo(sampleStandardDeviation(values), 12);
    for (const [k, q] of [
      ['p1', 0.01],
      ['p25', 0.25],
      ['p50', 0.5],
      ['p99', 0.99],
    ] as const)
      expect(r.quantiles[k]).toBe(quantileSorted(sorted, q));
    const z = values.filter((x) => Math.abs(x - mean(values)) > 3 * sampleStandardDeviation(values)).length;
    expect(r.outliers.zScore.count).toBe(z);
  });

  it('switches to sketches past its bounds and stays within the stated errors on 1e6 values', () => {
    const random = mulberry32(5);
    const p = createColumnProfiler('v', { random: mulberry32(2), exactQuantileLimit: 100_000 });
    const n = 1_000_000;
    const all = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      all[i] = Math.floor(random() * 400_000);
      p.push(all[i]!);
    }
    const r = p.result();
    all.sort();
    let distinct = 0;
    for (let i = 0; i < n; i++) if (i === 0 || all[i] !== all[i - 1]) distinct++;
    expect(r.distinctExact).toBe(false);
    expect(Math.abs(r.distinct / distinct - 1)).toBeLessThan(3 * r.distinctStandardError);
    expect(r.numeric!.quantilesExact).toBe(false);
    const median = r.numeric!.quantiles.p50!;
    let rank = 0;
    while (rank < n && all[rank]! <= median) rank++;
    expect(Math.abs(rank / n - 0.5)).toBeLessThan(r.numeric!.rankError);
    expect(r.numeric!.histogram.counts.reduce((a, b) => a + b, 0)).toBeCloseTo(n, -2);
    expect(r.topValues).toBeUndefined();
  });

  it('hints id, email, category and date', () => {
    const prof = createDatasetProfiler(['customer_id', 'email', 'plan', 'signup']);
    for (let i = 0; i < 200; i++) prof.pushRow([String(1000 + i), `user${i}@example.com`, ['free', 'pro', 'team'][i % 3]!, `2024-01-${String((i % 28) + 1).padStart(2, '0')}`]);
    const cols = prof.result().columns;
    expect(cols[0]!.semantic).toContain('id');
    expect(cols[1]!.semantic).toContain('email');
    expect(cols[2]!.semantic).toContain('category');
    expect(cols[3]!.semantic).toContain('date');
    expect(cols[3]!.type).toBe('date');
  });
});

describe('dataset profiler, score and issues', () => {
  const build = () => {
    const prof = createDatasetProfiler(['id', 'age', 'country', 'contact', 'flag']);
    const rows: (string | number | null)[][] = [];
    for (let i = 0; i < 100; i++) rows.push([i, i % 10 === 0 ? null : 20 + (i % 30), i % 2 ? 'FR' : 'DE', `p${i}@mail.org`, 'x']);
    // row 5 is [5, 25, 'FR', 'p5@mail.org', 'x']: two exact copies of it
    rows.push([5, 25, 'FR', 'p5@mail.org', 'x'], [5, 25, 'FR', 'p5@mail.org', 'x']);
    rows.push([200, 'unknown', 'DE', 'p200@mail.org', 'x']);
    for (const r of rows) prof.pushRow(r);
    return prof.result();
  };

  it('counts duplicate rows exactly and missing cells', () => {
    const p = build();
    expect(p.rows).toBe(103);
    expect(p.duplicates).toMatchObject({ count: 2, exact: true });
    expect(p.missingCells).toBe(10);
    expect(p.columns[1]!.mixedTypes).toBe(true);
  });

  it('scores by the documented formula', () => {
    const p = build();
    const s = qualityScore(p);
    expect(s.components.completeness).toBeCloseTo(1 - 10 / 515, 15);
    expect(s.components.uniqueness).toBeCloseTo(1 - 2 / 103, 15);
    expect(s.components.validity).toBeCloseTo(1 - 1 / 505, 15);
    const expected = 100 * (0.4 * s.components.completeness + 0.2 * s.components.uniqueness + 0.3 * s.components.validity + 0.1 * s.components.consistency);
    expect(s.score).toBeCloseTo(expected, 12);
    expect(s.score).toBeGreaterThan(0);
    expect(s.score).toBeLessThanOrEqual(100);
  });

  it('raises issues with severities', () => {
    const issues = qualityIssues(build());
    const codes = issues.map((i) => `${i.code}:${i.column ?? ''}:${i.severity}`);
    expect(codes).toContain('high_duplicate_rate::low');
    expect(codes).toContain('high_missing_rate:age:medium');
    expect(codes).toContain('constant_column:flag:medium');
    expect(codes).toContain('mixed_types:age:medium');
    expect(codes).toContain('possible_pii:contact:high');
  });

  it('accepts typed column chunks with the same result as rows', () => {
    const a = createDatasetProfiler(['x', 'y']);
    const b = createDatasetProfiler(['x', 'y']);
    const xs = Float64Array.of(1, 2, Number.NaN, 2);
    const ys = ['a', 'b', 'c', 'b'];
    for (let i = 0; i < 4; i++) a.pushRow([Number.isNaN(xs[i]!) ? null : xs[i]!, ys[i]!]);
    b.pushColumns([xs, ys]);
    const ra = a.result();
    const rb = b.result();
    expect(rb.duplicates.count).toBe(1);
    expect(rb.columns[0]!.numeric!.mean).toBe(ra.columns[0]!.numeric!.mean);
    expect(rb.columns[0]!.missing).toBe(1);
  });
});
