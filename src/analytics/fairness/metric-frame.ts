/**
 * Group metrics and disparities as the reference libraries define them, so a validator can
 * reproduce every figure with fairlearn's MetricFrame or AIF360's ClassificationMetric:
 * - per group, per intersection and overall: confusion counts and the rates fairlearn /
 *   scikit-learn name (selection_rate, true_positive_rate, …, roc_auc_score);
 * - every rate's disparity as fairlearn's MetricFrame.difference / .ratio with
 *   method='between_groups' (max − min; min / max) and method='to_overall'
 *   (max |group − overall|; min over groups of min(group / overall, overall / group));
 * - fairlearn's named metrics (demographic parity, equalized odds with agg='worst_case' and
 *   'mean', equal opportunity) and predictive / accuracy parity, under both methods;
 * - AIF360's signed metrics of each unprivileged group against a named privileged group
 *   (unprivileged − privileged; disparate impact as unprivileged / privileged).
 * Unlike the policy report every group takes part, small or not (as in fairlearn). A rate that is
 * 0/0 is null with a reason (scikit-learn's zero_division would silently give 0).
 */
export const FRAME_RATES = [
  'baseRate',
  'selectionRate',
  'truePositiveRate',
  'falsePositiveRate',
  'trueNegativeRate',
  'falseNegativeRate',
  'precision',
  'negativePredictiveValue',
  'accuracy',
  'rocAuc',
] as const;
export type FrameRate = (typeof FRAME_RATES)[number];

export type Valued = { value: number | null; reason?: string };

export type FrameRow = {
  group: string;
  /** Rows (unweighted) and the weighted confusion counts. */
  n: number;
  weight: number;
  tn: number;
  fp: number;
  fn: number;
  tp: number;
} & Record<FrameRate, Valued>;

export type Disparity = { difference: Valued; ratio: Valued };
export type MethodDisparities = { betweenGroups: Disparity; toOverall: Disparity };

export type FairlearnMetrics = {
  demographicParityDifference: Valued;
  demographicParityRatio: Valued;
  equalizedOddsDifference: { worstCase: Valued; mean: Valued };
  equalizedOddsRatio: { worstCase: Valued; mean: Valued };
  equalOpportunityDifference: Valued;
  equalOpportunityRatio: Valued;
  predictiveParityDifference: Valued;
  predictiveParityRatio: Valued;
  accuracyParityDifference: Valued;
  accuracyParityRatio: Valued;
};

export type Aif360Metrics = {
  statisticalParityDifference: Valued;
  disparateImpact: Valued;
  equalOpportunityDifference: Valued;
  averageOddsDifference: Valued;
  averageAbsOddsDifference: Valued;
  falsePositiveRateDifference: Valued;
  falseNegativeRateDifference: Valued;
  predictiveParityDifference: Valued;
  errorRateDifference: Valued;
};

export type MetricFrame = {
  overall: FrameRow;
  byGroup: FrameRow[];
  /** Each rate's fairlearn difference and ratio under both methods. */
  disparities: Record<FrameRate, MethodDisparities>;
  fairlearn: { betweenGroups: FairlearnMetrics; toOverall: FairlearnMetrics };
  aif360: {
    privilegedGroup: string;
    privilegedRule: 'given' | 'highest-selection-rate';
    /** Each other group as the unprivileged group, and every row outside the privileged group together. */
    versus: (Aif360Metrics & { unprivileged: string })[];
    restVersusPrivileged: Aif360Metrics;
  } | null;
};

const undefinedValue = (reason: string): Valued => ({ value: null, reason });
const valued = (v: number, reason: string): Valued => (Number.isFinite(v) ? { value: v } : undefinedValue(reason));

/**
 * ROC AUC of weighted rows (scikit-learn's roc_auc_score with sample_weight): the weighted
 * Mann–Whitney statistic, tied scores counting one half, which equals the trapezoidal area.
 */
export function weightedRocAuc(yTrue: Uint8Array, scores: Float64Array, weight: Float64Array | null, rows: Int32Array): Valued {
  const order = Int32Array.from(rows).sort((a, b) => scores[a]! - scores[b]!);
  let wPos = 0;
  let wNeg = 0;
  let area = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    let tiedPos = 0;
    let tiedNeg = 0;
    const s = scores[order[start]!]!;
    while (end < order.length && scores[order[end]!] === s) {
      const i = order[end]!;
      const w = weight ? weight[i]! : 1;
      if (yTrue[i] === 1) tiedPos += w;
      else tiedNeg += w;
      end++;
    }
    area += tiedPos * (wNeg + tiedNeg / 2);
    wPos += tiedPos;
    wNeg += tiedNeg;
    start = end;
  }
  if (wPos === 0 || wNeg === 0) return undefinedValue(`ROC AUC needs both classes; the group has only ${wPos === 0 ? 'negatives' : 'positives'}`);
  return { value: area / (wPos * wNeg) };
}

