/** Cosine similarity u·v / (‖u‖‖v‖); null when the lengths differ or either vector is zero (undefined, not 0). */
export function cosineSimilarity(u: ArrayLike<number>, v: ArrayLike<number>): number | null {
  if (u.length !== v.length || u.length === 0) return null;
  let dot = 0;
  let uu = 0;
  let vv = 0;
  for (let i = 0; i < u.length; i++) {
    const a = u[i]!;
    const b = v[i]!;
    dot += a * b;
    uu += a * a;
    vv += b * b;
  }
  if (uu === 0 || vv === 0) return null;
  // Rounding can push |cos| a hair past 1.
  return Math.max(-1, Math.min(1, dot / Math.sqrt(uu * vv)));
}
