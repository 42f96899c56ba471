import { describe, expect, it } from 'vitest';
import { accuracy, higherIsBetter, logLoss, rmse, rocAuc, rSquared, score, type PerformanceMetric } from '../../../src/analytics/explain/performance-metrics.js';

const f = (values: number[]) => Float64Array.from(values);

describe('score dispatches to each metric', () => {
  const y = f([0, 0, 1, 1]);
  const p = f([0.1, 0.6, 0.35, 0.8]);
  it.each([
    // accuracy: predictions (p >= 0.5) 0, 1, 0, 1 against 0, 0, 1, 1: 2 of 4.
    ['accuracy', 0.5],
    // log-loss: -(ln 0.9 + ln 0.4 + ln 0.35 + ln 0.8) / 4
    ['log-loss', -(Math.log(0.9) + Math.log(0.4) + Math.log(0.35) + Math.log(0.8)) / 4],
    // roc-auc: (pos, neg) pairs 0.35 > 0.1, 0.35 < 0.6, 0.8 > 0.1, 0.8 > 0.6: 3 of 4.
    ['roc-auc', 0.75],
    // rmse: sqrt((0.01 + 0.36 + 0.4225 + 0.04) / 4) = sqrt(0.208125)
    ['rmse', Math.sqrt(0.208125)],
    // r2: SS_res = 0.8325, SS_tot = 4 * 0.25 = 1 -> 1 - 0.8325 = 0.1675
    ['r2', 0.1675],
  ] as [PerformanceMetric, number][])('%s', (metric, expected) => {
    expect(score(metric, y, p)).toBeCloseTo(expected, 12);
  });

  it('refuses an unknown metric by name', () => {
    expect(() => score('mae' as PerformanceMetric, y, p)).toThrow(/^unknown metric mae$/);
  });

  it('says which metrics are losses', () => {
    expect(higherIsBetter).toEqual({ accuracy: true, 'log-loss': false, 'roc-auc': true, rmse: false, r2: true });
  });
});

describe('accuracy', () => {
  it('counts p >= 0.5 as the positive class, as its definition says', () => {
    // p = 0.5 is predicted 1: a hit for y = 1, a miss for y = 0. p just below 0.5 is predicted 0.
    expect(accuracy(f([1]), f([0.5]))).toBe(1);
    expect(accuracy(f([0]), f([0.5]))).toBe(0);
    expect(accuracy(f([0, 1, 1]), f([0.4999999, 0.5, 0.9]))).toBe(1);
  });
});

describe('log-loss clips probabilities to [1e-15, 1 - 1e-15] (scikit-learn’s former eps)', () => {
  it('stays finite for a confident wrong prediction', () => {
    // y = 0, p = 1 is clipped to 1 - 1e-15: loss = -ln(1 - (1 - 1e-15)) = -ln(9.992e-16) ~ 34.54, not Infinity.
    const loss = logLoss(f([0]), f([1]));
    expect(Number.isFinite(loss)).toBe(true);
    expect(loss).toBeCloseTo(-Math.log(1 - (1 - 1e-15)), 9);
    expect(loss).toBeGreaterThan(34.5);
    expect(loss).toBeLessThan(34.6);
    // y = 1, p = 0 is clipped to 1e-15: -ln(1e-15) = 15 ln 10 = 34.5388.
    expect(logLoss(f([1]), f([0]))).toBeCloseTo(15 * Math.LN10, 9);
    // A right prediction at the clip costs almost nothing.
    expect(logLoss(f([1, 0]), f([1, 0]))).toBeLessThan(1e-14);
  });
});

describe('ROC AUC (Mann-Whitney with midranks)', () => {
  it('counts a tie between a positive and a negative as one half', () => {
    expect(rocAuc(f([1, 0]), f([0.5, 0.5]))).toBe(0.5);
    expect(rocAuc(f([0, 1]), f([0.5, 0.5]))).toBe(0.5);
    // Positive scores 0.2, 0.7, 0.7; negatives 0.7, 0.1: pairs won 1 (0.2 > 0.1), 1 + 0.5, 1 + 0.5 -> 4 of 6.
    expect(rocAuc(f([1, 1, 0, 1, 0]), f([0.2, 0.7, 0.7, 0.7, 0.1]))).toBeCloseTo(4 / 6, 12);
    // Every score tied: 0.5.
    expect(rocAuc(f([1, 0, 1, 0, 0]), f([3, 3, 3, 3, 3]))).toBe(0.5);
  });

  it('is undefined (NaN) with one class only, where scikit-learn raises', () => {
    expect(rocAuc(f([1, 1]), f([0.2, 0.8]))).toBeNaN();
    expect(rocAuc(f([0, 0, 0]), f([0.2, 0.8, 0.5]))).toBeNaN();
  });
});

describe('R² for a constant target (scikit-learn r2_score, force_finite=True)', () => {
  it('is 1 for perfect predictions and 0 otherwise', () => {
    expect(rSquared(f([2, 2, 2]), f([2, 2, 2]))).toBe(1);
    expect(rSquared(f([2, 2, 2]), f([2, 2, 3]))).toBe(0);
    expect(rSquared(f([-4]), f([1]))).toBe(0);
  });

  it('is 1 - SS_res / SS_tot otherwise, negative for predictions worse than the mean', () => {
    // y = (0, 2): mean 1, SS_tot = 2; p = (2, 0): SS_res = 8 -> 1 - 4 = -3.
    expect(rSquared(f([0, 2]), f([2, 0]))).toBe(-3);
    expect(rmse(f([0, 2]), f([2, 0]))).toBe(2);
  });
});