function frameRow(group: string, input: FrameInput, rows: Int32Array): FrameRow {
  let tn = 0;
  let fp = 0;
  let fn = 0;
  let tp = 0;
  for (const i of rows) {
    const w = input.sampleWeight ? input.sampleWeight[i]! : 1;
    if (input.yTrue[i] === 1) {
      if (input.yPred[i] === 1) tp += w;
      else fn += w;
    } else if (input.yPred[i] === 1) fp += w;
    else tn += w;
  }
  const weight = tn + fp + fn + tp;
  const empty = 'the group has no rows (or zero weight)';
  const noPositives = 'no actual positives (TP + FN = 0)';
  const noNegatives = 'no actual negatives (TN + FP = 0)';
  return {
    group,
    n: rows.length,
    weight,
    tn,
    fp,
    fn,
    tp,
    baseRate: valued((tp + fn) / weight, empty),
    selectionRate: valued((tp + fp) / weight, empty),
    truePositiveRate: valued(tp / (tp + fn), noPositives),
    falsePositiveRate: valued(fp / (fp + tn), noNegatives),
    trueNegativeRate: valued(tn / (fp + tn), noNegatives),
    falseNegativeRate: valued(fn / (tp + fn), noPositives),
    precision: valued(tp / (tp + fp), 'no predicted positives (TP + FP = 0)'),
    negativePredictiveValue: valued(tn / (tn + fn), 'no predicted negatives (TN + FN = 0)'),
    accuracy: valued((tp + tn) / weight, empty),
    rocAuc: input.yScore ? weightedRocAuc(input.yTrue, input.yScore, input.sampleWeight ?? null, rows) : undefinedValue('no scores were supplied'),
  };
}

/** fairlearn MetricFrame.difference / .ratio of one rate (pandas min/max skip undefined groups). */
function disparity(rate: FrameRate, overall: FrameRow, groups: FrameRow[]): MethodDisparities {
  const values = groups.map((g) => g[rate].value).filter((v): v is number => v !== null);
  const o = overall[rate].value;
  const fewer = `fewer than two groups have a defined ${rate} (${values.length})`;
  if (values.length === 0) {
    const none = undefinedValue(`no group has a defined ${rate}`);
    return { betweenGroups: { difference: none, ratio: none }, toOverall: { difference: none, ratio: none } };
  }
  const max = Math.max(...values);
  const min = Math.min(...values);
  const betweenGroups: Disparity =
    values.length < 2
      ? { difference: undefinedValue(fewer), ratio: undefinedValue(fewer) }
      : { difference: { value: max - min }, ratio: max === 0 ? undefinedValue(`every group's ${rate} is 0 (0 / 0)`) : { value: min / max } };
  let toOverall: Disparity;
  if (o === null) {
    toOverall = { difference: undefinedValue(`the overall ${rate} is undefined`), ratio: undefinedValue(`the overall ${rate} is undefined`) };
  } else {
    const difference = Math.max(...values.map((v) => Math.abs(v - o)));
    let ratio = Infinity;
    for (const v of values) {
      // fairlearn: r = group / overall, folded to min(r, 1 / r); 0 / 0 is undefined, v / 0 with v > 0 is 0
      if (v === 0 && o === 0) continue;
      const r = o === 0 || v === 0 ? 0 : v / o;
      ratio = Math.min(ratio, r <= 1 ? r : 1 / r);
    }
    toOverall = { difference: { value: difference }, ratio: ratio === Infinity ? undefinedValue(`the overall and every group's ${rate} are 0`) : { value: ratio } };
  }
  return { betweenGroups, toOverall };
}

function fairlearnMetrics(d: Record<FrameRate, MethodDisparities>, method: keyof MethodDisparities): FairlearnMetrics {
  const tpr = d.truePositiveRate[method];
  const fpr = d.falsePositiveRate[method];
  const worst = (a: Valued, b: Valued, pick: (x: number, y: number) => number): Valued =>
    a.value !== null && b.value !== null ? { value: pick(a.value, b.value) } : undefinedValue(a.reason ?? b.reason ?? 'undefined');
  return {
    demographicParityDifference: d.selectionRate[method].difference,
    demographicParityRatio: d.selectionRate[method].ratio,
    equalizedOddsDifference: { worstCase: worst(tpr.difference, fpr.difference, Math.max), mean: worst(tpr.difference, fpr.difference, (x, y) => (x + y) / 2) },
    equalizedOddsRatio: { worstCase: worst(tpr.ratio, fpr.ratio, Math.min), mean: worst(tpr.ratio, fpr.ratio, (x, y) => (x + y) / 2) },
    equalOpportunityDifference: tpr.difference,
    equalOpportunityRatio: tpr.ratio,
    predictiveParityDifference: d.precision[method].difference,
    predictiveParityRatio: d.precision[method].ratio,
    accuracyParityDifference: d.accuracy[method].difference,
    accuracyParityRatio: d.accuracy[method].ratio,
  };
}

