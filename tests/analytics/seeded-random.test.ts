import { describe, expect, it } from 'vitest';
import { mulberry32, randomInt, randomNormal, shuffleInPlace, type Random } from '../../src/analytics/seeded-random.js';

/**
 * Tommy Ettinger's reference mulberry32 in C, transcribed with BigInt arithmetic modulo 2^32
 * (no Math.imul, no `>>>` tricks), so it is an independent statement of the definition:
 *   z = (state += 0x6D2B79F5); z = (z ^ z >> 15) * (z | 1); z ^= z + (z ^ z >> 7) * (z | 61); return z ^ z >> 14;
 */
function referenceMulberry32(seed: bigint): () => bigint {
  const mask = (1n << 32n) - 1n;
  let state = seed & mask;
  return () => {
    state = (state + 0x6d2b79f5n) & mask;
    let z = state;
    z = ((z ^ (z >> 15n)) * (z | 1n)) & mask;
    z = (z ^ ((z + ((z ^ (z >> 7n)) * (z | 61n))) & mask)) & mask;
    return (z ^ (z >> 14n)) & mask;
  };
}

/** A source that answers the given numbers in order, and counts how many were drawn. */
function scripted(values: number[]): Random & { drawn: () => number } {
  let i = 0;
  const next = (() => {
    if (i >= values.length) throw new Error('drew more numbers than scripted');
    return values[i++]!;
  }) as Random & { drawn: () => number };
  next.drawn = () => i;
  return next;
}

describe('mulberry32', () => {
  it('equals the reference C definition, output / 2^32, for the first 2000 draws of several seeds', () => {
    for (const seed of [0, 1, 42, 123456789, 0x7fffffff, 0xffffffff]) {
      const random = mulberry32(seed);
      const reference = referenceMulberry32(BigInt(seed));
      for (let i = 0; i < 2000; i++) expect(random()).toBe(Number(reference()) / 4294967296);
    }
  });

  it('reads the seed as an unsigned 32-bit integer', () => {
    // −1 is 0xffffffff and 2^32 + 5 is 5 modulo 2^32.
    const cases: Array<[number, bigint]> = [
      [-1, 0xffffffffn],
      [2 ** 32 + 5, 5n],
    ];
    for (const [seed, unsigned] of cases) {
      const random = mulberry32(seed);
      const reference = referenceMulberry32(unsigned);
      for (let i = 0; i < 50; i++) expect(random()).toBe(Number(reference()) / 4294967296);
    }
  });

  it('stays in [0, 1) with a mean near ½', () => {
    const random = mulberry32(7);
    let sum = 0;
    for (let i = 0; i < 20000; i++) {
      const u = random();
      expect(u >= 0 && u < 1).toBe(true);
      sum += u;
    }
    // Standard error of the mean of U(0,1) over 20000 draws: sqrt(1/12/20000) ≈ 0.002.
    expect(Math.abs(sum / 20000 - 0.5)).toBeLessThan(0.01);
  });
});

describe('randomInt', () => {
  it('is floor(u · n)', () => {
    expect(randomInt(() => 0, 10)).toBe(0);
    expect(randomInt(() => 0.5, 4)).toBe(2);
    expect(randomInt(() => 0.999, 10)).toBe(9);
    expect(randomInt(() => 0.34, 3)).toBe(1);
  });
});

describe('randomNormal', () => {
  it('is Box–Muller: sqrt(−2 ln u1) · cos(2π u2), redrawing u1 = 0', () => {
    // u1 = 0.25: sqrt(−2 ln 0.25) = sqrt(2.772588722239781) = 1.6651092223153954; cos(π) = −1.
    const random = scripted([0, 0, 0.25, 0.5]);
    expect(randomNormal(random)).toBeCloseTo(-1.6651092223153954, 15);
    expect(random.drawn()).toBe(4);
    // u2 = 0: cos 0 = 1; u1 = e^−2 gives sqrt(4) = 2.
    expect(randomNormal(scripted([Math.exp(-2), 0]))).toBeCloseTo(2, 15);
    // u2 = ¼: cos(π/2) = 0 (to rounding).
    expect(Math.abs(randomNormal(scripted([0.5, 0.25])))).toBeLessThan(1e-15);
  });

  it('has mean 0 and variance 1 over many draws', () => {
    const random = mulberry32(11);
    const n = 20000;
    let sum = 0;
    let squares = 0;
    for (let i = 0; i < n; i++) {
      const z = randomNormal(random);
      sum += z;
      squares += z * z;
    }
    // Standard errors: 1/sqrt(n) ≈ 0.007 for the mean, sqrt(2/n) ≈ 0.01 for the variance.
    expect(Math.abs(sum / n)).toBeLessThan(0.03);
    expect(Math.abs(squares / n - 1)).toBeLessThan(0.05);
  });
});

describe('shuffleInPlace', () => {
  it('swaps entry i with entry floor(u · (i + 1)), from the last down to index 1', () => {
    // u = 0 always: swap 3↔0 → [3,1,2,0], 2↔0 → [2,1,3,0], 1↔0 → [1,2,3,0].
    const always0 = scripted([0, 0, 0]);
    expect(Array.from(shuffleInPlace(Int32Array.of(0, 1, 2, 3), always0))).toEqual([1, 2, 3, 0]);
    // Exactly n − 1 draws: index 0 has nothing left to swap with.
    expect(always0.drawn()).toBe(3);
    // u just below 1: j = i every time, nothing moves.
    expect(Array.from(shuffleInPlace(Int32Array.of(0, 1, 2, 3), scripted([0.999, 0.999, 0.999])))).toEqual([0, 1, 2, 3]);
    // i = 3: j = floor(.5 · 4) = 2 → [0,1,3,2]; i = 2: j = floor(.5 · 3) = 1 → [0,3,1,2]; i = 1: j = 1.
    expect(Array.from(shuffleInPlace(Int32Array.of(0, 1, 2, 3), scripted([0.5, 0.5, 0.5])))).toEqual([0, 3, 1, 2]);
  });

  it('shuffles only the first n entries when n is given, and returns the same array', () => {
    const a = Int32Array.of(0, 1, 2, 3);
    const random = scripted([0]);
    expect(shuffleInPlace(a, random, 2)).toBe(a);
    expect(Array.from(a)).toEqual([1, 0, 2, 3]);
    expect(random.drawn()).toBe(1);
  });

  it('makes each of the 24 orders of four entries about equally likely', () => {
    const random = mulberry32(3);
    const counts = new Map<string, number>();
    const trials = 24000;
    for (let t = 0; t < trials; t++) {
      const key = Array.from(shuffleInPlace(Int32Array.of(0, 1, 2, 3), random)).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(24);
    // Pearson chi-square with 23 degrees of freedom; its 0.999 quantile is 49.73.
    let chiSquare = 0;
    for (const count of counts.values()) chiSquare += (count - 1000) ** 2 / 1000;
    expect(chiSquare).toBeLessThan(49.73);
  });
});
