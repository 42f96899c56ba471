/**
 * Levenshtein distance (unit-cost insertions, deletions, substitutions) over Unicode code points,
 * the distance rapidfuzz's Levenshtein uses with its default weights, and the normalised
 * similarity 1 - distance / max(length) (rapidfuzz normalized_similarity; 1 for two empty strings).
 *
 * Computed with Myers' bit-vector algorithm (Myers 1999, in Hyyrö's 2003 formulation, blocks of
 * 32 pattern characters): O(⌈m/32⌉·n) word operations instead of the O(m·n) table, which is what
 * lets Ragas' context metrics (every retrieved context against every reference context) run at
 * thousands of items per second.
 */
import { codePoints } from './code-points.js';

// Match masks of the current pattern block, indexed by code point (BMP) or kept in a map (astral).
const bmpMasks = new Int32Array(0x10000);
const astralMasks = new Map<number, number>();

function setMask(c: number, bit: number): void {
  if (c <= 0xffff) bmpMasks[c]! |= bit;
  else astralMasks.set(c, (astralMasks.get(c) ?? 0) | bit);
}

function maskOf(c: number): number {
  return c <= 0xffff ? bmpMasks[c]! : (astralMasks.get(c) ?? 0);
}

// Horizontal deltas (-1, 0, +1) along the bottom row of the previous block, one per text position.
let horizontal = new Int32Array(1024);

export function levenshteinDistance(a: Int32Array, b: Int32Array): number {
  // The shorter string is the pattern (fewer blocks); common prefix and suffix cost nothing.
  let pattern = a.length <= b.length ? a : b;
  let text = a.length <= b.length ? b : a;
  let start = 0;
  while (start < pattern.length && pattern[start] === text[start]) start++;
  let endP = pattern.length;
  let endT = text.length;
  while (endP > start && pattern[endP - 1] === text[endT - 1]) {
    endP--;
    endT--;
  }
  pattern = pattern.subarray(start, endP);
  text = text.subarray(start, endT);
  const m = pattern.length;
  const n = text.length;
  if (m === 0) return n;
  if (horizontal.length < n) horizontal = new Int32Array(n * 2);
  const h = horizontal;
  const masks = bmpMasks;
  // Row 0 of the table is D[0][j] = j: every horizontal delta above the first block is +1.
  h.fill(1, 0, n);
  for (let blockStart = 0; blockStart < m; blockStart += 32) {
    const blockLength = Math.min(32, m - blockStart);
    for (let k = 0; k < blockLength; k++) setMask(pattern[blockStart + k]!, 1 << k);
    const shift = blockLength - 1;
    // Column 0 is D[i][0] = i: vertical deltas all +1.
    let pv = -1;
    let mv = 0;
    for (let j = 0; j < n; j++) {
      const hin = h[j]!;
      const negative = hin >>> 31; // 1 when the incoming horizontal delta is -1
      const positive = hin & ~negative & 1; // 1 when it is +1
      const c = text[j]!;
      const eq = (c <= 0xffff ? masks[c]! : maskOf(c)) | 0;
      const xv = eq | mv;
      const eqIn = eq | negative;
      const xh = (((eqIn & pv) + pv) ^ pv) | eqIn;
      let ph = mv | ~(xh | pv);
      let mh = pv & xh;
      h[j] = ((ph >>> shift) & 1) - ((mh >>> shift) & 1);
      ph = (ph << 1) | positive;
      mh = (mh << 1) | negative;
      pv = mh | ~(xv | ph);
      mv = ph & xv;
    }
    for (let k = 0; k < blockLength; k++) {
      const c = pattern[blockStart + k]!;
      if (c <= 0xffff) masks[c] = 0;
      else astralMasks.delete(c);
    }
  }
  // D[m][n] = D[m][0] + Σ horizontal deltas along the bottom row.
  let distance = m;
  for (let j = 0; j < n; j++) distance += h[j]!;
  return distance;
}

/** 1 - distance / max(|a|, |b|); two empty strings are identical (1). */
export function levenshteinSimilarity(a: Int32Array, b: Int32Array): number {
  const longest = Math.max(a.length, b.length);
  if (longest === 0) return 1;
  return 1 - levenshteinDistance(a, b) / longest;
}

export function normalizedLevenshteinSimilarity(a: string, b: string): number {
  return levenshteinSimilarity(codePoints(a), codePoints(b));
}
