import { quantileSorted } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { hashLanes, hashNumber, hashString } from '../../../src/analytics/quality/murmur-hash.js';
import { createQuantileSummary } from '../../../src/analytics/quality/quantile-summary.js';
import { classifyString, EMAIL, emptyTypeCounts, inferColumnType, type TypeCounts } from '../../../src/analytics/quality/type-inference.js';
import { mulberry32 } from '../../../src/analytics/seeded-random.js';

describe('classifyString, case by case', () => {
  const cases: Array<[string, string]> = [
    ['0', 'integer'],
    ['+5', 'integer'],
    ['-0012', 'integer'],
    ['.5', 'number'],
    ['5.', 'number'],
    ['-1.5E+3', 'number'],
    ['1e', 'string'],
    ['+', 'string'],
    ['.', 'string'],
    ['', 'string'],
    ['2024-12-31', 'date'],
    ['2024-04-30', 'date'],
    ['2024-04-31', 'string'],
    ['2024-13-01', 'string'],
    ['2024-00-10', 'string'],
    ['2024-01-00', 'string'],
    ['2000-02-29', 'date'], // divisible by 400: leap
    ['1900-02-29', 'string'], // divisible by 100 only: not leap
    ['2024-02-29', 'date'],
    ['2023-02-28', 'date'],
    ['2024-1-5', 'string'],
    ['2024-01-05T23:59:59.123456789+02:00', 'datetime'],
    ['2024-01-05T00:00Z', 'datetime'],
    ['2024-01-05 10:20:30-0500', 'datetime'],
    ['2024-01-05T24:00', 'string'],
    ['2024-01-05T10:60', 'string'],
    ['2024-02-30T10:00', 'string'],
    ['true', 'boolean'],
    ['tRUE', 'boolean'],
    ['False', 'boolean'],
    ['FALSE', 'boolean'],
    ['T', 'string'],
    ['yes', 'string'],
    ['truey', 'string'],
    ['hello', 'string'],
  ];
  it.each(cases)('%s → %s', (text, type) => expect(classifyString(text)).toBe(type));
});

describe('inferColumnType', () => {
  const counts = (c: Partial<TypeCounts>): TypeCounts => ({ ...emptyTypeCounts(), ...c });

  it('is empty without values', () => {
    expect(inferColumnType(emptyTypeCounts())).toEqual({ type: 'empty', mixedTypes: false, conforming: 0, dominantFamily: 'none' });
  });

  it('takes the narrowest type of the family: integer, number, date, datetime, boolean, string', () => {
    expect(inferColumnType(counts({ integer: 3 }))).toEqual({ type: 'integer', mixedTypes: false, conforming: 3, dominantFamily: 'numeric' });
    expect(inferColumnType(counts({ integer: 3, number: 1 })).type).toBe('number');
    expect(inferColumnType(counts({ date: 4 }))).toEqual({ type: 'date', mixedTypes: false, conforming: 4, dominantFamily: 'temporal' });
    expect(inferColumnType(counts({ date: 4, datetime: 1 })).type).toBe('datetime');
    expect(inferColumnType(counts({ boolean: 2 }))).toEqual({ type: 'boolean', mixedTypes: false, conforming: 2, dominantFamily: 'boolean' });
    expect(inferColumnType(counts({ string: 2 }))).toEqual({ type: 'string', mixedTypes: false, conforming: 2, dominantFamily: 'string' });
  });

  it('keeps the dominant family at exactly the dominance share, falls back to string below it', () => {
    expect(inferColumnType(counts({ integer: 90, boolean: 10 }))).toEqual({ type: 'integer', mixedTypes: true, conforming: 90, dominantFamily: 'numeric' });
    expect(inferColumnType(counts({ integer: 89, boolean: 11 }))).toEqual({ type: 'string', mixedTypes: true, conforming: 89, dominantFamily: 'numeric' });
    expect(inferColumnType(counts({ date: 6, string: 4 }), 0.6).type).toBe('date');
    expect(inferColumnType(counts({ date: 6, string: 4 }), 0.61).type).toBe('string');
  });

  it('breaks a tie between families in the order numeric, boolean, temporal, string', () => {
    expect(inferColumnType(counts({ integer: 5, string: 5 })).dominantFamily).toBe('numeric');
    expect(inferColumnType(counts({ boolean: 5, date: 5 })).dominantFamily).toBe('boolean');
    expect(inferColumnType(counts({ datetime: 5, string: 5 })).dominantFamily).toBe('temporal');
  });
});

describe('EMAIL shape', () => {
  it('wants local@domain.tld without blanks', () => {
    for (const ok of ['a@b.co', 'first.last+tag@sub.example.org']) expect(EMAIL.test(ok), ok).toBe(true);
    for (const bad of ['a@b', 'a b@c.de', '@b.co', 'a@.co', 'a@b.', 'a@@b.co']) expect(EMAIL.test(bad), bad).toBe(false);
  });
});

