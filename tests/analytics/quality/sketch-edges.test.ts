import { describe, expect, it } from 'vitest';
import { createHyperLogLog } from '../../../src/analytics/quality/hyperloglog.js';
import { createKllSketch, kllRankError } from '../../../src/analytics/quality/kll-sketch.js';
import { createRowHashSet } from '../../../src/analytics/quality/row-hash-set.js';
import { createSpaceSaving } from '../../../src/analytics/quality/space-saving.js';
import { mulberry32 } from '../../../src/analytics/seeded-random.js';

// Hand-computed cases of each sketch, small enough to follow the published definition step by step.

/** lane1 whose rank (leading zeros + 1) is r, for r in 1..32; lane1 = 0 has rank 33. */
const laneOfRank = (r: number) => 2 ** (32 - r);

describe('HyperLogLog by hand (m = 2^precision registers)', () => {
  it('accepts precisions 4..18 only and states 1.04/√m', () => {
    expect(() => createHyperLogLog(3)).toThrow(new RangeError('precision must be in [4, 18]'));
    expect(() => createHyperLogLog(19)).toThrow(RangeError);
    expect(createHyperLogLog(4)).toMatchObject({ precision: 4, standardError: 0.26 });
    expect(createHyperLogLog(18).standardError).toBeCloseTo(1.04 / 512, 15);
    expect(createHyperLogLog().precision).toBe(14);
  });

  it('uses linear counting m·ln(m/V) while some registers are empty and the raw estimate is small', () => {
    const hll = createHyperLogLog(4);
    expect(hll.estimate()).toBe(0);
    // Both hashes have top four bits 0000: the same register; the second is not a new register.
    hll.add(0x00000000, laneOfRank(1));
    hll.add(0x0fffffff, laneOfRank(3));
    expect(hll.estimate()).toBeCloseTo(16 * Math.log(16 / 15), 14);
    // Top bits 1111: register 15.
    hll.add(0xf0000000, laneOfRank(1));
    expect(hll.estimate()).toBeCloseTo(16 * Math.log(16 / 14), 14);
  });

  it('is α·m² / Σ 2^−M[j] once every register is set, with α of each small m', () => {
    const alphas: Array<[number, number]> = [
      [4, 0.673],
      [5, 0.697],
      [6, 0.709],
      [7, 0.7213 / (1 + 1.079 / 128)],
    ];
    for (const [precision, alpha] of alphas) {
      const m = 2 ** precision;
      const hll = createHyperLogLog(precision);
      for (let j = 0; j < m; j++) hll.add((j * 2 ** (32 - precision)) >>> 0, laneOfRank(1));
      // Every register holds 1: Σ 2^−1 = m/2, so the estimate is 2·α·m.
      expect(hll.estimate(), `precision ${precision}`).toBeCloseTo(2 * alpha * m, 10);
    }
  });

  it('keeps the largest rank of each register, counting rank 33 for lane1 = 0', () => {
    const hll = createHyperLogLog(4);
    for (let j = 0; j < 16; j++) hll.add(j << 28, laneOfRank(2));
    // Σ 2^−2 = 4 → 0.673 · 256 / 4 = 43.072 (> 2.5 m, and no register is empty).
    expect(hll.estimate()).toBeCloseTo(43.072, 12);
    for (let j = 0; j < 16; j++) hll.add(j << 28, laneOfRank(1));
    expect(hll.estimate()).toBeCloseTo(43.072, 12);
    hll.add(0, 0);
    // Register 0 now 33: Σ = 15/4 + 2^−33.
    expect(hll.estimate()).toBeCloseTo((0.673 * 256) / (15 / 4 + 2 ** -33), 10);
  });

  it('uses the raw estimate when it exceeds 2.5·m even with empty registers', () => {
    const hll = createHyperLogLog(4);
    for (let j = 0; j < 15; j++) hll.add(j << 28, laneOfRank(32));
    // Σ = 1 (the empty register) + 15·2^−32; raw ≈ 172.3 > 40, linear counting would say 16·ln 16 ≈ 44.4.
    expect(hll.estimate()).toBeCloseTo((0.673 * 256) / (1 + 15 * 2 ** -32), 10);
  });
});

