import { FairnessInputError, validateAttributes, type ProtectedAttribute } from './fairness-input.js';
import { locate, operatingPoints, rocUpperHull, SELECT_NONE, type OperatingPoints } from './roc-points.js';
import { createRandom, type Random } from './seeded-random.js';

export type ThresholdConstraint = 'demographic_parity' | 'equalized_odds';

/**
 * A group's randomised threshold rule, as fairlearn's ThresholdOptimizer builds it (after Hardt,
 * Price & Srebro 2016): with probability `probabilityConstant` predict 1 with probability
 * `constantRate`, ignoring the score; otherwise predict 1 when score ≥ t, where t is
 * `thresholdLow` with probability `probabilityLow` and `thresholdHigh` otherwise.
 */
export type GroupThresholdRule = {
  code: number;
  group: string;
  thresholdHigh: number;
  thresholdLow: number;
  probabilityLow: number;
  probabilityConstant: number;
  constantRate: number;
  /** The rule's expected rates on the data it was fitted on (null when undefined there). */
  expected: { selectionRate: number; truePositiveRate: number | null; falsePositiveRate: number | null };
};

/** A serialisable post-processing model wrapping the original scorer. */
export type ThresholdArtifact = {
  kind: 'raia.fairness.threshold-optimizer';
  version: 1;
  constraint: ThresholdConstraint;
  tolerance: number;
  attribute: string;
  labels: string[];
  decision: 'predict 1 when score >= threshold';
  groups: GroupThresholdRule[];
};

export type OutcomeSummary = {
  accuracy: number;
  demographicParityDifference: number | null;
  equalizedOddsDifference: number | null;
  groups: { group: string; rows: number; selectionRate: number; truePositiveRate: number | null; falsePositiveRate: number | null; accuracy: number }[];
};

export type ThresholdOptimizerResult = {
  artifact: ThresholdArtifact;
  /** The given decisions (yPred), or score ≥ 0.5 when none are given. */
  before: OutcomeSummary;
  /** Expected outcomes of the randomised rules (exact averages over their randomness). */
  afterExpected: OutcomeSummary;
  /** One draw of the rules with the given generator. */
  afterRealised: OutcomeSummary;
  /** before.accuracy − afterExpected.accuracy. */
  accuracyCost: number;
  /** The expected disparity is within the tolerance (it is 0 up to rounding, by construction). */
  constraintMet: boolean;
};

export type ThresholdOptimizerInput = {
  yTrue: Uint8Array;
  yScore: Float64Array;
  /** One attribute; for an intersection pass `combineAttributes([...])`. */
  attribute: ProtectedAttribute;
  yPred?: Uint8Array;
};

export type ThresholdOptimizerOptions = {
  constraint: ThresholdConstraint;
  /** Largest acceptable disparity (default 0.01); the optimiser reaches 0 in expectation. */
  tolerance?: number;
  /** Operating points kept per group (default 2000); more is finer and slower. */
  maxPointsPerGroup?: number;
  /** For the realised after-metrics; default seeded 20240601. */
  random?: Random;
};

/**
 * Per-group randomised thresholds that satisfy demographic parity (equal selection rates) or
 * equalized odds (equal TPR and FPR) exactly in expectation while maximising expected accuracy.
 * - Demographic parity: every group is placed at a common selection rate s on its
 *   threshold curve, interpolating between adjacent thresholds; s ranges over every group's
 *   operating points, where the piecewise-linear total accuracy attains its maximum.
 * - Equalized odds (Hardt et al. 2016, §4): the common (FPR, TPR) lies on the lower envelope of
 *   the groups' ROC convex hulls, chosen among all hull vertices and a 0.001 FPR grid to
 *   maximise P·TPR − N·FPR; a group whose hull lies above that point mixes its hull point with
 *   the constant predictor of rate FPR (fairlearn's `p_ignore`).
 * Sample weights are not supported here.
 */
