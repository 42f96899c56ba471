import { describe, expect, it } from 'vitest';
import { createColumnProfiler, numberFromText, type Cell, type ColumnProfilerOptions } from '../../../src/analytics/quality/column-profiler.js';
import { createDatasetProfiler } from '../../../src/analytics/quality/dataset-profiler.js';
import { kllRankError } from '../../../src/analytics/quality/kll-sketch.js';
import { mulberry32 } from '../../../src/analytics/seeded-random.js';

// Hand-worked cases for the column profiler's edges. Hash-dependent expectations (HyperLogLog after
// the exact bound) were checked with an independent Python implementation of murmur-hash.ts's
// lanes (see murmur-hash.cases.test.ts), which places every key of those cases in its own register.

const profileOf = (name: string, cells: Cell[], options: Partial<ColumnProfilerOptions> = {}) => {
  const profiler = createColumnProfiler(name, { random: mulberry32(1), ...options });
  for (const cell of cells) profiler.push(cell);
  return profiler.result();
};

describe('numberFromText on malformed decimals', () => {
  it('refuses a second point even when the first one leads', () => {
    // Number('.5.') and Number('..5') are NaN: at most one point.
    expect(numberFromText('.5.')).toBeNaN();
    expect(numberFromText('..5')).toBeNaN();
    expect(profileOf('c', ['.5.', '..5'])).toMatchObject({ typeCounts: { integer: 0, number: 0, string: 2 } });
    expect(profileOf('c', ['.5.']).numeric).toBeUndefined();
  });
});

describe('missing values', () => {
  it('reads the empty string as missing with the default tokens, and a string that only starts blank as a value', () => {
    const r = profileOf('c', ['', ' x', '\tx', 'x ']);
    expect(r.missing).toBe(1);
    expect(r.strings).toEqual({ count: 3, minLength: 2, maxLength: 2, meanLength: 2, emailCount: 0 });
  });

  it('finds a missing token whose first character is U+0080, the first one outside ASCII', () => {
    const r = profileOf('c', ['\u0080', '\u0080x', '\u00ff', 'x'], { missingTokens: ['\u0080'] });
    // Only the exact token is missing; '\u0080x' starts like it but is a value.
    expect(r.missing).toBe(1);
    expect(r.distinct).toBe(3);
  });

  it('finds a non-ASCII token and still the empty string when it is a given token', () => {
    const r = profileOf('c', ['—', '', 'a'], { missingTokens: ['—', ''] });
    expect(r.missing).toBe(2);
    expect(r.topValues).toEqual([{ value: 'a', count: 1, maxError: 0 }]);
  });
});

describe('string and date columns', () => {
  it('keeps the shortest and longest length whatever the order', () => {
    // Lengths 3, 1, 2: min 1 (not the last seen, 2), max 3 (the first seen), mean 2.
    expect(profileOf('s', ['abc', 'a', 'ab']).strings).toEqual({ count: 3, minLength: 1, maxLength: 3, meanLength: 2, emailCount: 0 });
  });

  it('does not count dates and datetimes as strings, and hints them as dates', () => {
    const dates = profileOf('d', ['2024-01-05', '2024-02-29', '2023-12-31']);
    expect(dates).toMatchObject({ type: 'date', semantic: ['date'], distinct: 3 });
    expect(dates.strings).toBeUndefined();
    const datetimes = profileOf('t', ['2024-01-05T10:20:30Z', '2024-01-05 10:20']);
    expect(datetimes).toMatchObject({ type: 'datetime', semantic: ['date'], distinct: 2 });
    expect(datetimes.strings).toBeUndefined();
  });

  it('does not hint category for an e-mail column with few distinct addresses', () => {
    // 10 addresses, 2 distinct: 2 · 2 ≤ 10 would make a category, but e-mails are excluded.
    const r = profileOf('contact', [...Array<string>(5).fill('a@x.org'), ...Array<string>(5).fill('b@x.org')]);
    expect(r.semantic).toEqual(['email']);
  });
});

