import { solveLinearSystem } from './linear-solve.js';
import { evaluate, type BatchPredict, type FeatureMatrix } from './model-contract.js';
import { percentileOfSorted } from './percentile.js';
import { mulberry32, randomNormal, type Random } from '../seeded-random.js';

/**
 * How far a perturbed sample is from the instance, for its kernel weight:
 * - `binary` (default, and lime's default): Euclidean distance of the binary "same bin as the
 *   instance" representation. With `discretize_continuous=True`, lime's explainer sets its
 *   scaler's mean to 0 and scale to 1 for every discretised feature (lime_tabular.py,
 *   LimeTabularExplainer.__init__), so its training-std scaling leaves these distances unscaled.
 * - `training-std`: Euclidean distance of the sampled feature values from the instance's, each
 *   feature divided by its training standard deviation (population std, as sklearn's
 *   StandardScaler): lime's scaling where it does apply (features it does not discretise).
 */
export type LimeDistance = 'binary' | 'training-std';

export type LimeOptions = { nSamples?: number; kernelWidth?: number; random?: Random; featureNames?: string[]; distance?: LimeDistance };

export type LimeExplanation = {
  intercept: number;
  /** Surrogate weight of "feature j is in the same quartile bin as the instance". */
  weights: Float64Array;
  /** The surrogate at the instance (intercept + sum of weights). */
  localPrediction: number;
  modelPrediction: number;
  /** Weighted R^2 of the surrogate on the perturbed sample (lime's `score`). */
  score: number;
  /** The instance's bin per feature, as lime prints it ("0.25 < x1 <= 0.50"). */
  conditions: string[];
};

/**
 * LIME for tabular data (Ribeiro, Singh & Guestrin 2016) with the `lime` library's defaults:
 * - each feature is discretised at the training quartiles (QuartileDiscretizer);
 * - samples draw a bin per feature from its training frequencies; the interpretable
 *   representation is 1 where the bin equals the instance's; the model sees values drawn inside
 *   the bin from a normal truncated to the bin, with the bin's training mean and std;
 * - sample weights sqrt(exp(-d^2 / w^2)) with w = 0.75 sqrt(M), d the Euclidean distance of the
 *   binary representation to the instance's (all ones), unscaled as in lime (see LimeDistance;
 *   `distance: 'training-std'` measures sampled values in training standard deviations instead);
 * - surrogate: ridge regression (alpha = 1, with intercept) on all M binary features.
 * The first sample is the instance itself. Deterministic given `random`.
 */
export async function limeTabular(predict: BatchPredict, training: FeatureMatrix, instance: Float64Array, options: LimeOptions = {}): Promise<LimeExplanation> {
  const m = training.nFeatures;
  const n = options.nSamples ?? 5000;
  const random = options.random ?? mulberry32(0);
  const width = options.kernelWidth ?? 0.75 * Math.sqrt(m);
  const bins = Array.from({ length: m }, (_, j) => quartileBins(training, j));

  const binary = new Uint8Array(n * m);
  // Shared memory: a multi-threaded scorer hands shares of it to worker threads without copying.
  const inverse = new Float64Array(new SharedArrayBuffer(Math.max(1, n * m) * 8));
  const instanceBin = new Int32Array(m);
  for (let j = 0; j < m; j++) {
    const b = bins[j]!;
    instanceBin[j] = binOf(b.edges, instance[j]!);
    for (let i = 0; i < n; i++) {
      if (i === 0) {
        binary[j] = 1;
        inverse[j] = instance[j]!;
        continue;
      }
      let u = random();
      let bin = b.frequency.length - 1;
      for (let k = 0; k < b.frequency.length; k++) {
        u -= b.frequency[k]!;
        if (u < 0) {
          bin = k;
          break;
        }
      }
      binary[i * m + j] = bin === instanceBin[j] ? 1 : 0;
      inverse[i * m + j] = truncatedNormal(b.mean[bin]!, b.std[bin]!, b.lower[bin]!, b.upper[bin]!, random);
    }
  }
  const y = await evaluate(predict, inverse, n);

  const sampleWeight = new Float64Array(n);
  const inverseStd = options.distance === 'training-std' ? trainingInverseStd(training) : null;
  for (let i = 0; i < n; i++) {
    let d2 = 0;
    if (inverseStd === null) for (let j = 0; j < m; j++) d2 += 1 - binary[i * m + j]!;
    else for (let j = 0; j < m; j++) d2 += ((inverse[i * m + j]! - instance[j]!) * inverseStd[j]!) ** 2;
    sampleWeight[i] = Math.sqrt(Math.exp(-d2 / (width * width)));
  }
  const fit = weightedRidge(binary, y, sampleWeight, n, m, 1);
  const localPrediction = fit.intercept + fit.coef.reduce((a, b) => a + b, 0);
  const names = options.featureNames ?? Array.from({ length: m }, (_, j) => `x${j}`);
  const conditions = Array.from({ length: m }, (_, j) => describeBin(bins[j]!.edges, instanceBin[j]!, names[j]!));
  return { intercept: fit.intercept, weights: fit.coef, localPrediction, modelPrediction: y[0]!, score: fit.r2, conditions };
}

/** 1 / population std of each training column (NaN skipped); 1 for a constant column, as StandardScaler. */
function trainingInverseStd(training: FeatureMatrix): Float64Array {
  const m = training.nFeatures;
  const out = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    let count = 0;
    let mean = 0;
    let m2 = 0;
    for (let i = 0; i < training.nRows; i++) {
      const v = training.data[i * m + j]!;
      if (v !== v) continue;
      count++;
      const d = v - mean;
      mean += d / count;
      m2 += d * (v - mean);
    }
    const std = count > 0 ? Math.sqrt(m2 / count) : 0;
    out[j] = std > 0 ? 1 / std : 1;
  }
  return out;
}

