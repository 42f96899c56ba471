import { sampleMultinomial } from './binomial-sampler.js';
import type { ConfusionCells } from './confusion-cells.js';
import type { Random } from './seeded-random.js';

/** A bootstrap percentile interval (Efron & Tibshirani 1993, §13.3). */
export type ConfidenceInterval = {
  lower: number | null;
  upper: number | null;
  level: number;
  resamples: number;
  /** Resamples in which the statistic was undefined (e.g. a group drew no positives); left out. */
  undefinedResamples: number;
};

/**
 * Percentile interval from bootstrap replicates; NaN replicates are dropped and counted. Quantiles
 * by linear interpolation between order statistics (Hyndman & Fan 1996, type 7; numpy's default).
 * Sorts `values` in place.
 */
export function percentileInterval(values: Float64Array, level: number): ConfidenceInterval {
  const resamples = values.length;
  let m = 0;
  for (let i = 0; i < resamples; i++) if (!Number.isNaN(values[i]!)) values[m++] = values[i]!;
  const defined = values.subarray(0, m).sort();
  if (m === 0) return { lower: null, upper: null, level, resamples, undefinedResamples: resamples };
  const alpha = (1 - level) / 2;
  return { lower: quantile(defined, alpha), upper: quantile(defined, 1 - alpha), level, resamples, undefinedResamples: resamples - m };
}

function quantile(sorted: Float64Array, p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/**
 * Nonparametric bootstrap of the rows, done on the cell table: drawing n rows with replacement
 * and counting them per cell is exactly a Multinomial(n; cell shares) draw, so each resample costs
 * K conditional binomials instead of n row draws. With sample weights, the cell shares are weight
 * shares and n is Kish's effective size (Σw)²/Σw², scaled back to the total weight: an
 * approximation stated in docs/fairness.md. The score sum of a resampled cell is its count times
 * the cell's mean score (the within-cell score spread, inside one calibration bin, is not
 * resampled; also stated there).
 *
 * Calls `visit(mass, scoreMass, r)` once per resample with buffers it reuses.
 */
export function forEachCellResample(
  cells: ConfusionCells,
  resamples: number,
  random: Random,
  visit: (mass: Float64Array, scoreMass: Float64Array | null, resample: number) => void,
): void {
  const K = cells.mass.length;
  const draws = Math.round(cells.effectiveRows);
  const scale = draws > 0 ? cells.totalMass / draws : 0;
  const meanScore = new Float64Array(K);
  if (cells.scoreMass) for (let k = 0; k < K; k++) meanScore[k] = cells.mass[k]! > 0 ? cells.scoreMass[k]! / cells.mass[k]! : 0;
  const mass = new Float64Array(K);
  const scoreMass = cells.scoreMass ? new Float64Array(K) : null;
  for (let r = 0; r < resamples; r++) {
    sampleMultinomial(draws, cells.mass, mass, random);
    if (scale !== 1) for (let k = 0; k < K; k++) mass[k]! *= scale;
    if (scoreMass) for (let k = 0; k < K; k++) scoreMass[k] = mass[k]! * meanScore[k]!;
    visit(mass, scoreMass, r);
  }
}
