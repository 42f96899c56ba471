/**
 * The confusion matrix and the metrics read from it: accuracy, and precision, recall and F1 either
 * for one positive class (binary) or macro-averaged over classes (multiclass), with
 * scikit-learn's definitions (`precision_recall_fscore_support`).
 */
import { metricOf, undefinedMetric, type MetricValue } from './metric-value.js';

/**
 * classCount × classCount counts, row-major: `[t * classCount + p]` counts rows of true class t
 * predicted as p (scikit-learn's orientation). Labels are class indexes in 0..classCount-1.
 */
export function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, classCount: number): Int32Array {
  const counts = new Int32Array(classCount * classCount);
  for (let i = 0; i < yTrue.length; i++) counts[yTrue[i]! * classCount + yPred[i]!]!++;
  return counts;
}

/** Fraction of rows predicted correctly: the trace of the confusion matrix over its total. */
export function accuracy(confusion: Int32Array, classCount: number): MetricValue {
  let correct = 0;
  let total = 0;
  for (let t = 0; t < classCount; t++) {
    for (let p = 0; p < classCount; p++) total += confusion[t * classCount + p]!;
    correct += confusion[t * classCount + t]!;
  }
  return total === 0 ? undefinedMetric('no rows') : metricOf(correct / total);
}

export type ClassCounts = { truePositives: number; falsePositives: number; falseNegatives: number; support: number };

/** One-vs-rest counts of class c: support is the number of rows whose true class is c. */
export function classCounts(confusion: Int32Array, classCount: number, c: number): ClassCounts {
  let predicted = 0;
  let actual = 0;
  for (let o = 0; o < classCount; o++) {
    predicted += confusion[o * classCount + c]!;
    actual += confusion[c * classCount + o]!;
  }
  const tp = confusion[c * classCount + c]!;
  return { truePositives: tp, falsePositives: predicted - tp, falseNegatives: actual - tp, support: actual };
}

export type PrecisionRecallF1 = { precision: MetricValue; recall: MetricValue; f1: MetricValue };

/**
 * Precision tp/(tp+fp), recall tp/(tp+fn) and F1 = 2tp/(2tp+fp+fn) (the harmonic mean of the
 * two, written so it stays defined when precision is). Where scikit-learn divides by zero it
 * warns and returns 0; here the metric is null with the reason.
 */
export function precisionRecallF1(counts: ClassCounts, label: string): PrecisionRecallF1 {
  const { truePositives: tp, falsePositives: fp, falseNegatives: fn } = counts;
  return {
    precision: tp + fp === 0 ? undefinedMetric(`class ${label} is never predicted`) : metricOf(tp / (tp + fp)),
    recall: tp + fn === 0 ? undefinedMetric(`class ${label} never occurs in yTrue`) : metricOf(tp / (tp + fn)),
    f1: tp + fp + fn === 0 ? undefinedMetric(`class ${label} is neither predicted nor occurs in yTrue`) : metricOf((2 * tp) / (2 * tp + fp + fn)),
  };
}

/**
 * Unweighted mean over the classes that occur in yTrue or yPred (scikit-learn's default label
 * set for `average='macro'`); a class's undefined precision or recall counts as 0, as
 * scikit-learn's default `zero_division` does.
 */
export function macroPrecisionRecallF1(confusion: Int32Array, classCount: number, labels: readonly string[]): PrecisionRecallF1 {
  let present = 0;
  let precision = 0;
  let recall = 0;
  let f1 = 0;
  for (let c = 0; c < classCount; c++) {
    const counts = classCounts(confusion, classCount, c);
    const own = precisionRecallF1(counts, labels[c]!);
    if (own.f1.value === null) continue;
    present++;
    precision += own.precision.value ?? 0;
    recall += own.recall.value ?? 0;
    f1 += own.f1.value;
  }
  if (present === 0) {
    const none = undefinedMetric('no rows');
    return { precision: none, recall: none, f1: none };
  }
  return { precision: metricOf(precision / present), recall: metricOf(recall / present), f1: metricOf(f1 / present) };
}
