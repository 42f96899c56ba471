/**
 * One call for a model's performance on labelled data: the classification set (accuracy,
 * precision, recall, F1, ROC AUC, log loss, confusion matrix) or the regression set (MSE, RMSE,
 * MAE, R², MAPE). Definitions follow scikit-learn; a metric the data cannot define is null with
 * a reason instead of NaN.
 *
 * Classification labels are class indexes into `classes` (a `ScoringModel`'s predictions), the
 * binary positive class is index 1 (classes list the negative class first), and
 * `probabilities` is rows × classes, row-major. Binary metrics are for the positive class,
 * multiclass ones macro-averaged (ROC AUC one-vs-rest).
 */
import {
  accuracy,
  classCounts,
  confusionMatrix,
  macroPrecisionRecallF1,
  precisionRecallF1,
  type PrecisionRecallF1,
} from './confusion-matrix.js';
import { logLoss } from './log-loss.js';
import { undefinedMetric, type MetricValue } from './metric-value.js';
import { meanAbsoluteError, meanAbsolutePercentageError, meanSquaredError, r2Score, rootMeanSquaredError } from './regression-metrics.js';
import { rocAuc, rocAucOneVsRest } from './roc-auc.js';

export type ClassificationPerformanceInput = {
  task: 'binary' | 'multiclass';
  /** True class index of each row. */
  yTrue: ArrayLike<number>;
  /** Predicted class index of each row. */
  yPred: ArrayLike<number>;
  /** rows × classes, row-major; without it ROC AUC and log loss are null. */
  probabilities?: Float64Array | null;
  /** Class labels; the class count comes from here, else from probabilities, else the largest index seen. */
  classes?: readonly string[] | null;
};

export type RegressionPerformanceInput = {
  task: 'regression';
  yTrue: ArrayLike<number>;
  yPred: ArrayLike<number>;
};

export type PerformanceInput = ClassificationPerformanceInput | RegressionPerformanceInput;

export type ClassPerformance = { label: string; support: number } & PrecisionRecallF1;

export type ClassificationPerformance = {
  task: 'binary' | 'multiclass';
  rows: number;
  classes: string[];
  /** `binary`: precision/recall/F1 of classes[1]; `macro`: their unweighted mean over the classes that occur. */
  averaging: 'binary' | 'macro';
  accuracy: MetricValue;
  precision: MetricValue;
  recall: MetricValue;
  f1: MetricValue;
  rocAuc: MetricValue;
  logLoss: MetricValue;
  /** confusionMatrix[true][predicted]. */
  confusionMatrix: number[][];
  perClass: ClassPerformance[];
};

export type RegressionPerformance = {
  task: 'regression';
  rows: number;
  mse: MetricValue;
  rmse: MetricValue;
  mae: MetricValue;
  r2: MetricValue;
  /** A fraction, not a percentage (scikit-learn's convention). */
  mape: MetricValue;
};

export type PerformanceReport = ClassificationPerformance | RegressionPerformance;

/** Thrown with every problem found in the input, so a caller can report them at once. */
export class PerformanceInputError extends Error {
  readonly code = 'PERFORMANCE_INPUT_INVALID';
  constructor(readonly reasons: string[]) {
    super(`invalid performance input: ${reasons.join('; ')}`);
    this.name = 'PerformanceInputError';
  }
}

export function performanceMetrics(input: ClassificationPerformanceInput): ClassificationPerformance;
export function performanceMetrics(input: RegressionPerformanceInput): RegressionPerformance;
export function performanceMetrics(input: PerformanceInput): PerformanceReport;
export function performanceMetrics(input: PerformanceInput): PerformanceReport {
  return input.task === 'regression' ? regressionPerformance(input) : classificationPerformance(input);
}

function regressionPerformance({ yTrue, yPred }: RegressionPerformanceInput): RegressionPerformance {
  const reasons: string[] = [];
  if (yPred.length !== yTrue.length) reasons.push(`yPred has ${yPred.length} values for ${yTrue.length} rows`);
  firstNonFinite(yTrue, 'yTrue', reasons);
  firstNonFinite(yPred, 'yPred', reasons);
  if (reasons.length > 0) throw new PerformanceInputError(reasons);
  return {
    task: 'regression',
    rows: yTrue.length,
    mse: meanSquaredError(yTrue, yPred),
    rmse: rootMeanSquaredError(yTrue, yPred),
    mae: meanAbsoluteError(yTrue, yPred),
    r2: r2Score(yTrue, yPred),
    mape: meanAbsolutePercentageError(yTrue, yPred),
  };
}

