import { FairnessInputError, validateAttributes, type ProtectedAttribute } from './fairness-input.js';
import { compactCombine, groupLabel } from './intersection-groups.js';

export type ReweighingCell = {
  group: string;
  levels: Record<string, string>;
  label: 0 | 1;
  rows: number;
  /** Weighted mass of the cell before reweighing. */
  mass: number;
  /** w(g, y) = P(g)·P(y) / P(g, y); null for an empty cell (no row receives it). */
  weight: number | null;
};

export type ReweighingResult = {
  /** The group attribute: one name, or `a × b` when several attributes were intersected. */
  attribute: string;
  /** Per row: original sample weight (1 when none) times w(g, y). */
  rowWeights: Float64Array;
  cells: ReweighingCell[];
  /** P(y = 1) before and, by construction, after reweighing, in every group. */
  baseRate: number;
};

/**
 * Reweighing (Kamiran & Calders, "Data preprocessing techniques for classification without
 * discrimination", KAIS 33, 2012, §4.2; AIF360 `Reweighing`): each row of group g and label y gets
 * w(g, y) = P(g)·P(y) / P(g, y), the weight that makes label and group independent in the weighted
 * data, so the weighted base rate P_w(y = 1 | g) equals P(y = 1) in every group. Probabilities are
 * weighted by `sampleWeight` when given, and the result multiplies it, as AIF360 does.
 */
export function reweigh(yTrue: Uint8Array, attributes: readonly ProtectedAttribute[], sampleWeight?: Float64Array): ReweighingResult {
  const rows = yTrue.length;
  const reasons: string[] = [];
  validateAttributes(attributes, rows, reasons);
  if (sampleWeight && sampleWeight.length !== rows) reasons.push(`sampleWeight has ${sampleWeight.length} entries for ${rows} rows`);
  for (let i = 0; i < rows; i++) {
    if (yTrue[i]! > 1) {
      reasons.push(`yTrue row ${i} is ${yTrue[i]}; labels must be 0 or 1`);
      break;
    }
  }
  if (reasons.length > 0) throw new FairnessInputError(reasons);
  const coding = compactCombine(
    attributes.map((a) => a.codes),
    attributes.map((a) => a.labels.length),
    rows,
  );
  const G = coding.count;
  const mass = new Float64Array(G * 2);
  const count = new Float64Array(G * 2);
  let total = 0;
  let positives = 0;
  for (let i = 0; i < rows; i++) {
    const w = sampleWeight ? sampleWeight[i]! : 1;
    const k = coding.index[i]! * 2 + yTrue[i]!;
    mass[k]! += w;
    count[k]! += 1;
    total += w;
    if (yTrue[i] === 1) positives += w;
  }
  if (!(total > 0)) throw new FairnessInputError(['total sample weight is zero']);
  const labelMass = [total - positives, positives];
  const cellWeight = new Float64Array(G * 2);
  for (let g = 0; g < G; g++) {
    const groupMass = mass[g * 2]! + mass[g * 2 + 1]!;
    for (let y = 0; y < 2; y++) {
      const joint = mass[g * 2 + y]!;
      // P(g)P(y)/P(g,y) = (m_g/M)(m_y/M)/(m_gy/M) = m_g·m_y / (M·m_gy).
      cellWeight[g * 2 + y] = joint > 0 ? (groupMass * labelMass[y]!) / (total * joint) : NaN;
    }
  }
  const rowWeights = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const w = sampleWeight ? sampleWeight[i]! : 1;
    rowWeights[i] = w * cellWeight[coding.index[i]! * 2 + yTrue[i]!]!;
  }
  const names = attributes.map((a) => a.name);
  const cells: ReweighingCell[] = [];
  for (let g = 0; g < G; g++) {
    const labels = attributes.map((a, j) => a.labels[coding.levels[j]![g]!]!);
    const levels: Record<string, string> = {};
    names.forEach((n, j) => (levels[n] = labels[j]!));
    for (const y of [0, 1] as const) {
      const w = cellWeight[g * 2 + y]!;
      cells.push({ group: groupLabel(names, labels), levels, label: y, rows: count[g * 2 + y]!, mass: mass[g * 2 + y]!, weight: Number.isNaN(w) ? null : w });
    }
  }
  return { attribute: names.join(' × '), rowWeights, cells, baseRate: positives / total };
}