export function optimizeThresholds(input: ThresholdOptimizerInput, options: ThresholdOptimizerOptions): ThresholdOptimizerResult {
  const { yTrue, yScore, attribute } = input;
  const rows = yTrue.length;
  const reasons: string[] = [];
  validateAttributes([attribute], rows, reasons);
  if (yScore.length !== rows) reasons.push(`yScore has ${yScore.length} entries for ${rows} rows`);
  if (input.yPred && input.yPred.length !== rows) reasons.push(`yPred has ${input.yPred.length} entries for ${rows} rows`);
  for (let i = 0; i < rows; i++) {
    if (yTrue[i]! > 1 || !(yScore[i]! >= 0 && yScore[i]! <= 1)) {
      reasons.push(`row ${i}: yTrue must be 0/1 and yScore in [0, 1]`);
      break;
    }
  }
  if (rows === 0) reasons.push('no rows');
  const tolerance = options.tolerance ?? 0.01;
  if (!(tolerance >= 0)) reasons.push('tolerance must be non-negative');
  const maxPoints = options.maxPointsPerGroup ?? 2000;
  if (!(Number.isInteger(maxPoints) && maxPoints >= 2)) reasons.push('maxPointsPerGroup must be an integer ≥ 2');
  if (reasons.length > 0) throw new FairnessInputError(reasons);

  const L = attribute.labels.length;
  const positives = new Int32Array(L);
  const negatives = new Int32Array(L);
  for (let i = 0; i < rows; i++) (yTrue[i] === 1 ? positives : negatives)[attribute.codes[i]!]! += 1;
  const codes: number[] = [];
  for (let c = 0; c < L; c++) if (positives[c]! + negatives[c]! > 0) codes.push(c);
  const posScores = codes.map((c) => new Float64Array(positives[c]!));
  const negScores = codes.map((c) => new Float64Array(negatives[c]!));
  const slot = new Int32Array(L).fill(-1);
  codes.forEach((c, k) => (slot[c] = k));
  const fillP = new Int32Array(codes.length);
  const fillN = new Int32Array(codes.length);
  for (let i = 0; i < rows; i++) {
    const k = slot[attribute.codes[i]!]!;
    if (yTrue[i] === 1) posScores[k]![fillP[k]!++] = yScore[i]!;
    else negScores[k]![fillN[k]!++] = yScore[i]!;
  }
  const points = codes.map((_, k) => operatingPoints(posScores[k]!, negScores[k]!, maxPoints));

  const rules =
    options.constraint === 'demographic_parity'
      ? demographicParityRules(points)
      : equalizedOddsRules(points, codes.map((c) => attribute.labels[c]!));
  const groups: GroupThresholdRule[] = rules.map((rule, k) => ({ code: codes[k]!, group: attribute.labels[codes[k]!]!, ...rule }));
  const artifact: ThresholdArtifact = {
    kind: 'raia.fairness.threshold-optimizer',
    version: 1,
    constraint: options.constraint,
    tolerance,
    attribute: attribute.name,
    labels: [...attribute.labels],
    decision: 'predict 1 when score >= threshold',
    groups,
  };

  const beforePred = input.yPred ?? Uint8Array.from(yScore, (s) => (s >= 0.5 ? 1 : 0));
  const before = summarise(yTrue, beforePred, attribute);
  const afterExpected = expectedSummary(groups, points);
  const afterRealised = summarise(yTrue, applyThresholds(artifact, yScore, attribute.codes, options.random ?? createRandom(20240601)), attribute);
  const disparity = options.constraint === 'demographic_parity' ? afterExpected.demographicParityDifference : afterExpected.equalizedOddsDifference;
  return {
    artifact,
    before,
    afterExpected,
    afterRealised,
    accuracyCost: before.accuracy - afterExpected.accuracy,
    constraintMet: disparity === null || disparity <= tolerance + 1e-12,
  };
}

type Rule = Omit<GroupThresholdRule, 'code' | 'group'>;

/** The rule reaching fraction `fraction` of the way from operating point lo to lo+1. */
function interpolatedRule(p: OperatingPoints, lo: number, fraction: number, constant: { probability: number; rate: number }): Rule {
  const hi = Math.min(lo + 1, p.thresholds.length - 1);
  const tp = p.truePositives[lo]! + fraction * (p.truePositives[hi]! - p.truePositives[lo]!);
  const fp = p.falsePositives[lo]! + fraction * (p.falsePositives[hi]! - p.falsePositives[lo]!);
  const keep = 1 - constant.probability;
  const tpr = p.positives > 0 ? keep * (tp / p.positives) + constant.probability * constant.rate : null;
  const fpr = p.negatives > 0 ? keep * (fp / p.negatives) + constant.probability * constant.rate : null;
  const n = p.positives + p.negatives;
  return {
    thresholdHigh: p.thresholds[lo]!,
    thresholdLow: p.thresholds[hi]!,
    probabilityLow: fraction,
    probabilityConstant: constant.probability,
    constantRate: constant.rate,
    expected: { selectionRate: keep * ((tp + fp) / n) + constant.probability * constant.rate, truePositiveRate: tpr, falsePositiveRate: fpr },
  };
}

