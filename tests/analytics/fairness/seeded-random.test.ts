import { describe, expect, it } from 'vitest';
import { createRandom } from '../../../src/analytics/fairness/seeded-random.js';

/**
 * First six 32-bit outputs per seed, from a C program outside this code base: Blackman & Vigna's
 * reference `next()` of xoshiro128** 1.1 (prng.di.unimi.it/xoshiro128starstar.c), its state filled
 * by four splitmix32 draws (z += 0x9e3779b9, then Wellons' lowbias32 finaliser
 * x ^= x >> 16; x *= 0x21f0aaad; x ^= x >> 15; x *= 0x735a2d97; x ^= x >> 15), in uint32_t arithmetic.
 */
const REFERENCE: [seed: number, outputs: number[]][] = [
  [0, [1789933344, 44971166, 2521387044, 3848737593, 1138324114, 749234105]],
  [1, [393288148, 2174103013, 3814759091, 2092745082, 1865176206, 2179171167]],
  [20240601, [2994418916, 1508189394, 3999909509, 842057956, 3935649460, 3438979553]],
  [4294967295, [4104197751, 1825856343, 1152209388, 2427537429, 3685145430, 609215610]],
];

describe('createRandom (xoshiro128** seeded by splitmix32)', () => {
  it.each(REFERENCE)('seed %i gives the reference C implementation’s stream, scaled by 2^-32', (seed, outputs) => {
    const random = createRandom(seed);
    expect(Array.from({ length: outputs.length }, () => random() * 2 ** 32)).toEqual(outputs);
  });

  it('reads the seed as an unsigned 32-bit integer', () => {
    const a = createRandom(-1);
    const b = createRandom(4294967295);
    expect(Array.from({ length: 4 }, () => a())).toEqual(Array.from({ length: 4 }, () => b()));
  });
});
