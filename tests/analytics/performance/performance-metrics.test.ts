import { describe, expect, it } from 'vitest';
import { performanceMetrics, PerformanceInputError } from '../../../src/analytics/performance/performance-metrics.js';

describe('performanceMetrics', () => {
  it('reports the binary set for the positive class (classes[1])', () => {
    const report = performanceMetrics({
      task: 'binary',
      yTrue: Int32Array.of(0, 0, 1, 1),
      yPred: Int32Array.of(0, 1, 0, 1),
      probabilities: Float64Array.of(0.9, 0.1, 0.6, 0.4, 0.65, 0.35, 0.2, 0.8),
      classes: ['ham', 'spam'],
    });
    expect(report).toMatchObject({
      task: 'binary',
      rows: 4,
      classes: ['ham', 'spam'],
      averaging: 'binary',
      accuracy: { value: 0.5 },
      precision: { value: 0.5 },
      recall: { value: 0.5 },
      f1: { value: 0.5 },
      rocAuc: { value: 0.75 },
      confusionMatrix: [
        [1, 1],
        [1, 1],
      ],
    });
    expect(report.logLoss.value).toBeCloseTo(-(Math.log(0.9) + Math.log(0.6) + Math.log(0.35) + Math.log(0.8)) / 4, 14);
    expect(report.perClass.map((c) => [c.label, c.support])).toEqual([
      ['ham', 2],
      ['spam', 2],
    ]);
  });

  it('reports macro averages and one-vs-rest AUC for multiclass', () => {
    const report = performanceMetrics({
      task: 'multiclass',
      yTrue: [0, 1, 2, 0],
      yPred: [0, 1, 2, 1],
      probabilities: Float64Array.of(0.6, 0.3, 0.1, 0.2, 0.7, 0.1, 0.3, 0.3, 0.4, 0.3, 0.4, 0.3),
    });
    expect(report.classes).toEqual(['0', '1', '2']);
    expect(report.averaging).toBe('macro');
    expect(report.accuracy.value).toBe(0.75);
    // Class 0: P 1, R 1/2; class 1: P 1/2, R 1; class 2: P 1, R 1.
    expect(report.precision.value).toBeCloseTo(2.5 / 3, 15);
    expect(report.recall.value).toBeCloseTo(2.5 / 3, 15);
    expect(report.rocAuc.value).toBeCloseTo(2.875 / 3, 14);
  });

  it('gives AUC and log loss as null with a reason when there are no probabilities, and AUC when yTrue has one class', () => {
    const noProbabilities = performanceMetrics({ task: 'binary', yTrue: [0, 1], yPred: [0, 1] });
    expect(noProbabilities.rocAuc).toEqual({ value: null, reason: 'needs predicted probabilities' });
    expect(noProbabilities.logLoss.value).toBeNull();
    const oneClass = performanceMetrics({ task: 'binary', yTrue: [1, 1], yPred: [1, 0], probabilities: Float64Array.of(0.2, 0.8, 0.6, 0.4) });
    expect(oneClass.rocAuc.value).toBeNull();
    expect(oneClass.rocAuc.reason).toMatch(/both classes/);
    expect(oneClass.logLoss.value).toBeCloseTo(-(Math.log(0.8) + Math.log(0.4)) / 2, 14);
  });

  it('reports the regression set', () => {
    const report = performanceMetrics({ task: 'regression', yTrue: Float64Array.of(3, -0.5, 2, 7), yPred: Float64Array.of(2.5, 0, 2, 8) });
    expect(report).toMatchObject({ task: 'regression', rows: 4, mse: { value: 0.375 }, mae: { value: 0.5 } });
    expect(report.r2.value).toBeCloseTo(0.9486081370449679, 15);
    expect(report.rmse.value).toBeCloseTo(Math.sqrt(0.375), 15);
    expect(report.mape.value).toBeCloseTo(0.3273809523809524, 15);
  });

  it('gives every metric as null for no rows', () => {
    const report = performanceMetrics({ task: 'binary', yTrue: [], yPred: [], probabilities: new Float64Array(0) });
    for (const metric of [report.accuracy, report.precision, report.recall, report.f1, report.rocAuc, report.logLoss]) expect(metric.value).toBeNull();
    const regression = performanceMetrics({ task: 'regression', yTrue: [], yPred: [] });
    for (const metric of [regression.mse, regression.rmse, regression.mae, regression.r2, regression.mape]) expect(metric.value).toBeNull();
  });

  it('refuses malformed input with every reason', () => {
    const attempt = () =>
      performanceMetrics({ task: 'binary', yTrue: [0, 2], yPred: [0], probabilities: Float64Array.of(0.5, 0.5, 1.5, -0.5), classes: ['a', 'b'] });
    expect(attempt).toThrow(PerformanceInputError);
    try {
      attempt();
    } catch (error) {
      expect((error as PerformanceInputError).reasons).toEqual([
        'yPred has 1 values for 2 rows',
        'yTrue row 1 is 2; class indexes run 0..1',
        'probabilities row 1 class 0 is 1.5, outside [0, 1]',
      ]);
    }
    expect(() => performanceMetrics({ task: 'binary', yTrue: [0], yPred: [0], classes: ['a', 'b', 'c'] })).toThrow(/binary task has 2 classes/);
    expect(() => performanceMetrics({ task: 'regression', yTrue: [1, NaN], yPred: [1, 2] })).toThrow(/yTrue row 1 is NaN/);
  });

  /** The reasons a malformed input is refused with (every one, in order). */
  function reasonsOf(attempt: () => unknown): string[] {
    try {
      attempt();
    } catch (error) {
      expect(error).toBeInstanceOf(PerformanceInputError);
      return (error as PerformanceInputError).reasons;
    }
    throw new Error('expected the input to be refused');
  }

  it('names the error, its code and every reason in its message', () => {
    const attempt = () => performanceMetrics({ task: 'regression', yTrue: [1, 2], yPred: [1] });
    expect(attempt).toThrow(PerformanceInputError);
    try {
      attempt();
    } catch (error) {
      const refusal = error as PerformanceInputError;
      expect(refusal.name).toBe('PerformanceInputError');
      expect(refusal.code).toBe('PERFORMANCE_INPUT_INVALID');
      expect(refusal.message).toBe('invalid performance input: yPred has 1 values for 2 rows');
    }
    expect(() => performanceMetrics({ task: 'regression', yTrue: [1, Infinity], yPred: [2] })).toThrow(
      'invalid performance input: yPred has 1 values for 2 rows; yTrue row 1 is Infinity; values must be finite',
    );
    expect(reasonsOf(() => performanceMetrics({ task: 'regression', yTrue: [1, Infinity], yPred: [2] }))).toEqual([
      'yPred has 1 values for 2 rows',
      'yTrue row 1 is Infinity; values must be finite',
    ]);
    expect(reasonsOf(() => performanceMetrics({ task: 'regression', yTrue: [1, 2], yPred: [1, NaN] }))).toEqual(['yPred row 1 is NaN; values must be finite']);
  });

  it('refuses class indexes that are not integers in 0..k-1, in yTrue and in yPred', () => {
    const binary = (yTrue: number[], yPred: number[]) => () => performanceMetrics({ task: 'binary', yTrue, yPred });
    expect(reasonsOf(binary([0, 0.5], [0, 1]))).toEqual(['yTrue row 1 is 0.5; class indexes run 0..1']);
    expect(reasonsOf(binary([0, 1], [-1, 1]))).toEqual(['yPred row 0 is -1; class indexes run 0..1']);
    expect(reasonsOf(binary([0, 1], [1, 2]))).toEqual(['yPred row 1 is 2; class indexes run 0..1']);
    // 0 and k − 1 are valid.
    expect(performanceMetrics({ task: 'binary', yTrue: [0, 1], yPred: [1, 0] }).accuracy.value).toBe(0);
  });

  it('refuses fewer than two classes and a probability table of the wrong size', () => {
    expect(reasonsOf(() => performanceMetrics({ task: 'multiclass', yTrue: [0], yPred: [0], classes: ['only'] }))).toEqual([
      'classification needs at least 2 classes, got 1',
    ]);
    expect(
      reasonsOf(() => performanceMetrics({ task: 'multiclass', yTrue: [0, 1], yPred: [0, 1], probabilities: Float64Array.of(0.5, 0.5, 0.5), classes: ['a', 'b'] })),
    ).toEqual(['probabilities has 3 values for 2 rows × 2 classes']);
  });

  it('accepts probabilities of exactly 0 and 1, refuses any below 0 or NaN', () => {
    const report = performanceMetrics({ task: 'binary', yTrue: [0, 1], yPred: [0, 1], probabilities: Float64Array.of(1, 0, 0, 1) });
    expect(report.rocAuc.value).toBe(1);
    // Each true-class probability 1 is clipped to 1 − 1e-15 (scikit-learn's eps): −ln(1 − 1e-15) ≈ 1e-15.
    expect(report.logLoss.value).toBeCloseTo(-Math.log(1 - 1e-15), 25);
    const refused = (probabilities: Float64Array) => () => performanceMetrics({ task: 'binary', yTrue: [0, 1], yPred: [0, 1], probabilities });
    expect(reasonsOf(refused(Float64Array.of(0.5, 0.5, -0.25, 0.5)))).toEqual(['probabilities row 1 class 0 is -0.25, outside [0, 1]']);
    expect(reasonsOf(refused(Float64Array.of(0.5, NaN, 0.5, 0.5)))).toEqual(['probabilities row 0 class 1 is NaN, outside [0, 1]']);
  });

  it('reports binary precision, recall and F1 of the positive class, not their macro average', () => {
    // Confusion [[2, 0], [1, 1]]: class 1 has P 1, R ½, F1 2/3; class 0 has P 2/3, R 1, F1 0.8.
    const report = performanceMetrics({ task: 'binary', yTrue: [0, 0, 1, 1], yPred: [0, 0, 0, 1] });
    expect(report.precision.value).toBe(1);
    expect(report.recall.value).toBe(0.5);
    expect(report.f1.value).toBeCloseTo(2 / 3, 15);
    const multiclass = performanceMetrics({ task: 'multiclass', yTrue: [0, 0, 1, 1], yPred: [0, 0, 0, 1] });
    expect(multiclass.precision.value).toBeCloseTo((1 + 2 / 3) / 2, 15);
    expect(multiclass.recall.value).toBe(0.75);
  });

  it('counts the classes from the probability columns when no labels are given', () => {
    // Two rows, three columns: three classes although only indexes 0 and 1 occur.
    const report = performanceMetrics({
      task: 'multiclass',
      yTrue: [0, 1],
      yPred: [0, 1],
      probabilities: Float64Array.of(0.7, 0.2, 0.1, 0.2, 0.7, 0.1),
    });
    expect(report.classes).toEqual(['0', '1', '2']);
    expect(report.confusionMatrix).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 0],
    ]);
    // No rows and no labels: nothing to count classes from.
    expect(reasonsOf(() => performanceMetrics({ task: 'multiclass', yTrue: [], yPred: [], probabilities: new Float64Array(0) }))).toEqual([
      'classification needs at least 2 classes, got 0',
    ]);
  });

  it('counts the classes from the largest index in yTrue or yPred when there are neither labels nor probabilities', () => {
    expect(performanceMetrics({ task: 'multiclass', yTrue: [0, 1], yPred: [2, 0] }).classes).toEqual(['0', '1', '2']);
    expect(performanceMetrics({ task: 'multiclass', yTrue: [3, 0], yPred: [0, 1] }).classes).toEqual(['0', '1', '2', '3']);
    expect(reasonsOf(() => performanceMetrics({ task: 'multiclass', yTrue: [0, 0], yPred: [0, 0] }))).toEqual([
      'classification needs at least 2 classes, got 1',
    ]);
    // A non-integer index leaves no class count; the index itself is refused too.
    expect(reasonsOf(() => performanceMetrics({ task: 'multiclass', yTrue: [0, 1.5], yPred: [0, 1] }))).toEqual([
      'classification needs at least 2 classes, got 0',
      'yTrue row 0 is 0; class indexes run 0..-1',
      'yPred row 0 is 0; class indexes run 0..-1',
    ]);
  });

  it('gives macro precision, recall and F1 as null when no class occurs (no rows)', () => {
    const report = performanceMetrics({ task: 'multiclass', yTrue: [], yPred: [], classes: ['a', 'b', 'c'] });
    expect(report.precision).toEqual({ value: null, reason: 'no rows' });
    expect(report.recall).toEqual({ value: null, reason: 'no rows' });
    expect(report.f1).toEqual({ value: null, reason: 'no rows' });
    expect(report.accuracy).toEqual({ value: null, reason: 'no rows' });
  });
});
