/**
 * Neighbouring floating-point values, for turning a comparison made in float32 (or a strict one)
 * into an equivalent `<=` on float64 inputs.
 */
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** Largest float32 strictly above `x` (x a float32 value, not NaN, not +Infinity). */
export function nextFloat32Up(x: number): number {
  if (x === 0) return 2 ** -149;
  f32[0] = x;
  u32[0] = x > 0 ? u32[0]! + 1 : u32[0]! - 1;
  return f32[0]!;
}

/** Largest float32 strictly below `x` (x a float32 value, not NaN, not -Infinity). */
export function nextFloat32Down(x: number): number {
  if (x === 0) return -(2 ** -149);
  f32[0] = x;
  u32[0] = x > 0 ? u32[0]! - 1 : u32[0]! + 1;
  return f32[0]!;
}

/** Largest double strictly below `x` (x finite or +Infinity). */
export function nextFloat64Down(x: number): number {
  if (x === 0) return -Number.MIN_VALUE;
  f64[0] = x;
  u64[0] = x > 0 ? u64[0]! - 1n : u64[0]! + 1n;
  return f64[0]!;
}

/** Whether the float32 value `x` has an even significand (where round-half-to-even sends a tie). */
function evenFloat32(x: number): boolean {
  f32[0] = x;
  return (u32[0]! & 1) === 0;
}

const MAX_FLOAT32 = 3.4028234663852886e38;
/** Half an ulp above the largest float32: from here on (inclusive, ties to even) a double rounds to Infinity. */
const FLOAT32_OVERFLOW = MAX_FLOAT32 + 2 ** 103;

/**
 * The float64 bound `b` such that, for every non-NaN double `x`, `x <= b` exactly when the model's
 * comparison sends x left: `x <= t` / `x < t` in float64, or the same on `Math.fround(x)` in
 * float32. NaN when no value goes left (then `x <= NaN` is false for every x).
 */
export function leftBound(threshold: number, decision: '<=' | '<', precision: 'float64' | 'float32'): number {
  if (precision === 'float64') {
    if (decision === '<=') return threshold;
    return threshold === -Infinity ? NaN : nextFloat64Down(threshold);
  }
  // t32: the largest float32 value (±Infinity included) that still goes left.
  let t32 = Math.fround(threshold);
  if (decision === '<=' ? t32 > threshold : t32 >= threshold) {
    if (t32 === -Infinity) return NaN;
    t32 = nextFloat32Down(t32);
  }
  if (t32 === Infinity) return Infinity;
  // Doubles in [t32, mid) round to t32 or below; mid itself rounds to whichever neighbour is even.
  const up = t32 === MAX_FLOAT32 ? Infinity : nextFloat32Up(t32);
  const mid = t32 === -Infinity ? -FLOAT32_OVERFLOW : up === Infinity ? FLOAT32_OVERFLOW : (t32 + up) / 2;
  const tieGoesDown = t32 === -Infinity || (up !== Infinity && evenFloat32(t32));
  return tieGoesDown ? mid : nextFloat64Down(mid);
}
