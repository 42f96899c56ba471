import { describe, expect, it } from 'vitest';
import {
  meanAbsoluteError,
  meanAbsolutePercentageError,
  meanSquaredError,
  r2Score,
  rootMeanSquaredError,
} from '../../../src/analytics/performance/regression-metrics.js';

// The scikit-learn documentation's running example for regression metrics.
const yTrue = [3, -0.5, 2, 7];
const yPred = [2.5, 0.0, 2, 8];

describe('regression metrics', () => {
  it('match the scikit-learn documentation examples', () => {
    expect(meanSquaredError(yTrue, yPred).value).toBe(0.375);
    expect(rootMeanSquaredError(yTrue, yPred).value).toBeCloseTo(0.6123724356957945, 15);
    expect(meanAbsoluteError(yTrue, yPred).value).toBe(0.5);
    expect(r2Score(yTrue, yPred).value).toBeCloseTo(0.9486081370449679, 15);
    expect(meanAbsolutePercentageError(yTrue, yPred).value).toBeCloseTo(0.3273809523809524, 15);
  });

  it('floors MAPE denominators at machine epsilon as scikit-learn does (huge, not infinite)', () => {
    // scikit-learn documents 112589990684262.48 for this input.
    const mape = meanAbsolutePercentageError([1, 0, 2.4, 7], [1.2, 0.1, 2.4, 8]).value!;
    expect(mape / 112589990684262.48).toBeCloseTo(1, 12);
  });

  it('gives R² of a constant y as 1 when perfect and 0 otherwise (force_finite)', () => {
    expect(r2Score([0.1, 0.1, 0.1], [0.1, 0.1, 0.1]).value).toBe(1);
    expect(r2Score([0.1, 0.1, 0.1], [0.1, 0.2, 0.1]).value).toBe(0);
  });

  it('gives R² of the mean predictor as 0 and of a worse one a negative value', () => {
    expect(r2Score([1, 2, 3], [2, 2, 2]).value).toBe(0);
    // Σ residual² = 4 + 0 + 4 = 8, Σ spread² = 2 → 1 − 4 = −3.
    expect(r2Score([1, 2, 3], [3, 2, 1]).value).toBe(-3);
  });

  it('is null with a reason where undefined', () => {
    expect(r2Score([1], [1])).toEqual({ value: null, reason: expect.stringMatching(/fewer than two rows/) });
    expect(meanSquaredError([], []).value).toBeNull();
    expect(meanAbsoluteError([], []).reason).toBe('no rows');
    expect(meanSquaredError([], []).reason).toBe('no rows');
    expect(rootMeanSquaredError([], []).reason).toBe('no rows');
    expect(meanAbsolutePercentageError([], [])).toEqual({ value: null, reason: 'no rows' });
    expect(r2Score([], []).reason).toBe('R² is not defined for fewer than two rows (got 0)');
  });

  it('defines R² from two rows on', () => {
    // ȳ = 2, Σ spread² = 2, Σ residual² = 0 + 1 → 1 − ½.
    expect(r2Score([1, 3], [1, 2]).value).toBe(0.5);
  });

  it('treats a zero denominator as constant y even when y is not constant (force_finite)', () => {
    // 5e-324 squared underflows to 0, so Σ(y − ȳ)² is exactly 0 although y varies: scikit-learn's
    // force_finite then answers 1 for a zero numerator and 0 otherwise, never NaN or −∞.
    expect(r2Score([0, 5e-324], [0, 0]).value).toBe(1);
    expect(r2Score([0, 5e-324], [1, 0]).value).toBe(0);
  });
});
