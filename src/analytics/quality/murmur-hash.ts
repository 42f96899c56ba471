/**
 * 64-bit value hashes as two 32-bit lanes in the style of MurmurHash3 x86_32 (Appleby 2011): both
 * lanes read the same 32-bit blocks, each with its own seed and block constants, and end with
 * Murmur's fmix32 avalanche. Results go into `hashLanes` to avoid allocating per value.
 * Not cryptographic: used for HyperLogLog and duplicate-row detection on non-adversarial data.
 */

export const hashLanes = new Uint32Array(2);

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
const D1 = 0x85ebca77;
const D2 = 0xc2b2ae3d;
const SEED_A = 0x9747b28c;
const SEED_B = 0x5bd1e995;

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

let a = 0;
let b = 0;

function block(k: number): void {
  let ka = Math.imul(k, C1);
  ka = (ka << 15) | (ka >>> 17);
  ka = Math.imul(ka, C2);
  a ^= ka;
  a = (a << 13) | (a >>> 19);
  a = (Math.imul(a, 5) + 0xe6546b64) | 0;
  let kb = Math.imul(k, D1);
  kb = (kb << 16) | (kb >>> 16);
  kb = Math.imul(kb, D2);
  b ^= kb;
  b = (b << 17) | (b >>> 15);
  b = (Math.imul(b, 5) + 0x561ccd1b) | 0;
}

/** Hash a string's UTF-16 code units, two per block. */
export function hashString(s: string, tag = 0): void {
  a = SEED_A ^ tag;
  b = SEED_B ^ tag;
  const n = s.length;
  let i = 0;
  for (; i + 1 < n; i += 2) block(s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16));
  if (i < n) block(s.charCodeAt(i) | 0x10000);
  hashLanes[0] = fmix(a ^ (n * 2));
  hashLanes[1] = fmix(b ^ (n * 2));
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** Hash a number's IEEE-754 bits (-0 folded into 0, every NaN into one NaN). */
export function hashNumber(x: number, tag = 1): void {
  f64[0] = x === 0 ? 0 : Number.isNaN(x) ? Number.NaN : x;
  a = SEED_A ^ tag;
  b = SEED_B ^ tag;
  block(u32[0]!);
  block(u32[1]!);
  hashLanes[0] = fmix(a ^ 8);
  hashLanes[1] = fmix(b ^ 8);
}