type Bins = { edges: number[]; frequency: Float64Array; mean: Float64Array; std: Float64Array; lower: Float64Array; upper: Float64Array };

/** Quartile edges (numpy's linear percentile), deduplicated; bin k holds edges[k-1] < x <= edges[k] (np.searchsorted, side left). */
function quartileBins(training: FeatureMatrix, j: number): Bins {
  const m = training.nFeatures;
  const column = Float64Array.from({ length: training.nRows }, (_, i) => training.data[i * m + j]!).filter((v) => v === v).sort();
  const edges = [...new Set([0.25, 0.5, 0.75].map((q) => percentileOfSorted(column, q)))];
  const nBins = edges.length + 1;
  const count = new Float64Array(nBins);
  const sum = new Float64Array(nBins);
  const sumSq = new Float64Array(nBins);
  for (const v of column) {
    const b = binOf(edges, v);
    count[b]!++;
    sum[b]! += v;
    sumSq[b]! += v * v;
  }
  const frequency = new Float64Array(nBins);
  const mean = new Float64Array(nBins);
  const std = new Float64Array(nBins);
  const lower = new Float64Array(nBins);
  const upper = new Float64Array(nBins);
  for (let b = 0; b < nBins; b++) {
    frequency[b] = count[b]! / column.length;
    mean[b] = count[b]! > 0 ? sum[b]! / count[b]! : 0;
    std[b] = count[b]! > 0 ? Math.sqrt(Math.max(0, sumSq[b]! / count[b]! - mean[b]! ** 2)) : 0;
    lower[b] = b === 0 ? column[0]! : edges[b - 1]!;
    upper[b] = b === nBins - 1 ? column[column.length - 1]! : edges[b]!;
  }
  return { edges, frequency, mean, std, lower, upper };
}

function binOf(edges: number[], v: number): number {
  let b = 0;
  while (b < edges.length && v > edges[b]!) b++;
  return b;
}

function describeBin(edges: number[], b: number, name: string): string {
  const fmt = (v: number) => Number(v.toPrecision(4)).toString();
  if (edges.length === 0) return `${name} (constant)`;
  if (b === 0) return `${name} <= ${fmt(edges[0]!)}`;
  if (b === edges.length) return `${name} > ${fmt(edges[edges.length - 1]!)}`;
  return `${fmt(edges[b - 1]!)} < ${name} <= ${fmt(edges[b]!)}`;
}

/** Normal(mean, std) truncated to [lower, upper] by rejection; after 50 misses, uniform on the bin. */
function truncatedNormal(mean: number, std: number, lower: number, upper: number, random: Random): number {
  if (!(std > 0) || !(upper > lower)) return Math.min(upper, Math.max(lower, mean));
  for (let k = 0; k < 50; k++) {
    const v = mean + std * randomNormal(random);
    if (v >= lower && v <= upper) return v;
  }
  return lower + random() * (upper - lower);
}

/**
 * Ridge with intercept and sample weights, as sklearn's Ridge: centre X and y at their weighted
 * means, solve (Xc' W Xc + alpha I) b = Xc' W yc, intercept = ybar - xbar . b. Also returns the
 * weighted R^2 (sklearn's score with sample_weight).
 * X is binary, so the weighted moments are accumulated over each row's ones only and centred
 * afterwards (Xc' W Xc = X' W X - W xbar xbar'); all sums go to buffers sized once.
 */
function weightedRidge(X: Uint8Array, y: Float64Array, w: Float64Array, n: number, m: number, alpha: number): { coef: Float64Array; intercept: number; r2: number } {
  let wSum = 0;
  let wy = 0;
  const wx = new Float64Array(m);
  const wxy = new Float64Array(m);
  const A = new Float64Array(m * m);
  const ones = new Int32Array(m);
  for (let i = 0; i < n; i++) {
    const wi = w[i]!;
    const yi = y[i]!;
    wSum += wi;
    wy += wi * yi;
    let k = 0;
    for (let j = 0, p = i * m; j < m; j++, p++) if (X[p] !== 0) ones[k++] = j;
    for (let a = 0; a < k; a++) {
      const j = ones[a]!;
      wx[j]! += wi;
      wxy[j]! += wi * yi;
      for (let b = a; b < k; b++) A[j * m + ones[b]!]! += wi;
    }
  }
  const yBar = wy / wSum;
  const xBar = new Float64Array(m);
  for (let j = 0; j < m; j++) xBar[j] = wx[j]! / wSum;
  const rhs = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    rhs[j] = wxy[j]! - wx[j]! * yBar;
    for (let k = j; k < m; k++) A[j * m + k]! -= wx[j]! * xBar[k]!;
    A[j * m + j]! += alpha;
    for (let k = 0; k < j; k++) A[j * m + k] = A[k * m + j]!;
  }
  const coef = solveLinearSystem(A, rhs, m);
  let intercept = yBar;
  for (let j = 0; j < m; j++) intercept -= xBar[j]! * coef[j]!;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < n; i++) {
    let pred = intercept;
    for (let j = 0, p = i * m; j < m; j++, p++) if (X[p] !== 0) pred += coef[j]!;
    ssRes += w[i]! * (y[i]! - pred) ** 2;
    ssTot += w[i]! * (y[i]! - yBar) ** 2;
  }
  return { coef, intercept, r2: ssTot > 0 ? 1 - ssRes / ssTot : 1 };
}
