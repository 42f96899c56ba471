/**
 * Jensen–Shannon distance, as scipy.spatial.distance.jensenshannon(p, q, base):
 * p and q are normalised to sum 1, m = (p + q)/2, JSD = ½ KL(p‖m) + ½ KL(q‖m) with 0·log 0 = 0,
 * divided by ln(base); the distance is √JSD. Evidently's "jensenshannon" test passes base = 2,
 * so the distance lies in [0, 1]; with natural logarithms (base e) its maximum is √(ln 2).
 */
export function jensenShannonDistance(p: ArrayLike<number>, q: ArrayLike<number>, base = 2): number {
  if (p.length !== q.length) throw new RangeError('p and q differ in length');
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < p.length; i++) {
    sp += p[i]!;
    sq += q[i]!;
  }
  let js = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]! / sp;
    const qi = q[i]! / sq;
    const mi = (pi + qi) / 2;
    if (pi > 0) js += pi * Math.log(pi / mi);
    if (qi > 0) js += qi * Math.log(qi / mi);
  }
  js /= Math.log(base);
  return Math.sqrt(Math.max(0, js / 2));
}