describe('KLL sketch by hand', () => {
  it('is exact while nothing was compacted: nearest rank from below and the fraction ≤ x', () => {
    const sketch = createKllSketch(mulberry32(5), 200);
    expect(sketch.quantile(0.5)).toBeNaN();
    expect(sketch.rank(1)).toBeNaN();
    // 1..150 in a scrambled order (37 is coprime with 150).
    for (let i = 0; i < 150; i++) sketch.update(((i * 37) % 150) + 1);
    expect(sketch.n).toBe(150);
    expect(sketch.retained).toBe(150);
    // The smallest value whose cumulative count reaches q·150.
    expect(sketch.quantile(0)).toBe(1);
    expect(sketch.quantile(0.5)).toBe(75);
    expect(sketch.quantile(0.501)).toBe(76);
    expect(sketch.quantile(0.2)).toBe(30);
    expect(sketch.quantile(1)).toBe(150);
    expect(sketch.rank(0)).toBe(0);
    expect(sketch.rank(1)).toBe(1 / 150);
    expect(sketch.rank(75)).toBe(0.5);
    expect(sketch.rank(75.5)).toBe(0.5);
    expect(sketch.rank(150)).toBe(1);
    expect(sketch.rank(1e9)).toBe(1);
  });

  it('answers again after more updates (no stale sorted view)', () => {
    const sketch = createKllSketch(mulberry32(5), 200);
    sketch.update(10);
    expect(sketch.quantile(1)).toBe(10);
    sketch.update(20);
    expect(sketch.quantile(1)).toBe(20);
    expect(sketch.rank(10)).toBe(0.5);
  });

  it('compacts at k items, keeps the total weight equal to n and stays within its rank error', () => {
    const k = 50;
    const sketch = createKllSketch(mulberry32(9), k);
    const n = 20000;
    // A permutation of 0..n−1 (7919 is prime, coprime with n): the true rank of v is (v + 1) / n.
    for (let i = 0; i < n; i++) sketch.update((i * 7919) % n);
    expect(sketch.n).toBe(n);
    expect(sketch.retained).toBeLessThan(n / 20);
    // Compaction halves items and doubles their weight: the weights still add up to n.
    expect(sketch.rank(Infinity)).toBe(1);
    expect(sketch.rank(-1)).toBe(0);
    expect(sketch.rankError).toBe(kllRankError(k));
    let worst = 0;
    for (let v = 0; v < n; v += 97) worst = Math.max(worst, Math.abs(sketch.rank(v) - (v + 1) / n));
    expect(worst).toBeLessThan(kllRankError(k));
    for (const q of [0.05, 0.25, 0.5, 0.75, 0.95]) expect(Math.abs((sketch.quantile(q) + 1) / n - q)).toBeLessThan(kllRankError(k));
  });

  it('states the rank error of the DataSketches table, 2.446 / k^0.9433', () => {
    expect(kllRankError(200)).toBeCloseTo(2.446 / Math.pow(200, 0.9433), 15);
    expect(kllRankError(200)).toBeCloseTo(0.016517, 5);
    expect(createKllSketch(mulberry32(1)).rankError).toBe(kllRankError(200));
  });
});