describe('value hashes', () => {
  const lanesOfString = (s: string, tag?: number) => {
    hashString(s, tag);
    return `${hashLanes[0]}:${hashLanes[1]}`;
  };
  const lanesOfNumber = (x: number, tag?: number) => {
    hashNumber(x, tag);
    return `${hashLanes[0]}:${hashLanes[1]}`;
  };

  it('gives every short string its own 64-bit hash, whatever its length parity', () => {
    // All strings of length 0..3 over {a, b, \0, é}: 85 strings, no two alike (a collision is ≈ 2^-52 likely).
    const alphabet = ['a', 'b', '\0', 'é'];
    const strings = [''];
    for (let len = 1; len <= 3; len++) for (const prefix of strings.filter((s) => s.length === len - 1)) for (const c of alphabet) strings.push(prefix + c);
    expect(strings).toHaveLength(85);
    expect(new Set(strings.map((s) => lanesOfString(s))).size).toBe(85);
    expect(lanesOfString('ab')).toBe(lanesOfString('ab'));
    expect(lanesOfString('ab', 0)).toBe(lanesOfString('ab'));
    expect(lanesOfString('ab', 1)).not.toBe(lanesOfString('ab'));
  });

  it('hashes numbers by value: −0 as 0, every NaN alike, the tag separating kinds', () => {
    expect(lanesOfNumber(-0)).toBe(lanesOfNumber(0));
    expect(lanesOfNumber(Number.NaN)).toBe(lanesOfNumber(0 / 0));
    expect(lanesOfNumber(1)).toBe(lanesOfNumber(1, 1));
    expect(lanesOfNumber(1, 2)).not.toBe(lanesOfNumber(1));
    const seen = new Set<string>();
    for (let i = 0; i < 20000; i++) seen.add(lanesOfNumber(i / 7));
    expect(seen.size).toBe(20000);
    expect(lanesOfNumber(0)).not.toBe(lanesOfNumber(Number.NaN));
    expect(lanesOfNumber(2 ** 32)).not.toBe(lanesOfNumber(1));
  });

  it('mixes well: flipping one input changes about half of the 64 output bits', () => {
    const bits = (x: number) => {
      let c = 0;
      for (let v = x >>> 0; v; v &= v - 1) c++;
      return c;
    };
    let flipped = 0;
    const trials = 2000;
    for (let i = 0; i < trials; i++) {
      hashNumber(i);
      const a0 = hashLanes[0]!;
      const a1 = hashLanes[1]!;
      hashNumber(i + 1);
      flipped += bits(a0 ^ hashLanes[0]!) + bits(a1 ^ hashLanes[1]!);
    }
    expect(Math.abs(flipped / trials - 32)).toBeLessThan(1);
  });
});

describe('quantile summary', () => {
  it('is exact up to its limit (simple-statistics quantiles, ranks ≤ and <) and a KLL sketch past it', () => {
    const summary = createQuantileSummary(mulberry32(1), { exactLimit: 2000 });
    expect(summary.quantile(0.5)).toBeNaN();
    expect(summary.rank(0)).toBeNaN();
    expect(summary.rankBelow(0)).toBeNaN();
    const values: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const x = (i * 7) % 1000; // 0..999, each twice
      values.push(x);
      summary.push(x);
    }
    const sorted = [...values].sort((a, b) => a - b);
    expect(summary).toMatchObject({ n: 2000, exact: true, rankError: 0 });
    for (const q of [0, 0.01, 0.25, 0.5, 0.9, 1]) expect(summary.quantile(q)).toBe(quantileSorted(sorted, q));
    expect(summary.rank(499)).toBe(0.5);
    expect(summary.rankBelow(499)).toBe(0.499);
    expect(summary.rankBelow(0)).toBe(0);
    expect(summary.rank(999)).toBe(1);
    expect(Array.from(summary.sortedValues()!)).toEqual(sorted);
    // One more value passes the limit: every value goes into the sketch.
    summary.push(1000);
    expect(summary).toMatchObject({ n: 2001, exact: false });
    expect(summary.rankError).toBeGreaterThan(0);
    expect(summary.sortedValues()).toBeUndefined();
    expect(Math.abs(summary.rank(499) - 1000 / 2001)).toBeLessThan(summary.rankError);
    // Below x: the sketch is asked just under x, so a value equal to x does not count.
    expect(summary.rankBelow(0)).toBe(0);
    expect(summary.rank(1000)).toBe(1);
    expect(summary.rankBelow(1e9)).toBe(1);
    expect(Math.abs(summary.quantile(0.5) - 500)).toBeLessThan(1000 * summary.rankError + 1);
    summary.push(1001);
    expect(summary.n).toBe(2002);
  });

  it('grows its buffer past 1024 values while exact', () => {
    const summary = createQuantileSummary(mulberry32(1));
    for (let i = 5000; i > 0; i--) summary.push(i);
    expect(summary.exact).toBe(true);
    expect(summary.n).toBe(5000);
    expect(summary.quantile(0)).toBe(1);
    expect(summary.quantile(1)).toBe(5000);
    expect(summary.rank(2500)).toBe(0.5);
  });

  it('uses the k given for its sketch', () => {
    const summary = createQuantileSummary(mulberry32(1), { exactLimit: 10, k: 50 });
    for (let i = 0; i < 11; i++) summary.push(i);
    expect(summary.rankError).toBeCloseTo(2.446 / 50 ** 0.9433, 15);
  });
});
