import type { Background, FeatureMatrix } from './model-contract.js';
import { randomInt, shuffleInPlace, type Random } from '../seeded-random.js';

/**
 * Background summaries that keep model-agnostic explainers affordable: every coalition is
 * evaluated against every background row.
 */

/** `k` rows drawn without replacement, equally weighted. */
export function sampleBackground(data: FeatureMatrix, k: number, random: Random): Background {
  const n = data.nRows;
  const m = data.nFeatures;
  const take = Math.min(k, n);
  const order = shuffleInPlace(Int32Array.from({ length: n }, (_, i) => i), random);
  const out = new Float64Array(take * m);
  for (let i = 0; i < take; i++) out.set(data.data.subarray(order[i]! * m, (order[i]! + 1) * m), i * m);
  return { data: out, nRows: take, nFeatures: m };
}

/**
 * k-means summary as shap.kmeans: k-means++ seeding (Arthur & Vassilvitskii 2007) and Lloyd
 * iterations, then each centre coordinate is replaced by the nearest value that feature takes in
 * the data (so summaries of integer or categorical codes stay valid inputs); weights are the
 * cluster sizes. Deterministic given `random`.
 */
export function kmeansBackground(data: FeatureMatrix, k: number, random: Random, options: { maxIterations?: number; roundValues?: boolean } = {}): Background {
  const n = data.nRows;
  const m = data.nFeatures;
  const X = data.data;
  k = Math.min(k, n);
  const centres = new Float64Array(k * m);
  const nearest = new Float64Array(n).fill(Infinity);
  const first = randomInt(random, n);
  centres.set(X.subarray(first * m, (first + 1) * m), 0);
  for (let c = 1; c < k; c++) {
    let total = 0;
    for (let i = 0; i < n; i++) {
      const d = squaredDistance(X, i * m, centres, (c - 1) * m, m);
      if (d < nearest[i]!) nearest[i] = d;
      total += nearest[i]!;
    }
    let pick = n - 1;
    let u = random() * total;
    for (let i = 0; i < n; i++) {
      u -= nearest[i]!;
      if (u < 0) {
        pick = i;
        break;
      }
    }
    centres.set(X.subarray(pick * m, (pick + 1) * m), c * m);
  }

  const assignment = new Int32Array(n);
  const sizes = new Float64Array(k);
  const sums = new Float64Array(k * m);
  for (let iter = 0; iter < (options.maxIterations ?? 100); iter++) {
    let changed = false;
    for (let i = 0; i < n; i++) {
      let best = 0;
      let bestD = Infinity;
      for (let c = 0; c < k; c++) {
        const d = squaredDistance(X, i * m, centres, c * m, m);
        if (d < bestD) {
          bestD = d;
          best = c;
        }
      }
      if (iter === 0 || assignment[i] !== best) changed = true;
      assignment[i] = best;
    }
    if (!changed) break;
    sums.fill(0);
    sizes.fill(0);
    for (let i = 0; i < n; i++) {
      const c = assignment[i]!;
      sizes[c]!++;
      for (let j = 0; j < m; j++) sums[c * m + j]! += X[i * m + j]!;
    }
    for (let c = 0; c < k; c++) if (sizes[c]! > 0) for (let j = 0; j < m; j++) centres[c * m + j] = sums[c * m + j]! / sizes[c]!;
  }
  sizes.fill(0);
  for (let i = 0; i < n; i++) sizes[assignment[i]!]!++;

  if (options.roundValues ?? true) {
    for (let c = 0; c < k; c++) {
      for (let j = 0; j < m; j++) {
        let best = centres[c * m + j]!;
        let bestD = Infinity;
        for (let i = 0; i < n; i++) {
          const d = Math.abs(X[i * m + j]! - centres[c * m + j]!);
          if (d < bestD) {
            bestD = d;
            best = X[i * m + j]!;
          }
        }
        centres[c * m + j] = best;
      }
    }
  }
  // Empty clusters (possible with duplicate rows) are dropped.
  const keep = Array.from({ length: k }, (_, c) => c).filter((c) => sizes[c]! > 0);
  const out = new Float64Array(keep.length * m);
  const weights = new Float64Array(keep.length);
  keep.forEach((c, i) => {
    out.set(centres.subarray(c * m, (c + 1) * m), i * m);
    weights[i] = sizes[c]!;
  });
  return { data: out, nRows: keep.length, nFeatures: m, weights };
}

function squaredDistance(a: Float64Array, ai: number, b: Float64Array, bi: number, m: number): number {
  let s = 0;
  for (let j = 0; j < m; j++) {
    const d = a[ai + j]! - b[bi + j]!;
    s += d * d;
  }
  return s;
}