describe('numeric statistics by hand', () => {
  it('gives the sample variance with ddof = 1', () => {
    // 1, 2, 6: mean 3, squared deviations 4 + 1 + 9 = 14, variance 14 / 2 = 7.
    const r = profileOf('x', [1, 2, 6]).numeric!;
    expect(r.mean).toBe(3);
    expect(r.sampleVariance).toBe(7);
    expect(r.std).toBe(Math.sqrt(7));
  });

  it('has no z-score outlier in a one-value column (std undefined)', () => {
    const r = profileOf('x', [5]).numeric!;
    expect(r.std).toBeNaN();
    expect(r.sampleVariance).toBeNaN();
    expect(r.outliers.zScore).toEqual({ threshold: 3, count: 0, exact: true });
  });

  it('has no z-score outlier when the std underflows to 0', () => {
    // 0 and 5e-324: the true z-scores are ±1/√2, so nothing lies beyond 3 std; in doubles the mean
    // (2.5e-324) rounds to 0 and the squared deviations to 0, so the std reads 0.
    const r = profileOf('x', [0, Number.MIN_VALUE]).numeric!;
    expect(r.outliers.zScore.count).toBe(0);
  });

  it('ends the histogram exactly at max even when min + bins · width rounds below it', () => {
    // 0.1, 0.5, 1 in 3 bins: width 0.9 / 3 = 0.3, and 0.1 + 3 · 0.3 = 0.9999999999999999 in doubles.
    expect(0.1 + 3 * ((1 - 0.1) / 3)).not.toBe(1);
    const r = profileOf('x', [0.1, 0.5, 1], { histogramBins: 3 }).numeric!;
    expect(r.histogram.edges).toHaveLength(4);
    expect(r.histogram.edges[0]).toBe(0.1);
    expect(r.histogram.edges[3]).toBe(1);
    // [0.1, 0.4) holds 0.1, [0.4, 0.7) holds 0.5, the last bin holds 1.
    expect(r.histogram.counts).toEqual([1, 1, 1]);
  });

  it('passes exactQuantileLimit and kllK to the quantile summary', () => {
    // 10 values past an exact limit of 4: the KLL sketch with k = 8 answers, with its rank error.
    const r = profileOf('x', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], { exactQuantileLimit: 4, kllK: 8 }).numeric!;
    expect(r.quantilesExact).toBe(false);
    expect(r.rankError).toBeCloseTo(2.446 / 8 ** 0.9433, 12);
    expect(r.rankError).toBe(kllRankError(8));
    // mean, min and max do not depend on the sketch.
    expect([r.count, r.mean, r.min, r.max]).toEqual([10, 5.5, 1, 10]);
  });

  it('leaves the numeric profile out of a column without numbers', () => {
    const r = profileOf('s', ['a', 'b']);
    expect(Object.keys(r)).not.toContain('numeric');
    expect(Object.keys(r)).toContain('strings');
  });
});

describe('counts, types and hints', () => {
  it('counts non-missing cells apart from all cells', () => {
    expect(profileOf('x', [1, null, 'NA', 2])).toMatchObject({ count: 4, nonMissingCount: 2, missing: 2 });
  });

  it('uses the given type dominance', () => {
    // 6 integers and 4 strings: the numeric family holds 0.6 ≥ 0.5, under the default 0.9.
    const cells = ['1', '2', '3', '4', '5', '6', 'a', 'b', 'c', 'd'];
    expect(profileOf('x', cells, { typeDominance: 0.5 })).toMatchObject({ type: 'integer', mixedTypes: true, conforming: 6 });
    expect(profileOf('x', cells)).toMatchObject({ type: 'string', mixedTypes: true, conforming: 6 });
  });

  it('gives an empty column named id no hint', () => {
    expect(profileOf('id', []).semantic).toEqual([]);
    expect(profileOf('id', [null, '']).semantic).toEqual([]);
  });

  it('hints id only while distinct values are exact', () => {
    // 20 distinct numbers past distinctLimit 5: HyperLogLog with m = 2^18 registers; the 20 hashes
    // fill 20 registers, so linear counting gives m · ln(m / (m − 20)) ≈ 20.0008 → 20 = the count,
    // yet an estimate does not prove every value distinct.
    const r = profileOf(
      'id',
      Array.from({ length: 20 }, (_, i) => 100 + i),
      { distinctLimit: 5, hllPrecision: 18 },
    );
    expect(r).toMatchObject({ distinct: 20, distinctExact: false, nonMissingCount: 20 });
    expect(r.semantic).toEqual([]);
  });
});

