import type { ClassificationInput } from './fairness-input.js';
import type { CompactCoding } from './intersection-groups.js';

/**
 * Every count-based fairness metric is a function of the (weighted) number of rows in each cell
 * (finest intersection, yTrue, yPred); calibration adds the score bin and the score sum per cell.
 * One pass over the rows builds this table; everything after, bootstrap included, works on it.
 */
export type ConfusionCells = {
  /** Number of finest intersection cells (observed combinations of all attributes). */
  intersections: number;
  /** Score bins per cell: 1 without scores, the calibration bin count with them. */
  bins: number;
  /** Weighted rows of cell ((c·2 + yTrue)·2 + yPred)·bins + bin. */
  mass: Float64Array;
  /** Weighted score sum of each cell; null without scores. */
  scoreMass: Float64Array | null;
  /** Unweighted rows per finest intersection (for the small-group rule). */
  rowsPerIntersection: Float64Array;
  rows: number;
  totalMass: number;
  /** Kish's effective sample size (Σw)²/Σw²; equals `rows` when unweighted. */
  effectiveRows: number;
};

export const cellIndex = (intersection: number, yTrue: number, yPred: number, bin: number, bins: number): number =>
  ((intersection * 2 + yTrue) * 2 + yPred) * bins + bin;

/** Equal-width bin of a score in [0, 1]: [0, 1/B), …, [(B-1)/B, 1] (Naeini et al. 2015). */
export const scoreBin = (score: number, bins: number): number => Math.min(bins - 1, Math.floor(score * bins));

export function tallyConfusionCells(input: ClassificationInput, finest: CompactCoding, calibrationBins: number): ConfusionCells {
  const { yTrue, yPred, yScore, sampleWeight } = input;
  const rows = yTrue.length;
  const bins = yScore ? calibrationBins : 1;
  const size = finest.count * 4 * bins;
  const mass = new Float64Array(size);
  const scoreMass = yScore ? new Float64Array(size) : null;
  const rowsPerIntersection = new Float64Array(finest.count);
  const index = finest.index;
  let totalMass = 0;
  let squaredMass = 0;
  for (let i = 0; i < rows; i++) {
    const c = index[i]!;
    const w = sampleWeight ? sampleWeight[i]! : 1;
    const bin = yScore ? Math.min(bins - 1, Math.floor(yScore[i]! * bins)) : 0;
    const k = ((c * 2 + yTrue[i]!) * 2 + yPred[i]!) * bins + bin;
    mass[k]! += w;
    if (scoreMass) scoreMass[k]! += w * yScore![i]!;
    rowsPerIntersection[c]! += 1;
    totalMass += w;
    squaredMass += w * w;
  }
  const effectiveRows = sampleWeight ? (squaredMass > 0 ? (totalMass * totalMass) / squaredMass : 0) : rows;
  return { intersections: finest.count, bins, mass, scoreMass, rowsPerIntersection, rows, totalMass, effectiveRows };
}
