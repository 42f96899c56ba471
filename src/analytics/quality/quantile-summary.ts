import { quantileSorted } from 'simple-statistics';
import { createKllSketch, type KllSketch } from './kll-sketch.js';
import type { Random } from '../seeded-random.js';

/**
 * Quantiles of a numeric stream: every value is kept (Float64Array) up to `exactLimit` values and
 * quantiles are then exact (simple-statistics `quantileSorted`, the nearest-rank rule with the
 * midpoint at even splits); past the limit the values are replayed into a KLL sketch and the
 * answers carry the sketch's rank error.
 */
export type QuantileSummary = {
  push(x: number): void;
  readonly n: number;
  readonly exact: boolean;
  /** Normalised rank error of answers (0 while exact). */
  readonly rankError: number;
  quantile(q: number): number;
  /** Fraction of values ≤ x. */
  rank(x: number): number;
  /** Fraction of values < x. */
  rankBelow(x: number): number;
  /** The retained values, sorted, while exact. */
  sortedValues(): Float64Array | undefined;
};

export function createQuantileSummary(random: Random, options: { exactLimit?: number; k?: number } = {}): QuantileSummary {
  const exactLimit = options.exactLimit ?? 100_000;
  let buffer: Float64Array | undefined = new Float64Array(Math.min(1024, exactLimit));
  let length = 0;
  let sortedCache: Float64Array | undefined;
  let sketch: KllSketch | undefined;

  const sorted = () => {
    if (!sortedCache) sortedCache = buffer!.slice(0, length).sort();
    return sortedCache;
  };
  const upperBound = (s: Float64Array, x: number, strict: boolean) => {
    let lo = 0;
    let hi = s.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (strict ? s[mid]! < x : s[mid]! <= x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  return {
    get n() {
      return sketch ? sketch.n : length;
    },
    get exact() {
      return sketch === undefined;
    },
    get rankError() {
      return sketch ? sketch.rankError : 0;
    },
    push(x: number) {
      if (sketch) {
        sketch.update(x);
        return;
      }
      sortedCache = undefined;
      if (length === buffer!.length) {
        if (length >= exactLimit) {
          sketch = createKllSketch(random, options.k ?? 200);
          for (let i = 0; i < length; i++) sketch.update(buffer![i]!);
          buffer = undefined;
          sketch.update(x);
          return;
        }
        const next = new Float64Array(Math.min(buffer!.length * 2, exactLimit));
        next.set(buffer!);
        buffer = next;
      }
      buffer![length++] = x;
    },
    quantile(q: number) {
      if (sketch) return sketch.quantile(q);
      return length === 0 ? Number.NaN : quantileSorted(sorted() as unknown as number[], q);
    },
    rank(x: number) {
      if (sketch) return sketch.rank(x);
      return length === 0 ? Number.NaN : upperBound(sorted(), x, false) / length;
    },
    rankBelow(x: number) {
      if (sketch) return sketch.rank(x - Math.abs(x) * Number.EPSILON - Number.MIN_VALUE);
      return length === 0 ? Number.NaN : upperBound(sorted(), x, true) / length;
    },
    sortedValues() {
      return sketch ? undefined : sorted();
    },
  };
}
