/**
 * The operating points of "predict 1 when score ≥ t" for every distinct score t of one group,
 * from selecting nobody to selecting everybody, and the upper convex hull of the ROC curve
 * (Provost & Fawcett 2001), on which randomising between two adjacent thresholds reaches every
 * point of a segment (Hardt, Price & Srebro 2016, §4).
 */
export type OperatingPoints = {
  /** Descending thresholds; [0] selects nobody. */
  thresholds: Float64Array;
  /** Positives / negatives with score ≥ threshold (cumulative counts). */
  truePositives: Float64Array;
  falsePositives: Float64Array;
  positives: number;
  negatives: number;
};

/** Above every score in [0, 1] and JSON-serialisable, unlike Infinity. */
export const SELECT_NONE = Number.MAX_VALUE;

/**
 * `positiveScores` and `negativeScores` are sorted in place. At most `maxPoints` points are kept
 * (evenly spaced, both ends kept): every kept point is still exact, only the choice is coarser.
 */
export function operatingPoints(positiveScores: Float64Array, negativeScores: Float64Array, maxPoints: number): OperatingPoints {
  positiveScores.sort();
  negativeScores.sort();
  const P = positiveScores.length;
  const N = negativeScores.length;
  const capacity = P + N + 1;
  const thresholds = new Float64Array(capacity);
  const tp = new Float64Array(capacity);
  const fp = new Float64Array(capacity);
  thresholds[0] = SELECT_NONE;
  let count = 1;
  let i = P - 1;
  let j = N - 1;
  while (i >= 0 || j >= 0) {
    const t = Math.max(i >= 0 ? positiveScores[i]! : -Infinity, j >= 0 ? negativeScores[j]! : -Infinity);
    while (i >= 0 && positiveScores[i] === t) i--;
    while (j >= 0 && negativeScores[j] === t) j--;
    thresholds[count] = t;
    tp[count] = P - 1 - i;
    fp[count] = N - 1 - j;
    count++;
  }
  if (count <= maxPoints) return { thresholds: thresholds.slice(0, count), truePositives: tp.slice(0, count), falsePositives: fp.slice(0, count), positives: P, negatives: N };
  const kept = new Float64Array(maxPoints);
  const keptTp = new Float64Array(maxPoints);
  const keptFp = new Float64Array(maxPoints);
  for (let k = 0; k < maxPoints; k++) {
    const from = Math.round((k * (count - 1)) / (maxPoints - 1));
    kept[k] = thresholds[from]!;
    keptTp[k] = tp[from]!;
    keptFp[k] = fp[from]!;
  }
  return { thresholds: kept, truePositives: keptTp, falsePositives: keptFp, positives: P, negatives: N };
}

/** Upper convex hull of the ROC points (FPR, TPR), x strictly increasing; indices into the points. */
export function rocUpperHull(points: OperatingPoints): Int32Array {
  const n = points.thresholds.length;
  const x = (k: number) => points.falsePositives[k]! / points.negatives;
  const y = (k: number) => points.truePositives[k]! / points.positives;
  const hull: number[] = [];
  for (let k = 0; k < n; k++) {
    // Points come in non-decreasing x and y: at equal x the later point is higher.
    if (hull.length > 0 && x(hull[hull.length - 1]!) === x(k)) hull.pop();
    while (hull.length >= 2) {
      const o = hull[hull.length - 2]!;
      const a = hull[hull.length - 1]!;
      const cross = (x(a) - x(o)) * (y(k) - y(o)) - (y(a) - y(o)) * (x(k) - x(o));
      if (cross >= 0) hull.pop();
      else break;
    }
    hull.push(k);
  }
  return Int32Array.from(hull);
}

/** Segment [lo, lo+1] of an increasing array containing v (v clamped to the array's range), and the fraction along it. */
export function locate(values: Float64Array | number[], v: number): { lo: number; fraction: number } {
  const n = values.length;
  if (n === 1 || v <= values[0]!) return { lo: 0, fraction: 0 };
  if (v >= values[n - 1]!) return { lo: n - 2, fraction: 1 };
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (values[mid]! <= v) lo = mid;
    else hi = mid;
  }
  const span = values[lo + 1]! - values[lo]!;
  return { lo, fraction: span > 0 ? (v - values[lo]!) / span : 0 };
}
