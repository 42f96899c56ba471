/**
 * Area under the ROC curve as the Mann–Whitney U statistic: the probability that a random
 * positive scores above a random negative, ties counting one half (Hanley & McNeil 1982). With
 * tied scores given their average rank this equals the trapezoidal area scikit-learn's
 * `roc_auc_score` computes.
 */
import { metricOf, undefinedMetric, type MetricValue } from './metric-value.js';

/** Binary AUC of `scores` for the rows whose label is `positive` against all others. O(n log n). */
export function rocAuc(yTrue: ArrayLike<number>, scores: ArrayLike<number>, positive = 1): MetricValue {
  const n = yTrue.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    // NaN equals no score, not even itself: its tie group below would never advance (a hang).
    if (Number.isNaN(scores[i])) return undefinedMetric(`scores row ${i} is NaN`);
    order[i] = i;
  }
  order.sort((a, b) => scores[a]! - scores[b]!);
  let positives = 0;
  let positiveRankSum = 0;
  for (let start = 0; start < n; ) {
    const score = scores[order[start]!]!;
    let end = start;
    let tiedPositives = 0;
    while (end < n && scores[order[end]!] === score) {
      if (yTrue[order[end]!] === positive) tiedPositives++;
      end++;
    }
    // Ranks start+1..end (1-based) share their mean.
    positiveRankSum += (tiedPositives * (start + 1 + end)) / 2;
    positives += tiedPositives;
    start = end;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) {
    return undefinedMetric(`ROC AUC needs both classes in yTrue; found only ${positives === 0 ? 'negatives' : 'positives'}${n === 0 ? ' (no rows)' : ''}`);
  }
  const u = positiveRankSum - (positives * (positives + 1)) / 2;
  return metricOf(u / (positives * negatives));
}

/**
 * Multiclass AUC as scikit-learn's `multi_class='ovr', average='macro'`: the unweighted mean of
 * each class's one-vs-rest AUC on its probability column. Undefined when a class never occurs
 * in yTrue (scikit-learn refuses that input).
 */
export function rocAucOneVsRest(yTrue: ArrayLike<number>, probabilities: Float64Array, labels: readonly string[]): MetricValue {
  const k = labels.length;
  const n = yTrue.length;
  const column = new Float64Array(n);
  let total = 0;
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < n; i++) column[i] = probabilities[i * k + c]!;
    const auc = rocAuc(yTrue, column, c);
    if (auc.value === null) {
      const alone = n > 0 && yTrue[0] === c;
      return undefinedMetric(`one-vs-rest ROC AUC needs every class in yTrue, and ${alone ? `only class ${labels[c]} occurs` : `class ${labels[c]} never occurs`}`);
    }
    total += auc.value;
  }
  return metricOf(total / k);
}
