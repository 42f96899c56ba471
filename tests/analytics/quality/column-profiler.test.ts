import fc from 'fast-check';
import { quantileSorted } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { createColumnProfiler, numberFromText, type Cell } from '../../../src/analytics/quality/column-profiler.js';
import { mulberry32 } from '../../../src/analytics/seeded-random.js';

const profileOf = (name: string, cells: Cell[], options: Partial<Parameters<typeof createColumnProfiler>[1]> = {}) => {
  const profiler = createColumnProfiler(name, { random: mulberry32(1), ...options });
  for (const cell of cells) profiler.push(cell);
  expect(profiler.count).toBe(cells.length);
  return profiler.result();
};

describe('numberFromText', () => {
  it('equals Number(s) on plain decimals of up to 15 digits (its fast path) and beyond', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('', '-', '+'),
        fc.stringMatching(/^[0-9]{1,9}$/),
        fc.option(fc.stringMatching(/^[0-9]{0,9}$/)),
        (sign, whole, fraction) => {
          const s = `${sign}${whole}${fraction === null ? '' : `.${fraction}`}`;
          return Object.is(numberFromText(s), Number(s));
        },
      ),
      { numRuns: 2000 },
    );
    for (const s of ['66694.47', '0.1', '-0.5', '.5', '5.', '+7', '123456789012345', '1234567890123456', '1.5e3', '0x10', ' 42 '])
      expect(numberFromText(s), s).toBe(Number(s));
  });

  it('is NaN for what Number() refuses', () => {
    for (const s of ['abc', '1.2.3', '-', '.', '12abc', '--1']) expect(numberFromText(s), s).toBeNaN();
  });
});

