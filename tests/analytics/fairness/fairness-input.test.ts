import { describe, expect, it } from 'vitest';
import {
  FairnessInputError,
  validateAttributes,
  validateClassificationInput,
  validateRegressionInput,
  type ClassificationInput,
  type RegressionInput,
} from '../../../src/analytics/fairness/fairness-input.js';

/** The reasons an input is refused with, or [] when it is accepted. */
function reasonsOf(run: () => void): string[] {
  try {
    run();
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(FairnessInputError);
    return (error as FairnessInputError).reasons;
  }
}

const sex = (codes: number[], labels: string[] = ['F', 'M']) => ({ name: 'sex', codes: Int32Array.from(codes), labels });

function classification(overrides: Partial<ClassificationInput> = {}): ClassificationInput {
  return { yTrue: Uint8Array.of(0, 1, 1), yPred: Uint8Array.of(1, 1, 0), attributes: [sex([0, 1, 1])], ...overrides };
}

function regression(overrides: Partial<RegressionInput> = {}): RegressionInput {
  return { yTrue: Float64Array.of(0.5, 2, -1), yPred: Float64Array.of(1, 2, 3), attributes: [sex([0, 1, 1])], ...overrides };
}

describe('FairnessInputError', () => {
  it('carries its code, name and every reason in the message', () => {
    const error = new FairnessInputError(['a is wrong', 'b is wrong']);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('FAIRNESS_INPUT_INVALID');
    expect(error.name).toBe('FairnessInputError');
    expect(error.message).toBe('invalid fairness input: a is wrong; b is wrong');
    expect(error.reasons).toEqual(['a is wrong', 'b is wrong']);
  });
});

describe('validateAttributes', () => {
  const check = (attributes: Parameters<typeof validateAttributes>[0], rows = 3) => {
    const reasons: string[] = [];
    validateAttributes(attributes, rows, reasons);
    return reasons;
  };

  it('accepts codes from 0 to levels − 1', () => {
    expect(check([sex([0, 1, 0])])).toEqual([]);
    expect(check([sex([0, 1, 1]), { name: 'age', codes: Int32Array.of(2, 0, 1), labels: ['a', 'b', 'c'] }])).toEqual([]);
  });

  it('names each defect', () => {
    expect(check([])).toEqual(['at least one protected attribute is required']);
    expect(check([sex([0, 1, 0]), sex([1, 1, 0])])).toEqual(['attribute sex is given twice']);
    expect(check([sex([0, 1])])).toEqual(['attribute sex has 2 codes for 3 rows']);
    expect(check([sex([], [])], 0)).toEqual(['attribute sex has no labels']);
    expect(check([sex([0, 0, 0], ['F', 'F'])])).toEqual(['attribute sex has duplicate labels']);
  });

  it('reports the first code outside the labels, below or above', () => {
    expect(check([sex([0, 2, 5])])).toEqual(['attribute sex row 1 has code 2, outside 0..1']);
    expect(check([sex([0, 1, -1])])).toEqual(['attribute sex row 2 has code -1, outside 0..1']);
  });
});

