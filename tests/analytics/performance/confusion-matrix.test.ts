import { describe, expect, it } from 'vitest';
import {
  accuracy,
  classCounts,
  confusionMatrix,
  macroPrecisionRecallF1,
  precisionRecallF1,
} from '../../../src/analytics/performance/confusion-matrix.js';
import { logLoss } from '../../../src/analytics/performance/log-loss.js';

describe('confusion matrix and the metrics read from it', () => {
  it('counts [true][predicted] (scikit-learn documentation example)', () => {
    const m = confusionMatrix([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2], 3);
    expect(Array.from(m)).toEqual([2, 0, 0, 0, 0, 1, 1, 0, 2]);
  });

  it('computes accuracy (scikit-learn example: 0.5)', () => {
    expect(accuracy(confusionMatrix([0, 1, 2, 3], [0, 2, 1, 3], 4), 4).value).toBe(0.5);
    expect(accuracy(confusionMatrix([], [], 2), 2).value).toBeNull();
  });

  it('computes binary precision, recall and F1 for the positive class (hand-computed)', () => {
    // tp = 2 (rows 0, 4), fp = 1 (row 3), fn = 1 (row 1).
    const m = confusionMatrix([1, 1, 0, 0, 1, 0], [1, 0, 0, 1, 1, 0], 2);
    const counts = classCounts(m, 2, 1);
    expect(counts).toEqual({ truePositives: 2, falsePositives: 1, falseNegatives: 1, support: 3 });
    const { precision, recall, f1 } = precisionRecallF1(counts, '1');
    expect([precision.value, recall.value, f1.value]).toEqual([2 / 3, 2 / 3, 2 / 3]);
    // tp = 1, fp = 0, fn = 2 → P = 1, R = 1/3, F1 = 2·1/(2 + 0 + 2) = 1/2.
    const other = precisionRecallF1(classCounts(confusionMatrix([1, 1, 1, 0], [1, 0, 0, 0], 2), 2, 1), '1');
    expect([other.precision.value, other.recall.value, other.f1.value]).toEqual([1, 1 / 3, 0.5]);
  });

  it('gives null with a reason where scikit-learn would divide by zero', () => {
    const neverPredicted = precisionRecallF1(classCounts(confusionMatrix([1, 0], [0, 0], 2), 2, 1), 'yes');
    expect(neverPredicted.precision).toEqual({ value: null, reason: 'class yes is never predicted' });
    expect(neverPredicted.recall.value).toBe(0);
    expect(neverPredicted.f1.value).toBe(0);
    const absent = precisionRecallF1(classCounts(confusionMatrix([0, 0], [0, 0], 2), 2, 1), 'yes');
    expect(absent.recall).toEqual({ value: null, reason: 'class yes never occurs in yTrue' });
    expect(absent.f1).toEqual({ value: null, reason: 'class yes is neither predicted nor occurs in yTrue' });
    expect(accuracy(confusionMatrix([], [], 2), 2)).toEqual({ value: null, reason: 'no rows' });
  });

  it('macro-averages over classes present (scikit-learn example: P 0.22…, R 0.33…, F1 0.26…)', () => {
    const m = confusionMatrix([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1], 3);
    const macro = macroPrecisionRecallF1(m, 3, ['0', '1', '2']);
    // Class 0: P 2/3, R 1, F1 4/5; classes 1 and 2: all 0.
    expect(macro.precision.value).toBeCloseTo(2 / 9, 15);
    expect(macro.recall.value).toBeCloseTo(1 / 3, 15);
    expect(macro.f1.value).toBeCloseTo(0.8 / 3, 15);
  });

  it('leaves a class absent from both yTrue and yPred out of the macro mean', () => {
    const m = confusionMatrix([0, 1], [0, 1], 3);
    expect(macroPrecisionRecallF1(m, 3, ['a', 'b', 'c']).f1.value).toBe(1);
  });
});

describe('logLoss', () => {
  it('matches the scikit-learn documentation example (0.21616…)', () => {
    // ["spam", "ham", "ham", "spam"] with classes sorted [ham, spam].
    const probabilities = Float64Array.of(0.1, 0.9, 0.9, 0.1, 0.8, 0.2, 0.35, 0.65);
    const loss = logLoss([1, 0, 0, 1], probabilities, 2).value!;
    expect(loss).toBeCloseTo(0.21616, 5);
    expect(loss).toBeCloseTo(-(2 * Math.log(0.9) + Math.log(0.8) + Math.log(0.65)) / 4, 15);
  });

  it('clips probabilities to [1e-15, 1 − 1e-15]', () => {
    expect(logLoss([0], Float64Array.of(0, 1), 2).value).toBeCloseTo(-Math.log(1e-15), 12);
    expect(logLoss([1], Float64Array.of(0, 1), 2).value).toBeCloseTo(-Math.log(1 - 1e-15), 20);
    expect(logLoss([], new Float64Array(0), 2)).toEqual({ value: null, reason: 'no rows' });
  });
});