function demographicParityRules(points: OperatingPoints[]): Rule[] {
  const rates = points.map((p) => {
    const n = p.positives + p.negatives;
    return Float64Array.from(p.thresholds, (_, k) => (p.truePositives[k]! + p.falsePositives[k]!) / n);
  });
  // Expected correct decisions of group g at selection rate s: linear between operating points.
  const correctAt = (g: number, s: number): number => {
    const p = points[g]!;
    const { lo, fraction } = locate(rates[g]!, s);
    const hi = Math.min(lo + 1, rates[g]!.length - 1);
    const at = (k: number) => p.truePositives[k]! + p.negatives - p.falsePositives[k]!;
    return at(lo) + fraction * (at(hi) - at(lo));
  };
  let best = 0;
  let bestCorrect = -Infinity;
  for (const candidates of rates) {
    for (const s of candidates) {
      let correct = 0;
      for (let g = 0; g < points.length; g++) correct += correctAt(g, s);
      if (correct > bestCorrect + 1e-9) {
        bestCorrect = correct;
        best = s;
      }
    }
  }
  return points.map((p, g) => {
    const { lo, fraction } = locate(rates[g]!, best);
    return interpolatedRule(p, lo, fraction, { probability: 0, rate: 0 });
  });
}

function equalizedOddsRules(points: OperatingPoints[], labels: string[]): Rule[] {
  const missing = points.flatMap((p, g) => (p.positives === 0 || p.negatives === 0 ? [labels[g]!] : []));
  if (missing.length > 0) throw new FairnessInputError([`equalized odds needs positives and negatives in every group; missing in ${missing.join(', ')}`]);
  const hulls = points.map((p) => {
    const vertices = rocUpperHull(p);
    return {
      vertices,
      x: Float64Array.from(vertices, (k) => p.falsePositives[k]! / p.negatives),
      y: Float64Array.from(vertices, (k) => p.truePositives[k]! / p.positives),
    };
  });
  const hullAt = (g: number, x: number): number => {
    const h = hulls[g]!;
    const { lo, fraction } = locate(h.x, x);
    const hi = Math.min(lo + 1, h.y.length - 1);
    return h.y[lo]! + fraction * (h.y[hi]! - h.y[lo]!);
  };
  const P = points.reduce((sum, p) => sum + p.positives, 0);
  const N = points.reduce((sum, p) => sum + p.negatives, 0);
  const candidates = new Set<number>();
  for (let k = 0; k <= 1000; k++) candidates.add(k / 1000);
  for (const h of hulls) for (const x of h.x) candidates.add(x);
  let bestX = 0;
  let bestY = 0;
  let bestValue = -Infinity;
  for (const x of [...candidates].sort((a, b) => a - b)) {
    let y = Infinity;
    for (let g = 0; g < hulls.length; g++) y = Math.min(y, hullAt(g, x));
    const value = P * y - N * x;
    if (value > bestValue + 1e-9) {
      bestValue = value;
      bestX = x;
      bestY = y;
    }
  }
  return points.map((p, g) => {
    const h = hulls[g]!;
    const { lo, fraction } = locate(h.x, bestX);
    const hi = Math.min(lo + 1, h.vertices.length - 1);
    const top = h.y[lo]! + fraction * (h.y[hi]! - h.y[lo]!);
    // Mix the hull point (x*, top) with the constant predictor's (x*, x*) to land on (x*, y*).
    const probability = top - bestX > 1e-12 ? Math.min(1, Math.max(0, (top - bestY) / (top - bestX))) : 0;
    // Between hull vertices lo and hi, the operating points are indices h.vertices[lo], h.vertices[hi].
    const a = h.vertices[lo]!;
    const b = h.vertices[hi]!;
    const sub: OperatingPoints = {
      thresholds: Float64Array.of(p.thresholds[a]!, p.thresholds[b]!),
      truePositives: Float64Array.of(p.truePositives[a]!, p.truePositives[b]!),
      falsePositives: Float64Array.of(p.falsePositives[a]!, p.falsePositives[b]!),
      positives: p.positives,
      negatives: p.negatives,
    };
    return interpolatedRule(sub, 0, fraction, { probability, rate: bestX });
  });
}