describe('validateClassificationInput', () => {
  it('accepts labels 0/1, scores in [0, 1] (both ends) and finite non-negative weights', () => {
    expect(reasonsOf(() => validateClassificationInput(classification({ yScore: Float64Array.of(0, 1, 0.5), sampleWeight: Float64Array.of(0, 2, 0.5) })))).toEqual([]);
  });

  it('refuses an empty input and mismatched lengths', () => {
    expect(reasonsOf(() => validateClassificationInput({ yTrue: new Uint8Array(0), yPred: new Uint8Array(0), attributes: [sex([])] }))).toEqual(['no rows']);
    expect(reasonsOf(() => validateClassificationInput(classification({ yPred: Uint8Array.of(1, 1) })))).toEqual(['yPred has 2 entries for 3 rows']);
    expect(reasonsOf(() => validateClassificationInput(classification({ yScore: Float64Array.of(0.5) })))).toEqual(['yScore has 1 entries for 3 rows']);
    expect(reasonsOf(() => validateClassificationInput(classification({ sampleWeight: Float64Array.of(1, 1, 1, 1) })))).toEqual(['sampleWeight has 4 entries for 3 rows']);
  });

  it('refuses labels other than 0 and 1, naming the first bad row of each column', () => {
    expect(reasonsOf(() => validateClassificationInput(classification({ yTrue: Uint8Array.of(0, 2, 3) })))).toEqual(['yTrue row 1 is 2; labels must be 0 or 1']);
    expect(reasonsOf(() => validateClassificationInput(classification({ yPred: Uint8Array.of(1, 1, 2) })))).toEqual(['yPred row 2 is 2; labels must be 0 or 1']);
  });

  it('refuses scores outside [0, 1] and NaN', () => {
    expect(reasonsOf(() => validateClassificationInput(classification({ yScore: Float64Array.of(0.5, 1.0000001, 2) })))).toEqual(['yScore row 1 is 1.0000001; scores must lie in [0, 1]']);
    expect(reasonsOf(() => validateClassificationInput(classification({ yScore: Float64Array.of(-0.001, 0.5, 0.5) })))).toEqual(['yScore row 0 is -0.001; scores must lie in [0, 1]']);
    expect(reasonsOf(() => validateClassificationInput(classification({ yScore: Float64Array.of(0.5, 0.5, NaN) })))).toEqual(['yScore row 2 is NaN; scores must lie in [0, 1]']);
  });

  it('refuses negative, infinite and NaN weights', () => {
    const message = (row: number, w: number) => [`sampleWeight row ${row} is ${w}; weights must be finite and non-negative`];
    expect(reasonsOf(() => validateClassificationInput(classification({ sampleWeight: Float64Array.of(1, -0.5, -1) })))).toEqual(message(1, -0.5));
    expect(reasonsOf(() => validateClassificationInput(classification({ sampleWeight: Float64Array.of(1, 1, Infinity) })))).toEqual(message(2, Infinity));
    expect(reasonsOf(() => validateClassificationInput(classification({ sampleWeight: Float64Array.of(NaN, 1, 1) })))).toEqual(message(0, NaN));
  });

  it('collects every reason at once', () => {
    expect(reasonsOf(() => validateClassificationInput(classification({ yPred: Uint8Array.of(1), yTrue: Uint8Array.of(0, 1, 7), attributes: [sex([0, 1, 1], ['F', 'F'])] })))).toEqual([
      'yPred has 1 entries for 3 rows',
      'yTrue row 2 is 7; labels must be 0 or 1',
      'attribute sex has duplicate labels',
    ]);
  });
});

describe('validateRegressionInput', () => {
  it('accepts finite values of any sign', () => {
    expect(reasonsOf(() => validateRegressionInput(regression({ sampleWeight: Float64Array.of(1, 0, 3) })))).toEqual([]);
  });

  it('names each defect', () => {
    expect(reasonsOf(() => validateRegressionInput({ yTrue: new Float64Array(0), yPred: new Float64Array(0), attributes: [sex([])] }))).toEqual(['no rows']);
    expect(reasonsOf(() => validateRegressionInput(regression({ yPred: Float64Array.of(1) })))).toEqual(['yPred has 1 entries for 3 rows']);
    expect(reasonsOf(() => validateRegressionInput(regression({ yTrue: Float64Array.of(1, NaN, Infinity) })))).toEqual(['yTrue row 1 is NaN; values must be finite']);
    expect(reasonsOf(() => validateRegressionInput(regression({ yPred: Float64Array.of(1, 2, -Infinity) })))).toEqual(['yPred row 2 is -Infinity; values must be finite']);
    expect(reasonsOf(() => validateRegressionInput(regression({ sampleWeight: Float64Array.of(1, -2, 1) })))).toEqual(['sampleWeight row 1 is -2; weights must be finite and non-negative']);
    expect(reasonsOf(() => validateRegressionInput(regression({ attributes: [sex([0, 3, 1])] })))).toEqual(['attribute sex row 1 has code 3, outside 0..1']);
  });
});