describe('Space-Saving by hand (capacity 3)', () => {
  it('replaces the smallest counter: the newcomer starts at c_min + 1 with error c_min', () => {
    const ss = createSpaceSaving<string>(3);
    for (const key of ['a', 'a', 'a', 'b', 'b', 'c', 'd']) ss.offer(key);
    // a 3, b 2, c 1 (the only minimum) → d takes c's counter: 1 + 1 = 2, error 1.
    expect(ss.top(3)).toEqual([
      { key: 'a', count: 3, maxError: 0 },
      { key: 'b', count: 2, maxError: 0 },
      { key: 'd', count: 2, maxError: 1 },
    ]);
    expect(ss.top(1)).toEqual([{ key: 'a', count: 3, maxError: 0 }]);
    expect(ss.total).toBe(7);
    expect(ss.capacity).toBe(3);
  });

  it('counts weights, and keeps the minimum at the root after counts change', () => {
    const ss = createSpaceSaving<string>(3);
    ss.offer('a', 5);
    ss.offer('b', 1);
    ss.offer('c', 3);
    // b (1) is the minimum; raising it to 10 makes c (3) the minimum.
    ss.offer('b', 9);
    ss.offer('x');
    expect(ss.top(3)).toEqual([
      { key: 'b', count: 10, maxError: 0 },
      { key: 'a', count: 5, maxError: 0 },
      { key: 'x', count: 4, maxError: 3 },
    ]);
    expect(ss.total).toBe(19);
    // Now x (4) is the minimum and a (5) the next: y replaces x.
    ss.offer('y', 2);
    expect(ss.top(3)).toEqual([
      { key: 'b', count: 10, maxError: 0 },
      { key: 'y', count: 6, maxError: 4 },
      { key: 'a', count: 5, maxError: 0 },
    ]);
  });

  it('orders a heap of many counters correctly (against brute force)', () => {
    // Distinct counts 1..40 offered in scrambled order into 40 counters; then 10 newcomers each
    // replace the current minimum, which a correct min-heap yields in increasing order.
    const ss = createSpaceSaving<number>(40);
    const counts = Array.from({ length: 40 }, (_, i) => ((i * 17) % 40) + 1);
    counts.forEach((c, key) => ss.offer(key, c));
    for (let j = 0; j < 10; j++) ss.offer(100 + j, 100);
    const top = ss.top(40);
    // The ten smallest counts (1..10) were replaced, in that order: newcomer j has error j + 1.
    const newcomers = top.filter((e) => e.key >= 100).sort((x, y) => x.key - y.key);
    expect(newcomers.map((e) => e.maxError)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(newcomers.map((e) => e.count)).toEqual([101, 102, 103, 104, 105, 106, 107, 108, 109, 110]);
    const survivors = top.filter((e) => e.key < 100).map((e) => e.count);
    expect(survivors).toEqual(Array.from({ length: 30 }, (_, i) => 40 - i));
  });
});

describe('row hash set by hand', () => {
  it('stores distinct (lane0, lane1) pairs, probes past collisions, wraps around, and stops at its limit', () => {
    // limit 3 → 8 slots (mask 7); with lane1 = 0 the home slot is lane0 & 7.
    const set = createRowHashSet(3);
    expect(set.full).toBe(false);
    expect(set.add(7, 0)).toBe(true); // slot 7
    expect(set.add(15, 0)).toBe(true); // home 7 taken: wraps to slot 0
    expect(set.add(15, 0)).toBe(false);
    expect(set.add(7, 0)).toBe(false);
    // Same lane0 as a stored pair, other lane1 (8 · odd keeps the home slot): a different pair.
    expect(set.add(7, 8)).toBe(true);
    expect(set.size).toBe(3);
    expect(set.full).toBe(true);
    expect(set.add(1, 0)).toBeUndefined();
    expect(set.add(7, 8)).toBe(false);
    expect(set.size).toBe(3);
  });

  it('sizes its table for the limit (load factor ≤ ½)', () => {
    const set = createRowHashSet(1000);
    for (let i = 0; i < 1000; i++) expect(set.add(i, i * 31)).toBe(true);
    for (let i = 0; i < 1000; i++) expect(set.add(i, i * 31)).toBe(false);
    expect(set.add(5000, 1)).toBeUndefined();
    expect(set.size).toBe(1000);
  });
});