function classificationPerformance(input: ClassificationPerformanceInput): ClassificationPerformance {
  const { task, yTrue, yPred } = input;
  const probabilities = input.probabilities ?? null;
  const n = yTrue.length;
  const k = classCount(input);
  const labels = input.classes ? [...input.classes] : Array.from({ length: k }, (_, c) => String(c));

  const reasons: string[] = [];
  if (task === 'binary' && k !== 2) reasons.push(`a binary task has 2 classes, got ${k}`);
  if (k < 2) reasons.push(`classification needs at least 2 classes, got ${k}`);
  if (yPred.length !== n) reasons.push(`yPred has ${yPred.length} values for ${n} rows`);
  invalidIndex(yTrue, k, 'yTrue', reasons);
  invalidIndex(yPred, k, 'yPred', reasons);
  if (probabilities) {
    if (probabilities.length !== n * k) reasons.push(`probabilities has ${probabilities.length} values for ${n} rows × ${k} classes`);
    for (let i = 0; i < probabilities.length; i++) {
      const p = probabilities[i]!;
      if (!(p >= 0 && p <= 1)) {
        reasons.push(`probabilities row ${Math.floor(i / k)} class ${i % k} is ${p}, outside [0, 1]`);
        break;
      }
    }
  }
  if (reasons.length > 0) throw new PerformanceInputError(reasons);

  const confusion = confusionMatrix(yTrue, yPred, k);
  const perClass = labels.map((label, c) => {
    const counts = classCounts(confusion, k, c);
    return { label, support: counts.support, ...precisionRecallF1(counts, label) };
  });
  const averaged = task === 'binary' ? perClass[1]! : macroPrecisionRecallF1(confusion, k, labels);
  const withoutProbabilities = undefinedMetric('needs predicted probabilities');

  return {
    task,
    rows: n,
    classes: labels,
    averaging: task === 'binary' ? 'binary' : 'macro',
    accuracy: accuracy(confusion, k),
    precision: averaged.precision,
    recall: averaged.recall,
    f1: averaged.f1,
    rocAuc: !probabilities
      ? withoutProbabilities
      : task === 'binary'
        ? rocAuc(yTrue, positiveColumn(probabilities, n), 1)
        : rocAucOneVsRest(yTrue, probabilities, labels),
    logLoss: probabilities ? logLoss(yTrue, probabilities, k) : withoutProbabilities,
    confusionMatrix: Array.from({ length: k }, (_, t) => Array.from(confusion.subarray(t * k, (t + 1) * k))),
    perClass,
  };
}

function classCount({ task, yTrue, yPred, probabilities, classes }: ClassificationPerformanceInput): number {
  if (classes) return classes.length;
  if (task === 'binary') return 2;
  if (probabilities && yTrue.length > 0) return Math.round(probabilities.length / yTrue.length);
  let max = -1;
  for (let i = 0; i < yTrue.length; i++) max = Math.max(max, yTrue[i]!);
  for (let i = 0; i < yPred.length; i++) max = Math.max(max, yPred[i]!);
  return Number.isInteger(max) ? max + 1 : 0;
}

function positiveColumn(probabilities: Float64Array, n: number): Float64Array {
  const column = new Float64Array(n);
  for (let i = 0; i < n; i++) column[i] = probabilities[i * 2 + 1]!;
  return column;
}

function invalidIndex(values: ArrayLike<number>, k: number, name: string, reasons: string[]): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(Number.isInteger(v) && v >= 0 && v < k)) {
      reasons.push(`${name} row ${i} is ${v}; class indexes run 0..${k - 1}`);
      return;
    }
  }
}

function firstNonFinite(values: ArrayLike<number>, name: string, reasons: string[]): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) {
      reasons.push(`${name} row ${i} is ${values[i]}; values must be finite`);
      return;
    }
  }
}
