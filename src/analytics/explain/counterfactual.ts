import { evaluate, type BatchPredict } from './model-contract.js';
import { mulberry32, randomInt, type Random } from '../seeded-random.js';

export type CounterfactualOptions = {
  /** Per-feature bounds; a counterfactual never leaves them. Range widths also normalise distances. */
  min: Float64Array;
  max: Float64Array;
  immutable?: number[];
  threshold?: number;
  random?: Random;
  /** Candidates per sphere layer (one model call each). */
  candidatesPerLayer?: number;
  maxLayers?: number;
};

export type CounterfactualResult = {
  found: boolean;
  counterfactual?: Float64Array;
  changedFeatures: number[];
  /** sum_j |x'_j - x_j| / (max_j - min_j). */
  distance: number;
  originalPrediction: number;
  counterfactualPrediction?: number;
};

/**
 * Counterfactual search for a classifier (class 1 when f(x) >= threshold, default 0.5): the
 * closest row, in L1 distance on range-normalised features, that the model puts in the other
 * class. Growing Spheres (Laugel et al. 2018) adapted to L1: candidates are drawn in L1 shells of
 * increasing radius around x over the mutable features (immutable ones never move, all stay in
 * [min, max]); the nearest flipping candidate is then sparsified (changes reverted one at a time,
 * each round the one whose removal leaves the closest still-flipped row) and pulled back along the segment towards x to the
 * decision boundary. Deterministic given `random`; a heuristic, so the distance is an upper bound
 * on the true minimum.
 */
