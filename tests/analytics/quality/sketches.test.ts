import { describe, expect, it } from 'vitest';
import { createHyperLogLog } from '../../../src/analytics/quality/hyperloglog.js';
import { createKllSketch } from '../../../src/analytics/quality/kll-sketch.js';
import { hashLanes, hashNumber, hashString } from '../../../src/analytics/quality/murmur-hash.js';
import { mulberry32 } from '../../../src/analytics/seeded-random.js';
import { createSpaceSaving } from '../../../src/analytics/quality/space-saving.js';

describe('HyperLogLog', () => {
  it('estimates 1e6 distinct values within 3 stated standard errors (1.04/√m)', () => {
    const hll = createHyperLogLog(14);
    for (let i = 0; i < 1_000_000; i++) {
      hashString(`user-${i}`);
      hll.add(hashLanes[0]!, hashLanes[1]!);
    }
    expect(hll.standardError).toBeCloseTo(1.04 / 128, 15);
    expect(Math.abs(hll.estimate() / 1_000_000 - 1)).toBeLessThan(3 * hll.standardError);
  });

  it('is near exact for small cardinalities (linear counting) and ignores repeats', () => {
    const hll = createHyperLogLog(14);
    for (let r = 0; r < 3; r++)
      for (let i = 0; i < 1000; i++) {
        hashNumber(i * 1.5);
        hll.add(hashLanes[0]!, hashLanes[1]!);
      }
    expect(Math.abs(hll.estimate() - 1000)).toBeLessThan(10);
  });
});

describe('KLL sketch', () => {
  it('answers quantiles of 1e6 seeded normal values within its stated rank error', () => {
    const random = mulberry32(42);
    const sketch = createKllSketch(mulberry32(1), 200);
    const n = 1_000_000;
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      // Box–Muller
      const x = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
      values[i] = x;
      sketch.update(x);
    }
    values.sort();
    expect(sketch.rankError).toBeCloseTo(0.0165, 3);
    expect(sketch.retained).toBeLessThan(3000);
    for (const q of [0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999]) {
      const v = sketch.quantile(q);
      // true rank of the answer
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (values[mid]! <= v) lo = mid + 1;
        else hi = mid;
      }
      expect(Math.abs(lo / n - q)).toBeLessThan(sketch.rankError);
      expect(Math.abs(sketch.rank(v) - lo / n)).toBeLessThan(sketch.rankError);
    }
  });
});

describe('Space-Saving', () => {
  it('finds the heavy hitters with over-estimates bounded by n / capacity', () => {
    const random = mulberry32(3);
    const ss = createSpaceSaving<string>(100);
    const truth = new Map<string, number>();
    const n = 200_000;
    for (let i = 0; i < n; i++) {
      // a: 20 %, b: 10 %, c: 5 %, the rest spread over 50 000 keys
      const u = random();
      const key = u < 0.2 ? 'a' : u < 0.3 ? 'b' : u < 0.35 ? 'c' : `k${Math.floor(random() * 50_000)}`;
      truth.set(key, (truth.get(key) ?? 0) + 1);
      ss.offer(key);
    }
    const top = ss.top(3);
    expect(top.map((e) => e.key)).toEqual(['a', 'b', 'c']);
    for (const e of top) {
      const t = truth.get(e.key)!;
      expect(e.count).toBeGreaterThanOrEqual(t);
      expect(e.count - t).toBeLessThanOrEqual(e.maxError);
      expect(e.maxError).toBeLessThanOrEqual(n / 100);
    }
  });
});
