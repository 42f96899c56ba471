/**
 * Deterministic pseudo-random numbers. Every randomised explainer takes a `Random` so a result
 * can be reproduced from its seed; none reads Math.random.
 */
export type Random = () => number;

/** mulberry32 (Tommy Ettinger): a 32-bit state generator, uniform on [0, 1). Fast and good enough for sampling, not for cryptography. */
export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform integer in 0..n-1. */
export function randomInt(random: Random, n: number): number {
  return Math.floor(random() * n);
}

/** Standard normal by Box-Muller. */
export function randomNormal(random: Random): number {
  let u = random();
  while (u === 0) u = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Fisher-Yates shuffle of the first `n` entries, in place. */
export function shuffleInPlace(a: Int32Array, random: Random, n = a.length): Int32Array {
  for (let i = n - 1; i > 0; i--) {
    const j = randomInt(random, i + 1);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}
