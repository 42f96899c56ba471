/**
 * A uniform [0, 1) generator. Every random choice in `src/analytics/fairness` takes one of these,
 * so an analysis is reproducible from its seed.
 */
export type Random = () => number;

/**
 * xoshiro128** (Blackman & Vigna, "Scrambled linear pseudorandom number generators", 2021),
 * state seeded by splitmix32 so that nearby seeds give unrelated streams. 32 bits per draw,
 * which is ample for binomial sampling and bootstrap resampling.
 */
export function createRandom(seed: number): Random {
  let z = seed >>> 0;
  const splitmix32 = (): number => {
    z = (z + 0x9e3779b9) | 0;
    let t = z ^ (z >>> 16);
    t = Math.imul(t, 0x21f0aaad);
    t ^= t >>> 15;
    t = Math.imul(t, 0x735a2d97);
    return (t ^ (t >>> 15)) >>> 0;
  };
  let s0 = splitmix32();
  let s1 = splitmix32();
  let s2 = splitmix32();
  let s3 = splitmix32();
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;
  return () => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result / 4294967296;
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