describe('top values', () => {
  it('orders exact top values by count, ties in order of first appearance', () => {
    const r = profileOf('s', ['z', 'y', 'y', 'x', 'x', 'x', 'w', 'w', 'v']);
    expect(r.topValuesExact).toBe(true);
    expect(r.topValues).toEqual([
      { value: 'x', count: 3, maxError: 0 },
      { value: 'y', count: 2, maxError: 0 },
      { value: 'w', count: 2, maxError: 0 },
      { value: 'z', count: 1, maxError: 0 },
      { value: 'v', count: 1, maxError: 0 },
    ]);
    expect(profileOf('s', ['z', 'y', 'y', 'x', 'x', 'x'], { topValues: 1 }).topValues).toEqual([{ value: 'x', count: 3, maxError: 0 }]);
  });

  it('overflows at the distinctLimit-th + 1 new value, not before', () => {
    expect(profileOf('n', [1, 2, 3, 4, 5, 6], { distinctLimit: 5 })).toMatchObject({ distinctExact: false, topValuesExact: false });
  });

  it('seeds Space-Saving with the largest exact counts, up to its capacity', () => {
    // Exact counts at the overflow (distinctLimit 3): c 1, b 2, a 4. With capacity 2 the seeds are
    // a 4 and b 2; then d replaces the smallest counter, b: count 2 + 1 = 3, error 2.
    const cells: Cell[] = ['c', 'b', 'b', 'a', 'a', 'a', 'a', 'd'];
    const r = profileOf('s', cells, { distinctLimit: 3, heavyHitterCapacity: 2 });
    expect(r.topValuesExact).toBe(false);
    expect(r.topValues).toEqual([
      { value: 'a', count: 4, maxError: 0 },
      { value: 'd', count: 3, maxError: 2 },
    ]);
  });

  it('keeps heavy hitters only when fewer than half of the keys are numbers', () => {
    // At the overflow the keys are 1 and 'a': half numeric, so no heavy hitters.
    const half = profileOf('s', [1, 'a', 'b'], { distinctLimit: 2 });
    expect(half.distinctExact).toBe(false);
    expect(half.topValues).toBeUndefined();
    // Keys 'a', 'b', 1: one third numeric, so heavy hitters.
    const third = profileOf('s', ['a', 'b', 1, 'c'], { distinctLimit: 3 });
    expect(third.topValues!.map((t) => t.value)).toEqual(['a', 'b', '1', 'c']);
  });

  it('hashes true and false apart once distinct values are estimated', () => {
    // distinctLimit 1: false overflows. Their hashes fall in registers 921 and 739 of 1024, so
    // linear counting gives 1024 · ln(1024 / 1022) ≈ 2.002 → 2.
    const r = profileOf('b', [true, false], { distinctLimit: 1, hllPrecision: 10 });
    expect(r).toMatchObject({ distinct: 2, distinctExact: false });
  });
});

describe('whitespace-only cells, as the dataset profiler counts them', () => {
  it('are missing whatever Unicode whitespace they hold; the empty string only as a token', () => {
    // String.prototype.trim's whitespace: U+00A0 (no-break space), U+3000 (ideographic space),
    // U+FEFF (byte order mark), U+2028 (line separator). Not whitespace: U+200B (zero width space).
    const cells = ['\u00a0', '\u3000 ', '\ufeff', ' \u2028', '\u200b', 'a\u00a0', ''];
    const r = profileOf('c', cells, { missingTokens: ['NA'] });
    // The first four; '' is a value here, its token not being given (docs/drift-and-quality.md).
    expect(r.missing).toBe(4);
    expect(r.strings?.count).toBe(3);
    // The dataset profiler agrees, cell by cell: a row of one of these cells has a missing cell.
    for (const [i, cell] of cells.entries()) {
      const dataset = createDatasetProfiler(['c'], { missingTokens: ['NA'] });
      dataset.pushRow([cell]);
      const profile = dataset.result();
      expect(profile.missingCells, `cell ${i}`).toBe(profile.rowsWithMissing);
    }
  });
});
