/**
 * Per-group classification rates from confusion counts, as defined in fairlearn's MetricFrame
 * companions (selection_rate, true_positive_rate, false_positive_rate, false_negative_rate) and
 * scikit-learn (accuracy_score, precision_score); calibration as binned expected calibration error
 * (Naeini, Cooper & Hauskrecht 2015; Guo et al. 2017) on the positive-class score. Undefined rates
 * (0/0) are NaN here and become `null` with a reason in reports.
 */
export const GROUP_METRICS = [
  'selectionRate',
  'accuracy',
  'truePositiveRate',
  'falsePositiveRate',
  'falseNegativeRate',
  'precision',
  'expectedCalibrationError',
  'disparateImpact',
] as const;
export type GroupMetricName = (typeof GROUP_METRICS)[number];
export const GROUP_METRIC_COUNT = GROUP_METRICS.length;
export const M_SELECTION = 0;
export const M_ACCURACY = 1;
export const M_TPR = 2;
export const M_FPR = 3;
export const M_FNR = 4;
export const M_PRECISION = 5;
export const M_ECE = 6;
export const M_DISPARATE_IMPACT = 7;

/** Confusion counts (weighted) per group, plus per-bin observed positives and score sums for ECE. */
export type GroupTallies = {
  groups: number;
  bins: number;
  tp: Float64Array;
  fp: Float64Array;
  fn: Float64Array;
  tn: Float64Array;
  /** [g·bins + b]: weighted actual positives in score bin b. */
  binPositives: Float64Array | null;
  /** [g·bins + b]: weighted score sum in score bin b. */
  binScores: Float64Array | null;
};

export function createGroupTallies(groups: number, bins: number, withScores: boolean): GroupTallies {
  return {
    groups,
    bins,
    tp: new Float64Array(groups),
    fp: new Float64Array(groups),
    fn: new Float64Array(groups),
    tn: new Float64Array(groups),
    binPositives: withScores ? new Float64Array(groups * bins) : null,
    binScores: withScores ? new Float64Array(groups * bins) : null,
  };
}

/**
 * Sums cell masses into groups. `scoreOfCell(k)` gives the score sum of cell k (exact on the
 * original data; count × cell mean score in a bootstrap resample).
 */
export function tallyGroups(
  mass: Float64Array,
  scoreMass: Float64Array | null,
  intersections: number,
  bins: number,
  groupOfCell: Int32Array,
  tallies: GroupTallies,
): void {
  const { tp, fp, fn, tn, binPositives, binScores } = tallies;
  tp.fill(0);
  fp.fill(0);
  fn.fill(0);
  tn.fill(0);
  binPositives?.fill(0);
  binScores?.fill(0);
  let k = 0;
  for (let c = 0; c < intersections; c++) {
    const g = groupOfCell[c]!;
    for (let t = 0; t < 2; t++) {
      for (let p = 0; p < 2; p++) {
        let sum = 0;
        for (let b = 0; b < bins; b++, k++) {
          const m = mass[k]!;
          sum += m;
          if (binScores && scoreMass) {
            binScores[g * bins + b]! += scoreMass[k]!;
            if (t === 1) binPositives![g * bins + b]! += m;
          }
        }
        if (t === 1) {
          if (p === 1) tp[g]! += sum;
          else fn[g]! += sum;
        } else if (p === 1) fp[g]! += sum;
        else tn[g]! += sum;
      }
    }
  }
}

/**
 * Writes rates[m·groups + g] for every metric m of GROUP_METRICS. Disparate impact is the
 * selection rate over the reference group's (AIF360 `disparate_impact`, EEOC four-fifths rule);
 * `reference` < 0 leaves it NaN.
 */
export function groupRates(tallies: GroupTallies, reference: number, rates: Float64Array): void {
  const { groups: G, bins, tp, fp, fn, tn, binPositives, binScores } = tallies;
  for (let g = 0; g < G; g++) {
    const TP = tp[g]!;
    const FP = fp[g]!;
    const FN = fn[g]!;
    const TN = tn[g]!;
    const n = TP + FP + FN + TN;
    rates[M_SELECTION * G + g] = (TP + FP) / n;
    rates[M_ACCURACY * G + g] = (TP + TN) / n;
    rates[M_TPR * G + g] = TP / (TP + FN);
    rates[M_FPR * G + g] = FP / (FP + TN);
    rates[M_FNR * G + g] = FN / (TP + FN);
    rates[M_PRECISION * G + g] = TP / (TP + FP);
    if (binPositives && binScores && n > 0) {
      // ECE = Σ_b (n_b / n)·|ȳ_b − s̄_b| = Σ_b |Σy_b − Σs_b| / n.
      let gap = 0;
      for (let b = 0; b < bins; b++) gap += Math.abs(binPositives[g * bins + b]! - binScores[g * bins + b]!);
      rates[M_ECE * G + g] = gap / n;
    } else {
      rates[M_ECE * G + g] = NaN;
    }
  }
  const referenceRate = reference >= 0 ? rates[M_SELECTION * G + reference]! : NaN;
  for (let g = 0; g < G; g++) {
    // 0/0 and x/0 are both undefined: a reference group that selects nobody gives no ratio.
    rates[M_DISPARATE_IMPACT * G + g] = referenceRate > 0 ? rates[M_SELECTION * G + g]! / referenceRate : NaN;
  }
}

/** Why a group's rate is undefined, in words a reviewer can act on. */
export function undefinedRateReason(metric: GroupMetricName, tallies: GroupTallies, g: number, hasScores: boolean, referenceLabel: string | null, referenceRate: number): string {
  const TP = tallies.tp[g]!;
  const FP = tallies.fp[g]!;
  const FN = tallies.fn[g]!;
  const TN = tallies.tn[g]!;
  if (TP + FP + FN + TN === 0) return 'the group has no rows (or zero total weight)';
  switch (metric) {
    case 'selectionRate':
    case 'accuracy':
      return 'the group has no rows';
    case 'truePositiveRate':
    case 'falseNegativeRate':
      return 'no actual positives in the group (TP + FN = 0)';
    case 'falsePositiveRate':
      return 'no actual negatives in the group (FP + TN = 0)';
    case 'precision':
      return 'no predicted positives in the group (TP + FP = 0)';
    case 'expectedCalibrationError':
      return hasScores ? 'the group has no rows' : 'no scores were supplied';
    case 'disparateImpact':
      if (referenceLabel === null) return 'no reference group';
      return Number.isNaN(referenceRate) ? `the reference group ${referenceLabel} has no rows (or zero total weight)` : `the reference group ${referenceLabel} has selection rate 0`;
  }
}
