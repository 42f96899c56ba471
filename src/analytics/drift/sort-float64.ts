/**
 * In-place ascending sort of a Float64Array, giving exactly what `Float64Array.prototype.sort()`
 * gives (-0 before +0, NaNs last) but faster on large arrays: an LSD radix sort on the IEEE 754
 * bit patterns, six passes of 11/11/10 bits over the low and the high 32-bit words (four passes of
 * 16 bits from 2^18 values on), skipping every pass whose digit is the same for all values (the
 * low word of small integers, the exponent of values within one binade …). Read as unsigned
 * integers the patterns order the non-negative values ascending and the negative ones descending,
 * so a last pass reverses the negative block to the front. Arrays holding a NaN, short arrays and
 * big-endian hosts use the built-in sort; arrays already in order are returned after one check pass.
 */

const LITTLE_ENDIAN = new Uint8Array(Float64Array.of(-0).buffer)[7] === 0x80;
const RADIX_MIN_LENGTH = 2048;
/** From this length on, four passes of 16 bits beat six of 11/11/10 bits (fewer scatters, buckets still fill). */
const WIDE_DIGITS_MIN_LENGTH = 1 << 18;
type Digit = readonly [word: 0 | 1, shift: number, mask: number];
/** Word (0: low, 1: high), shift and mask of each digit, least significant first. */
const NARROW: readonly Digit[] = [
  [0, 0, 0x7ff],
  [0, 11, 0x7ff],
  [0, 22, 0x3ff],
  [1, 0, 0x7ff],
  [1, 11, 0x7ff],
  [1, 22, 0x3ff],
];
const WIDE: readonly Digit[] = [
  [0, 0, 0xffff],
  [0, 16, 0xffff],
  [1, 0, 0xffff],
  [1, 16, 0xffff],
];

/** NaN: exponent all ones and a non-zero fraction. */
const isNaNBits = (lo: number, hi: number) => (hi & 0x7ff00000) === 0x7ff00000 && ((hi & 0xfffff) | lo) !== 0;

/** Per-digit histograms (digit p at offset p·bucket), or null when a value is NaN. */
function histograms(words: Uint32Array, n: number, wide: boolean): Uint32Array | null {
  if (wide) {
    const B = 0x10000;
    const hist = new Uint32Array(4 * B);
    for (let i = 0; i < n; i++) {
      const lo = words[2 * i]!;
      const hi = words[2 * i + 1]!;
      if (isNaNBits(lo, hi)) return null;
      hist[lo & 0xffff]!++;
      hist[B + (lo >>> 16)]!++;
      hist[2 * B + (hi & 0xffff)]!++;
      hist[3 * B + (hi >>> 16)]!++;
    }
    return hist;
  }
  const B = 0x800;
  const hist = new Uint32Array(6 * B);
  for (let i = 0; i < n; i++) {
    const lo = words[2 * i]!;
    const hi = words[2 * i + 1]!;
    if (isNaNBits(lo, hi)) return null;
    hist[lo & 0x7ff]!++;
    hist[B + ((lo >>> 11) & 0x7ff)]!++;
    hist[2 * B + (lo >>> 22)]!++;
    hist[3 * B + (hi & 0x7ff)]!++;
    hist[4 * B + ((hi >>> 11) & 0x7ff)]!++;
    hist[5 * B + (hi >>> 22)]!++;
  }
  return hist;
}

/** Already in the order the built-in sort gives (0 after -0, no NaN)? Stops at the first inversion. */
function isSortedBitwise(x: Float64Array): boolean {
  for (let i = 1; i < x.length; i++) {
    const p = x[i - 1]!;
    const c = x[i]!;
    if (!(p <= c)) return false;
    if (c === 0 && p === 0 && Object.is(c, -0) && !Object.is(p, -0)) return false;
  }
  return true;
}

/**
 * Sorts `values` in place and returns it. `scratch`, when given, must be a Float64Array of at
 * least `values.length` elements not overlapping `values`; it is used as the ping-pong buffer.
 */
export function sortFloat64(values: Float64Array, scratch?: Float64Array): Float64Array {
  const n = values.length;
  if (n < RADIX_MIN_LENGTH || !LITTLE_ENDIAN) return values.sort();
  // Sorted columns (ids, timestamps) cost one pass; unsorted ones stop at their first inversion.
  if (isSortedBitwise(values)) return values;
  const words = new Uint32Array(values.buffer, values.byteOffset, 2 * n);
  const wide = n >= WIDE_DIGITS_MIN_LENGTH;
  const digits = wide ? WIDE : NARROW;
  const B = wide ? 0x10000 : 0x800;
  // The payload of a NaN would not survive the copies: leave those arrays to the built-in sort.
  const hist = histograms(words, n, wide);
  if (!hist) return values.sort();
  // Values with the sign bit set: the upper half of the last digit's buckets.
  const last = (digits.length - 1) * B;
  const top = digits[digits.length - 1]![2];
  let negatives = 0;
  for (let d = (top + 1) >>> 1; d <= top; d++) negatives += hist[last + d]!;

  const other = scratch && scratch.length >= n ? scratch.subarray(0, n) : new Float64Array(n);
  let src = values;
  let dst = other;
  let srcWords = words;
  const offsets = new Uint32Array(B);
  for (let p = 0; p < digits.length; p++) {
    const [word, shift, mask] = digits[p]!;
    const base = p * B;
    // Every value has the same digit here: the pass would not move anything.
    const first = (srcWords[2 * 0 + word]! >>> shift) & mask;
    if (hist[base + first] === n) continue;
    let sum = 0;
    for (let d = 0; d <= mask; d++) {
      offsets[d] = sum;
      sum += hist[base + d]!;
    }
    for (let i = 0; i < n; i++) {
      const digit = (srcWords[2 * i + word]! >>> shift) & mask;
      dst[offsets[digit]!++] = src[i]!;
    }
    const t = src;
    src = dst;
    dst = t;
    srcWords = new Uint32Array(src.buffer, src.byteOffset, 2 * n);
  }
  if (negatives > 0) {
    // src: non-negatives ascending, then negatives descending. dst gets the negatives reversed first.
    const positives = n - negatives;
    for (let k = 0; k < negatives; k++) dst[k] = src[n - 1 - k]!;
    dst.set(src.subarray(0, positives), negatives);
    src = dst;
  }
  if (src !== values) values.set(src);
  return values;
}