describe('column profiler by hand', () => {
  it('reads the default missing tokens and blank strings as missing, and nothing else', () => {
    const r = profileOf('c', ['', 'NA', 'N/A', 'n/a', 'NaN', 'nan', 'null', 'NULL', 'None', 'none', '   ', '\t', null, undefined, NaN, 'Nope', 'NAN', 'x']);
    expect(r).toMatchObject({ count: 18, missing: 15, nullable: true });
    expect(r.missingRate).toBe(15 / 18);
    expect(r.typeCounts.string).toBe(3);
    expect(r.strings).toEqual({ count: 3, minLength: 1, maxLength: 4, meanLength: 8 / 3, emailCount: 0 });
  });

  it('uses the given missing tokens instead, including ones starting outside ASCII', () => {
    const r = profileOf('c', ['—', '?', 'NA', '', ' ', 'ok', 'é'], { missingTokens: ['—', '?'] });
    // '' is one of the default tokens (docs/drift-and-quality.md), so here it is a value; a blank
    // string stays missing; 'NA' is a value; 'é' starts outside ASCII but is not a token.
    expect(r.missing).toBe(3);
    expect(r.topValues!.map((t) => t.value).sort()).toEqual(['', 'NA', 'ok', 'é']);
  });

  it('types plain decimals as integer without a point and number with one; other numerals via classifyString', () => {
    const r = profileOf('x', ['+5', '-3.5', '.5', '5.', '1e3', '1234567890123456', '12', 7, 2.5, true, 'TRUE', 'false']);
    expect(r.typeCounts).toEqual({ integer: 4, number: 5, boolean: 3, date: 0, datetime: 0, string: 0 });
    // The numeric values: 5, −3.5, 0.5, 5, 1000, 1234567890123456, 12, 7, 2.5.
    const values = [5, -3.5, 0.5, 5, 1000, 1234567890123456, 12, 7, 2.5];
    expect(r.numeric!.count).toBe(9);
    expect(r.numeric!.sum).toBe(values.reduce((a, b) => a + b, 0));
    expect(r.numeric!.min).toBe(-3.5);
    expect(r.numeric!.max).toBe(1234567890123456);
    // Distinct keys: 5 (twice), −3.5, 0.5, 1000, 1234567890123456, 12, 7, 2.5, true (twice), false.
    expect(r.distinct).toBe(10);
    expect(r.topValues!.slice(0, 2)).toEqual([
      { value: '5', count: 2, maxError: 0 },
      { value: 'true', count: 2, maxError: 0 },
    ]);
  });

  it('computes mean, sample std, min, max, exact quantiles, histogram and both outlier counts on a small column', () => {
    // 1..20 and 100: mean 310/21; Q1 and Q3 by simple-statistics' rule.
    const values = [...Array.from({ length: 20 }, (_, i) => i + 1), 100];
    const r = profileOf('v', values.map(String), { histogramBins: 4 });
    const numeric = r.numeric!;
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));
    expect(numeric.mean).toBeCloseTo(mean, 12);
    expect(numeric.std).toBeCloseTo(std, 12);
    expect(numeric.quantilesExact).toBe(true);
    expect(numeric.rankError).toBe(0);
    const sorted = [...values].sort((a, b) => a - b);
    expect(numeric.quantiles).toEqual({
      p1: quantileSorted(sorted, 0.01),
      p5: quantileSorted(sorted, 0.05),
      p25: quantileSorted(sorted, 0.25),
      p50: quantileSorted(sorted, 0.5),
      p75: quantileSorted(sorted, 0.75),
      p95: quantileSorted(sorted, 0.95),
      p99: quantileSorted(sorted, 0.99),
    });
    const q1 = quantileSorted(sorted, 0.25);
    const q3 = quantileSorted(sorted, 0.75);
    expect(numeric.outliers.iqr).toEqual({ lowerFence: q1 - 1.5 * (q3 - q1), upperFence: q3 + 1.5 * (q3 - q1), count: 1, exact: true });
    // |z| > 3: only 100 (z ≈ 4.3).
    expect(numeric.outliers.zScore).toEqual({ threshold: 3, count: 1, exact: true });
    // Four bins of width 24.75 over [1, 100]: [1, 25.75) holds 1..20 (20 values), the last bin 100.
    expect(numeric.histogram).toEqual({ edges: [1, 25.75, 50.5, 75.25, 100], counts: [20, 0, 0, 1], exact: true });
  });

  it('counts outliers on both sides and values on a fence as inside', () => {
    // Q1 = 10, Q3 = 20 (simple-statistics on these 8 values) → fences −5 and 35, which are inside.
    const values = [-50, -5, 10, 10, 20, 20, 35, 90];
    const sorted = [...values].sort((a, b) => a - b);
    const q1 = quantileSorted(sorted, 0.25);
    const q3 = quantileSorted(sorted, 0.75);
    const lower = q1 - 1.5 * (q3 - q1);
    const upper = q3 + 1.5 * (q3 - q1);
    const r = profileOf('v', values);
    expect(r.numeric!.outliers.iqr).toMatchObject({ lowerFence: lower, upperFence: upper });
    expect(r.numeric!.outliers.iqr.count).toBe(values.filter((x) => x < lower || x > upper).length);
  });

  it('gives a constant column one histogram bin, std 0 and no z-score outliers; one value has no std', () => {
    const r = profileOf('k', [4, 4, 4]);
    expect(r.numeric!.std).toBe(0);
    expect(r.numeric!.histogram).toEqual({ edges: [4, 4], counts: [3], exact: true });
    expect(r.numeric!.outliers.zScore.count).toBe(0);
    expect(r.semantic).toEqual(['constant']);
    expect(profileOf('k', [4]).numeric!.std).toBeNaN();
    expect(profileOf('k', ['a', 'b']).numeric).toBeUndefined();
  });

  it('profiles strings: lengths, e-mail shapes, and the email hint from 90 % of values', () => {
    const emails = Array.from({ length: 9 }, (_, i) => `u${i}@example.org`);
    const r = profileOf('contact', [...emails, 'not-an-email', null]);
    expect(r.strings).toEqual({ count: 10, minLength: 12, maxLength: 14, meanLength: (9 * 14 + 12) / 10, emailCount: 9 });
    expect(r.semantic).toContain('email');
    // 8 of 10 is below 90 %.
    const fewer = profileOf('contact', [...emails.slice(0, 8), 'x', 'y']);
    expect(fewer.semantic).not.toContain('email');
    // "a@b" has an @ but no dot in its domain.
    expect(profileOf('c', ['a@b']).strings!.emailCount).toBe(0);
  });

  it('hints id only for a named, complete, all-distinct column', () => {
    const ids = Array.from({ length: 10 }, (_, i) => String(100 + i));
    for (const name of ['id', 'user_id', 'customer-key', 'userId', 'orderKey', 'uuid', 'id_card', 'GUID_x'.toLowerCase()]) {
      expect(profileOf(name, ids).semantic, name).toContain('id');
    }
    for (const name of ['idea', 'valid', 'paid', 'kid']) expect(profileOf(name, ids).semantic, name).not.toContain('id');
    expect(profileOf('id', [...ids, null]).semantic).not.toContain('id');
    expect(profileOf('id', [...ids, '100']).semantic).not.toContain('id');
  });

  it('hints category for few repeated values of a string, boolean or integer column', () => {
    const plans = Array.from({ length: 12 }, (_, i) => ['free', 'pro', 'team'][i % 3]!);
    expect(profileOf('plan', plans).semantic).toEqual(['category']);
    expect(profileOf('flag', [true, false, true, false]).semantic).toEqual(['category']);
    expect(profileOf('stars', [1, 2, 3, 1, 2, 3]).semantic).toEqual(['category']);
    // Half distinct is still a category (3 · 2 ≤ 6); more is not.
    expect(profileOf('plan', ['a', 'b', 'c', 'a', 'b', 'c']).semantic).toEqual(['category']);
    expect(profileOf('plan', ['a', 'b', 'c', 'd', 'a', 'b']).semantic).toEqual([]);
    // A real-valued column is not a category.
    expect(profileOf('x', [1.5, 2.5, 1.5, 2.5]).semantic).toEqual([]);
    // More distinct values than categoryMaxDistinct: not a category.
    expect(profileOf('plan', plans, { categoryMaxDistinct: 2 }).semantic).toEqual([]);
    expect(profileOf('plan', plans, { categoryMaxDistinct: 3 }).semantic).toEqual(['category']);
  });

  it('moves to HyperLogLog past distinctLimit, keeping heavy hitters only for mostly non-numeric keys', () => {
    const cells: Cell[] = [];
    for (let i = 0; i < 30; i++) cells.push('a');
    for (let i = 0; i < 20; i++) cells.push(`k${i}`);
    const r = profileOf('s', cells, { distinctLimit: 5, hllPrecision: 10, heavyHitterCapacity: 4, topValues: 2 });
    expect(r.distinctExact).toBe(false);
    expect(r.distinctStandardError).toBe(1.04 / 32);
    // 21 distinct values; HyperLogLog with m = 1024 is near exact here (linear counting).
    expect(Math.abs(r.distinct - 21)).toBeLessThanOrEqual(1);
    expect(r.topValuesExact).toBe(false);
    expect(r.topValues![0]).toEqual({ value: 'a', count: 30, maxError: 0 });
    expect(r.topValues).toHaveLength(2);
    // A numeric column past the limit: no heavy hitters.
    const numeric = profileOf('n', Array.from({ length: 20 }, (_, i) => i), { distinctLimit: 5, hllPrecision: 10 });
    expect(numeric.topValues).toBeUndefined();
    expect(numeric.distinctExact).toBe(false);
    expect(Math.abs(numeric.distinct - 20)).toBeLessThanOrEqual(1);
    // Exactly distinctLimit distinct values stay exact.
    expect(profileOf('n', [1, 2, 3, 4, 5, 1], { distinctLimit: 5 })).toMatchObject({ distinct: 5, distinctExact: true, distinctStandardError: 0 });
  });

  it('counts booleans and "true"/"false" strings as the same two keys', () => {
    const r = profileOf('b', [true, 'true', 'True', false, 'FALSE']);
    expect(r.distinct).toBe(2);
    expect(r.type).toBe('boolean');
    expect(r.topValues).toEqual([
      { value: 'true', count: 3, maxError: 0 },
      { value: 'false', count: 2, maxError: 0 },
    ]);
  });

  it('reports an empty column as such', () => {
    const r = profileOf('e', [null, '', 'NA']);
    expect(r).toMatchObject({ count: 3, missing: 3, distinct: 0, type: 'empty', semantic: [], conforming: 0, topValues: [] });
    expect(r.numeric).toBeUndefined();
    expect(r.strings).toBeUndefined();
    expect(createColumnProfiler('z', { random: mulberry32(1) }).result()).toMatchObject({ count: 0, missingRate: 0, nullable: false });
  });
});