export async function findCounterfactual(predict: BatchPredict, row: Float64Array, options: CounterfactualOptions): Promise<CounterfactualResult> {
  const m = row.length;
  const threshold = options.threshold ?? 0.5;
  const random = options.random ?? mulberry32(0);
  const perLayer = options.candidatesPerLayer ?? 1000;
  const immutable = new Set(options.immutable ?? []);
  const mutable = Array.from({ length: m }, (_, j) => j).filter((j) => !immutable.has(j) && options.max[j]! > options.min[j]!);
  const width = Float64Array.from({ length: m }, (_, j) => options.max[j]! - options.min[j]!);
  const original = (await evaluate(predict, row, 1))[0]!;
  const originalClass = original >= threshold;
  const flipped = (p: number) => p >= threshold !== originalClass;
  const distance = (c: Float64Array, at = 0) => {
    let d = 0;
    for (const j of mutable) d += Math.abs(c[at + j]! - row[j]!) / width[j]!;
    return d;
  };
  const none: CounterfactualResult = { found: false, changedFeatures: [], distance: Infinity, originalPrediction: original };
  if (mutable.length === 0) return none;

  // Layers [r, r + step] of the L1 ball; the box [0, 1]^k has L1 diameter k.
  const maxRadius = mutable.length;
  const layers = options.maxLayers ?? 40;
  const step = maxRadius / layers;
  const candidates = new Float64Array(perLayer * m);
  let best: Float64Array | undefined;
  let bestDistance = Infinity;
  for (let layer = 0; layer < layers && best === undefined; layer++) {
    const r0 = layer * step;
    for (let c = 0; c < perLayer; c++) {
      const at = c * m;
      candidates.set(row, at);
      // A uniform direction on the L1 sphere: exponential magnitudes, normalised, random signs.
      let total = 0;
      for (const j of mutable) {
        const e = -Math.log(1 - random());
        candidates[at + j] = e;
        total += e;
      }
      const radius = r0 + random() * step;
      for (const j of mutable) {
        const sign = randomInt(random, 2) === 0 ? -1 : 1;
        const moved = row[j]! + (sign * radius * candidates[at + j]! * width[j]!) / total;
        candidates[at + j] = Math.min(options.max[j]!, Math.max(options.min[j]!, moved));
      }
    }
    const p = await evaluate(predict, candidates, perLayer);
    for (let c = 0; c < perLayer; c++) {
      if (!flipped(p[c]!)) continue;
      const d = distance(candidates, c * m);
      if (d < bestDistance) {
        bestDistance = d;
        best = candidates.slice(c * m, (c + 1) * m);
      }
    }
  }
  if (best === undefined) return none;

  let cf: Float64Array = best;
  // Sparsify (Laugel et al. 2018, feature selection step): greedily revert the change whose
  // removal keeps the class flipped at the smallest distance; each round is one batched call.
  for (;;) {
    const changed = mutable.filter((j) => cf[j] !== row[j]);
    if (changed.length <= 1) break;
    const trials = new Float64Array(changed.length * m);
    changed.forEach((j, k) => {
      trials.set(cf, k * m);
      trials[k * m + j] = row[j]!;
    });
    const p = await evaluate(predict, trials, changed.length);
    let pick = -1;
    let pickDistance = Infinity;
    for (let k = 0; k < changed.length; k++) {
      const d = distance(trials, k * m);
      if (flipped(p[k]!) && d < pickDistance) {
        pick = k;
        pickDistance = d;
      }
    }
    if (pick < 0) break;
    cf = trials.slice(pick * m, (pick + 1) * m);
  }

  // One-feature moves (a grid over each mutable feature's range, one batched call) often beat the
  // sphere's candidate, and are the sparsest possible counterfactuals.
  const grid = 64;
  const singles = new Float64Array(mutable.length * (grid + 1) * m);
  mutable.forEach((j, k) => {
    for (let g = 0; g <= grid; g++) {
      const at = (k * (grid + 1) + g) * m;
      singles.set(row, at);
      singles[at + j] = options.min[j]! + (width[j]! * g) / grid;
    }
  });
  const singleP = await evaluate(predict, singles, mutable.length * (grid + 1));
  let cfDistance = distance(cf);
  for (let c = 0; c < mutable.length * (grid + 1); c++) {
    const d = distance(singles, c * m);
    if (flipped(singleP[c]!) && d < cfDistance) {
      cfDistance = d;
      cf = singles.slice(c * m, (c + 1) * m);
    }
  }

  // Pull back towards x along the segment: the smallest t in [0, 1] that still flips, on a 64-point grid refined twice.
  let lo = 0;
  let hi = 1;
  const points = 64;
  const segment = new Float64Array((points + 1) * m);
  for (let round = 0; round < 3; round++) {
    for (let k = 0; k <= points; k++) {
      const t = lo + ((hi - lo) * k) / points;
      for (let j = 0; j < m; j++) segment[k * m + j] = row[j]! + t * (cf[j]! - row[j]!);
    }
    const p = await evaluate(predict, segment, points + 1);
    let first = points;
    for (let k = 0; k <= points; k++) {
      if (flipped(p[k]!)) {
        first = k;
        break;
      }
    }
    const newHi = lo + ((hi - lo) * first) / points;
    lo = first === 0 ? lo : lo + ((hi - lo) * (first - 1)) / points;
    hi = newHi;
  }
  const counterfactual = Float64Array.from({ length: m }, (_, j) => row[j]! + hi * (cf[j]! - row[j]!));
  for (const j of immutable) counterfactual[j] = row[j]!;
  const prediction = (await evaluate(predict, counterfactual, 1))[0]!;
  if (!flipped(prediction)) {
    // Rounding moved the point back across the boundary: keep the sparsified candidate itself.
    const p = (await evaluate(predict, cf, 1))[0]!;
    return { found: true, counterfactual: cf, changedFeatures: mutable.filter((j) => cf[j] !== row[j]), distance: distance(cf), originalPrediction: original, counterfactualPrediction: p };
  }
  return {
    found: true,
    counterfactual,
    changedFeatures: mutable.filter((j) => counterfactual[j] !== row[j]),
    distance: distance(counterfactual),
    originalPrediction: original,
    counterfactualPrediction: prediction,
  };
}
