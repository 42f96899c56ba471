/**
 * Paired bootstrap percentile interval of the mean difference mean(b - a) (Efron & Tibshirani
 * 1993, §13.3): resample the item indices with replacement B times (seeded mulberry32), take the
 * mean of the differences of each resample, and read the (1-level)/2 and (1+level)/2 quantiles
 * (type 7 interpolation, numpy's default) of the B means.
 */
import { percentileInterval, type ConfidenceInterval } from '../../fairness/bootstrap-intervals.js';
import { mulberry32 } from '../../seeded-random.js';

export type BootstrapOptions = { resamples?: number; level?: number; seed: number };
export const DEFAULT_BOOTSTRAP_RESAMPLES = 2000;

export type MeanDifferenceInterval = { meanDifference: number | null; interval: ConfidenceInterval; seed: number };

export function pairedBootstrapMeanDifference(differences: ArrayLike<number>, options: BootstrapOptions): MeanDifferenceInterval {
  const B = options.resamples ?? DEFAULT_BOOTSTRAP_RESAMPLES;
  const level = options.level ?? 0.95;
  if (!Number.isInteger(B) || B < 1) throw new RangeError(`resamples must be a positive integer, got ${B}`);
  if (!(level > 0 && level < 1)) throw new RangeError(`level must lie in (0, 1), got ${level}`);
  const n = differences.length;
  if (n === 0) return { meanDifference: null, interval: { lower: null, upper: null, level, resamples: B, undefinedResamples: B }, seed: options.seed };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += differences[i]!;
  const random = mulberry32(options.seed);
  const means = new Float64Array(B);
  for (let r = 0; r < B; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += differences[Math.floor(random() * n)]!;
    means[r] = s / n;
  }
  return { meanDifference: sum / n, interval: percentileInterval(means, level), seed: options.seed };
}