/**
 * Decisions of a threshold artifact for new rows: pure given `random` (two draws at most per row).
 * Throws when a row's group has no rule.
 */
export function applyThresholds(artifact: ThresholdArtifact, scores: Float64Array, codes: Int32Array, random: Random): Uint8Array {
  if (scores.length !== codes.length) throw new FairnessInputError([`${scores.length} scores for ${codes.length} group codes`]);
  const L = artifact.labels.length;
  const high = new Float64Array(L).fill(NaN);
  const low = new Float64Array(L);
  const pLow = new Float64Array(L);
  const pConstant = new Float64Array(L);
  const constantRate = new Float64Array(L);
  for (const rule of artifact.groups) {
    high[rule.code] = rule.thresholdHigh;
    low[rule.code] = rule.thresholdLow;
    pLow[rule.code] = rule.probabilityLow;
    pConstant[rule.code] = rule.probabilityConstant;
    constantRate[rule.code] = rule.constantRate;
  }
  const out = new Uint8Array(scores.length);
  for (let i = 0; i < scores.length; i++) {
    const c = codes[i]!;
    if (!(c >= 0 && c < L) || Number.isNaN(high[c]!)) throw new FairnessInputError([`row ${i}: no threshold rule for group code ${c}`]);
    if (pConstant[c]! > 0 && random() < pConstant[c]!) {
      out[i] = random() < constantRate[c]! ? 1 : 0;
    } else {
      const t = pLow[c]! > 0 && random() < pLow[c]! ? low[c]! : high[c]!;
      out[i] = scores[i]! >= t && t !== SELECT_NONE ? 1 : 0;
    }
  }
  return out;
}

function range(values: (number | null)[]): number | null {
  const defined = values.filter((v): v is number => v !== null);
  return defined.length < 2 ? null : Math.max(...defined) - Math.min(...defined);
}

function disparities(groups: OutcomeSummary['groups']): Pick<OutcomeSummary, 'demographicParityDifference' | 'equalizedOddsDifference'> {
  const tpr = range(groups.map((g) => g.truePositiveRate));
  const fpr = range(groups.map((g) => g.falsePositiveRate));
  return {
    demographicParityDifference: range(groups.map((g) => g.selectionRate)),
    // fairlearn equalized_odds_difference: the larger of the TPR and FPR ranges.
    equalizedOddsDifference: tpr === null || fpr === null ? null : Math.max(tpr, fpr),
  };
}

function summarise(yTrue: Uint8Array, yPred: Uint8Array, attribute: ProtectedAttribute): OutcomeSummary {
  const L = attribute.labels.length;
  const counts = new Float64Array(L * 4);
  for (let i = 0; i < yTrue.length; i++) counts[attribute.codes[i]! * 4 + yTrue[i]! * 2 + yPred[i]!]! += 1;
  const groups: OutcomeSummary['groups'] = [];
  let correct = 0;
  for (let c = 0; c < L; c++) {
    const tn = counts[c * 4]!;
    const fp = counts[c * 4 + 1]!;
    const fn = counts[c * 4 + 2]!;
    const tp = counts[c * 4 + 3]!;
    const n = tn + fp + fn + tp;
    if (n === 0) continue;
    correct += tp + tn;
    groups.push({
      group: attribute.labels[c]!,
      rows: n,
      selectionRate: (tp + fp) / n,
      truePositiveRate: tp + fn > 0 ? tp / (tp + fn) : null,
      falsePositiveRate: fp + tn > 0 ? fp / (fp + tn) : null,
      accuracy: (tp + tn) / n,
    });
  }
  return { accuracy: correct / yTrue.length, ...disparities(groups), groups };
}

function expectedSummary(rules: GroupThresholdRule[], points: OperatingPoints[]): OutcomeSummary {
  let correct = 0;
  let total = 0;
  const groups = rules.map((rule, g) => {
    const p = points[g]!;
    const n = p.positives + p.negatives;
    const tp = (rule.expected.truePositiveRate ?? 0) * p.positives;
    const tn = p.negatives - (rule.expected.falsePositiveRate ?? 0) * p.negatives;
    correct += tp + tn;
    total += n;
    return {
      group: rule.group,
      rows: n,
      selectionRate: rule.expected.selectionRate,
      truePositiveRate: rule.expected.truePositiveRate,
      falsePositiveRate: rule.expected.falsePositiveRate,
      accuracy: (tp + tn) / n,
    };
  });
  return { accuracy: correct / total, ...disparities(groups), groups };
}
