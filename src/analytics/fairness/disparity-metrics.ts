import { GROUP_METRIC_COUNT, M_ACCURACY, M_DISPARATE_IMPACT, M_ECE, M_FPR, M_PRECISION, M_SELECTION, M_TPR } from './group-metrics.js';

/**
 * Across-group summaries over the groups included in comparisons, following fairlearn's
 * `between_groups` aggregation (largest minus smallest group value; smallest over largest for
 * ratios) and AIF360's `disparate_impact` against a reference group:
 * - demographicParityDifference / Ratio: fairlearn demographic_parity_difference / _ratio
 * - disparateImpactRatio: min over groups ≠ reference of selection rate / reference selection rate
 * - equalOpportunityDifference: range of TPR (Hardt, Price & Srebro 2016, equal opportunity)
 * - equalizedOddsDifference: max(range of TPR, range of FPR), fairlearn equalized_odds_difference
 * - predictiveParityDifference: range of precision (Chouldechova 2017, predictive parity)
 * - accuracyDifference, falsePositiveRateDifference, calibrationDifference (ECE): ranges
 * A group whose rate is undefined (0/0) is left out of that metric; fewer than two defined groups
 * make the metric undefined.
 */
export const DISPARITY_METRICS = [
  'demographicParityDifference',
  'demographicParityRatio',
  'disparateImpactRatio',
  'equalOpportunityDifference',
  'equalizedOddsDifference',
  'predictiveParityDifference',
  'accuracyDifference',
  'falsePositiveRateDifference',
  'calibrationDifference',
] as const;
export type DisparityMetricName = (typeof DISPARITY_METRICS)[number];
export const DISPARITY_METRIC_COUNT = DISPARITY_METRICS.length;

/** The group metric each disparity is computed from. */
export const DISPARITY_SOURCE: Record<DisparityMetricName, number[]> = {
  demographicParityDifference: [M_SELECTION],
  demographicParityRatio: [M_SELECTION],
  disparateImpactRatio: [M_DISPARATE_IMPACT],
  equalOpportunityDifference: [M_TPR],
  equalizedOddsDifference: [M_TPR, M_FPR],
  predictiveParityDifference: [M_PRECISION],
  accuracyDifference: [M_ACCURACY],
  falsePositiveRateDifference: [M_FPR],
  calibrationDifference: [M_ECE],
};

function range(rates: Float64Array, metric: number, G: number, included: Uint8Array): number {
  let min = Infinity;
  let max = -Infinity;
  let defined = 0;
  for (let g = 0; g < G; g++) {
    if (included[g] === 0) continue;
    const v = rates[metric * G + g]!;
    if (Number.isNaN(v)) continue;
    defined++;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return defined < 2 ? NaN : max - min;
}

/** Writes out[d] for every metric d of DISPARITY_METRICS from rates[m·G + g] (see groupRates). */
export function computeDisparities(rates: Float64Array, G: number, included: Uint8Array, reference: number, out: Float64Array): void {
  if (rates.length < GROUP_METRIC_COUNT * G) throw new RangeError('rates array too short');
  let minRate = Infinity;
  let maxRate = -Infinity;
  let defined = 0;
  let minImpact = Infinity;
  let impacts = 0;
  for (let g = 0; g < G; g++) {
    if (included[g] === 0) continue;
    const s = rates[M_SELECTION * G + g]!;
    if (!Number.isNaN(s)) {
      defined++;
      if (s < minRate) minRate = s;
      if (s > maxRate) maxRate = s;
    }
    const di = rates[M_DISPARATE_IMPACT * G + g]!;
    if (g !== reference && !Number.isNaN(di)) {
      impacts++;
      if (di < minImpact) minImpact = di;
    }
  }
  out[0] = defined < 2 ? NaN : maxRate - minRate;
  out[1] = defined < 2 || maxRate === 0 ? NaN : minRate / maxRate;
  out[2] = impacts === 0 ? NaN : minImpact;
  out[3] = range(rates, M_TPR, G, included);
  out[4] = Math.max(range(rates, M_TPR, G, included), range(rates, M_FPR, G, included));
  out[5] = range(rates, M_PRECISION, G, included);
  out[6] = range(rates, M_ACCURACY, G, included);
  out[7] = range(rates, M_FPR, G, included);
  out[8] = range(rates, M_ECE, G, included);
}