/** AIF360 ClassificationMetric, unprivileged − privileged (disparate impact: unprivileged / privileged). */
function aif360Metrics(u: FrameRow, p: FrameRow): Aif360Metrics {
  const diff = (rate: FrameRate): Valued =>
    u[rate].value !== null && p[rate].value !== null ? { value: u[rate].value - p[rate].value } : undefinedValue(`${rate} is undefined for ${u[rate].value === null ? u.group : p.group}: ${(u[rate].value === null ? u[rate].reason : p[rate].reason) ?? ''}`);
  const tprDiff = diff('truePositiveRate');
  const fprDiff = diff('falsePositiveRate');
  const both = tprDiff.value !== null && fprDiff.value !== null;
  const accuracyDiff = diff('accuracy');
  const pSel = p.selectionRate.value;
  const uSel = u.selectionRate.value;
  return {
    statisticalParityDifference: diff('selectionRate'),
    disparateImpact: uSel !== null && pSel !== null && pSel > 0 ? { value: uSel / pSel } : undefinedValue(`the privileged group ${p.group} has selection rate ${pSel ?? 'undefined'}`),
    equalOpportunityDifference: tprDiff,
    averageOddsDifference: both ? { value: 0.5 * (fprDiff.value! + tprDiff.value!) } : undefinedValue(tprDiff.reason ?? fprDiff.reason!),
    averageAbsOddsDifference: both ? { value: 0.5 * (Math.abs(fprDiff.value!) + Math.abs(tprDiff.value!)) } : undefinedValue(tprDiff.reason ?? fprDiff.reason!),
    falsePositiveRateDifference: fprDiff,
    falseNegativeRateDifference: diff('falseNegativeRate'),
    predictiveParityDifference: diff('precision'),
    // AIF360 error_rate_difference: ERR_u − ERR_p = −(ACC_u − ACC_p)
    errorRateDifference: accuracyDiff.value !== null ? { value: -accuracyDiff.value } : accuracyDiff,
  };
}

export type FrameInput = { yTrue: Uint8Array; yPred: Uint8Array; yScore?: Float64Array; sampleWeight?: Float64Array };

/**
 * The frame of one grouping: `groupOfRow[i]` indexes `labels`. `privileged` names AIF360's
 * privileged group; null takes the group with the highest selection rate (and says so).
 */
export function metricFrame(input: FrameInput, groupOfRow: Int32Array, labels: readonly string[], privileged: string | null): MetricFrame {
  const G = labels.length;
  const sizes = new Int32Array(G);
  for (const g of groupOfRow) sizes[g]!++;
  const members = Array.from({ length: G }, (_, g) => new Int32Array(sizes[g]!));
  const fill = new Int32Array(G);
  groupOfRow.forEach((g, i) => (members[g]![fill[g]!++] = i));
  const overall = frameRow('overall', input, Int32Array.from({ length: groupOfRow.length }, (_, i) => i));
  const byGroup = labels.map((label, g) => frameRow(label, input, members[g]!));
  const disparities = Object.fromEntries(FRAME_RATES.map((rate) => [rate, disparity(rate, overall, byGroup)])) as Record<FrameRate, MethodDisparities>;
  let privilegedIndex = privileged === null ? -1 : labels.indexOf(privileged);
  if (privileged === null) {
    let best = -Infinity;
    byGroup.forEach((row, g) => {
      const s = row.selectionRate.value;
      if (s !== null && s > best) {
        best = s;
        privilegedIndex = g;
      }
    });
  }
  let aif360: MetricFrame['aif360'] = null;
  if (privilegedIndex >= 0) {
    const p = byGroup[privilegedIndex]!;
    const rest = Int32Array.from(Array.from(groupOfRow.keys()).filter((i) => groupOfRow[i] !== privilegedIndex));
    aif360 = {
      privilegedGroup: p.group,
      privilegedRule: privileged === null ? 'highest-selection-rate' : 'given',
      versus: byGroup.filter((_, g) => g !== privilegedIndex).map((u) => ({ unprivileged: u.group, ...aif360Metrics(u, p) })),
      restVersusPrivileged: aif360Metrics(frameRow(`not ${p.group}`, input, rest), p),
    };
  }
  return { overall, byGroup, disparities, fairlearn: { betweenGroups: fairlearnMetrics(disparities, 'betweenGroups'), toOverall: fairlearnMetrics(disparities, 'toOverall') }, aif360 };
}
