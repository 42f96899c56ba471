import { describe, expect, it } from 'vitest';
import { linearScoringModel, parseLinearModel, ScoringInputError, sigmoid, softmaxInto } from '../../../src/analytics/scoring/linear-model.js';
import { ModelArtifactError } from '../../../src/analytics/scoring/scoring-model.js';

const regression = {
  format: 'raia-linear/v1',
  task: 'regression',
  link: 'identity',
  featureNames: ['age', 'income'],
  coefficients: [0.5, -1.25],
  intercept: 0.1,
};

const binary = {
  format: 'raia-linear/v1',
  task: 'binary',
  link: 'logistic',
  featureNames: ['a', 'b'],
  coefficients: [1, -1],
  intercept: 0,
  classes: ['rejected', 'accepted'],
};

const multiclass = {
  format: 'raia-linear/v1',
  task: 'multiclass',
  link: 'softmax',
  featureNames: ['a', 'b'],
  coefficients: [
    [1, 0],
    [0, 1],
    [0, 0],
  ],
  intercept: [0, 0, Math.LN2],
  classes: ['setosa', 'versicolor', 'virginica'],
};

const score = (json: unknown, rows: number[][]) =>
  linearScoringModel(parseLinearModel(json)).score(Float64Array.from(rows.flat()), rows.length);

describe('parseLinearModel + linearScoringModel', () => {
  it('scores a regression as intercept + Σ coefficient × feature', async () => {
    const model = linearScoringModel(parseLinearModel(regression));
    expect(model.task).toBe('regression');
    expect(model.classes).toBeNull();
    expect(model.featureNames).toEqual(['age', 'income']);
    const out = await model.score(Float64Array.of(2, 4, 0, 0, -2, 1), 3);
    // 0.1 + 0.5·2 − 1.25·4 = −3.9; 0.1; 0.1 − 1 − 1.25 = −2.15
    expect(Array.from(out.predictions)).toEqual([expect.closeTo(-3.9, 12), 0.1, expect.closeTo(-2.15, 12)]);
    expect(out.probabilities).toBeNull();
  });

  it('scores a binary logistic model: P(classes[1]) = sigmoid(z), predicts class 1 only when z > 0', async () => {
    // z = ln 3 → P = 3/4; z = 0 → P = 1/2, predicted negative as scikit-learn does; z = −ln 3 → 1/4.
    const out = await score(binary, [
      [Math.log(3), 0],
      [0, 0],
      [0, Math.log(3)],
    ]);
    expect(Array.from(out.predictions)).toEqual([1, 0, 0]);
    const expected = [0.25, 0.75, 0.5, 0.5, 0.75, 0.25];
    out.probabilities!.forEach((p, i) => expect(p).toBeCloseTo(expected[i]!, 14));
  });

  it('scores a multiclass softmax model with rows summing to 1 and first-argmax predictions', async () => {
    // z = (ln2, 0, ln2) → (2, 1, 2)/5, tie → class 0; z = (0, ln4, ln2) → (1, 4, 2)/7 → class 1.
    const out = await score(multiclass, [
      [Math.LN2, 0],
      [0, Math.log(4)],
    ]);
    expect(Array.from(out.predictions)).toEqual([0, 1]);
    const expected = [0.4, 0.2, 0.4, 1 / 7, 4 / 7, 2 / 7];
    out.probabilities!.forEach((p, i) => expect(p).toBeCloseTo(expected[i]!, 14));
    for (let r = 0; r < 2; r++) expect(out.probabilities![r * 3]! + out.probabilities![r * 3 + 1]! + out.probabilities![r * 3 + 2]!).toBeCloseTo(1, 15);
  });

  it('keeps the sigmoid finite and exact at large |z|', async () => {
    const one = { ...binary, featureNames: ['z'], coefficients: [1] };
    const out = await score(one, [[800], [-800], [40]]);
    expect(Array.from(out.probabilities!.subarray(0, 4))).toEqual([0, 1, 1, 0]);
    expect(Array.from(out.predictions)).toEqual([1, 0, 1]);
    // P(negative) at z = 40 is e^−40 / (1 + e^−40), which 1 − P(positive) would round to 0.
    expect(out.probabilities![4]! / Math.exp(-40)).toBeCloseTo(1, 12);
  });

  it('keeps the softmax finite at large |z|', async () => {
    const big = { ...multiclass, coefficients: [[1000, 0], [999, 0], [-1000, 0]], intercept: [0, 0, 0] };
    const out = await score(big, [[1, 0], [-1, 0]]);
    const e = Math.exp(-1);
    const expected = [1 / (1 + e), e / (1 + e), 0, 0, 0, 1];
    out.probabilities!.forEach((p, i) => expect(p).toBeCloseTo(expected[i]!, 14));
    expect(Array.from(out.predictions)).toEqual([0, 2]);
  });

  it('accepts numeric class labels as their decimal strings and ignores unknown keys', () => {
    const model = parseLinearModel({ ...binary, classes: [0, 1], description: 'credit model' });
    expect(model.classes).toEqual(['0', '1']);
  });

  it('refuses a missing value, naming the row and the feature', async () => {
    const model = linearScoringModel(parseLinearModel(regression));
    const error = await model.score(Float64Array.of(1, 2, 3, NaN), 2).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScoringInputError);
    expect(error).toMatchObject({ row: 1, feature: 'income' });
    expect((error as Error).message).toBe('row 1, feature "income": NaN is not allowed; linear models take no missing or infinite values');
    await expect(model.score(Float64Array.of(Infinity, 0), 1)).rejects.toMatchObject({ row: 0, feature: 'age' });
  });

  it('refuses a feature matrix whose size does not match nRows × features', async () => {
    const model = linearScoringModel(parseLinearModel(regression));
    await expect(model.score(Float64Array.of(1, 2, 3), 2)).rejects.toBeInstanceOf(ScoringInputError);
    await expect(model.score(Float64Array.of(1, 2, 3), 2)).rejects.toMatchObject({
      name: 'ScoringInputError',
      code: 'SCORING_INPUT_INVALID',
      row: null,
      feature: null,
      message: '3 feature values for 2 rows of 2 features',
    });
    await expect(model.score(new Float64Array(0), -1)).rejects.toMatchObject({ message: 'nRows must be a non-negative integer, got -1' });
    await expect(model.score(Float64Array.of(1, 2, 3), 1.5)).rejects.toMatchObject({ message: 'nRows must be a non-negative integer, got 1.5' });
    await expect(model.score(new Float64Array(0), 0)).resolves.toMatchObject({ predictions: new Float64Array(0) });
  });
});

describe('parseLinearModel refuses a malformed document, naming the field', () => {
  const cases: [string, unknown, string, string][] = [
    ['null', null, '$', 'must be a JSON object'],
    ['a string', 'raia-linear/v1', '$', 'must be a JSON object'],
    ['not an object', [1, 2], '$', 'must be a JSON object'],
    ['wrong format', { ...regression, format: 'raia-linear/v2' }, 'format', 'must be "raia-linear/v1"'],
    ['unknown task', { ...regression, task: 'ranking' }, 'task', 'must be "regression", "binary" or "multiclass"'],
    ['link that does not fit the task', { ...regression, link: 'logistic' }, 'link', 'must be "identity" for task "regression"'],
    ['binary with softmax', { ...binary, link: 'softmax' }, 'link', 'must be "logistic" for task "binary"'],
    ['multiclass with logistic', { ...multiclass, link: 'logistic' }, 'link', 'must be "softmax" for task "multiclass"'],
    ['no feature names', { ...regression, featureNames: [] }, 'featureNames', 'must be a non-empty array of strings'],
    ['a non-string feature name', { ...regression, featureNames: ['age', 3] }, 'featureNames[1]', 'must be a non-empty string'],
    ['a duplicate feature name', { ...regression, featureNames: ['age', 'age'] }, 'featureNames[1]', '"age" appears twice'],
    ['coefficients missing', { ...regression, coefficients: undefined }, 'coefficients', 'must be an array of 2 numbers (one per entry of featureNames)'],
    ['too few coefficients', { ...regression, coefficients: [1] }, 'coefficients', 'has 1 entries; featureNames has 2'],
    ['a non-numeric coefficient', { ...regression, coefficients: [1, '2'] }, 'coefficients[1]', 'must be a finite number'],
    ['a null coefficient', { ...regression, coefficients: [null, 2] }, 'coefficients[0]', 'must be a finite number'],
    ['a non-finite intercept', { ...regression, intercept: Number.NaN }, 'intercept', 'must be a finite number'],
    ['classes on a regression', { ...regression, classes: ['a', 'b'] }, 'classes', 'must be absent for a regression model'],
    ['binary without classes', { ...binary, classes: undefined }, 'classes', 'is required for a binary model'],
    ['binary with three classes', { ...binary, classes: ['a', 'b', 'c'] }, 'classes', 'a binary model has exactly 2 classes, got 3'],
    ['a duplicate class', { ...binary, classes: ['a', 'a'] }, 'classes[1]', '"a" appears twice'],
    ['an object as class label', { ...binary, classes: ['a', {}] }, 'classes[1]', 'must be a string or a finite number'],
    ['multiclass with two classes', { ...multiclass, classes: ['a', 'b'] }, 'classes', 'a multiclass model has at least 3 classes, got 2 (use task "binary" for two)'],
    ['multiclass coefficients not an array', { ...multiclass, coefficients: 'x' }, 'coefficients', 'must be an array of 3 arrays (one per class)'],
    ['multiclass without classes', { ...multiclass, classes: null }, 'classes', 'is required for a multiclass model'],
    ['feature names not an array', { ...regression, featureNames: 'age' }, 'featureNames', 'must be a non-empty array of strings'],
    ['an empty feature name', { ...regression, featureNames: ['age', ''] }, 'featureNames[1]', 'must be a non-empty string'],
    ['an infinite class label', { ...binary, classes: ['a', Infinity] }, 'classes[1]', 'must be a string or a finite number'],
    ['a number and its decimal string as two labels', { ...binary, classes: [1, '1'] }, 'classes[1]', '"1" appears twice'],
    ['multiclass coefficients flat', { ...multiclass, coefficients: [1, 0] }, 'coefficients', 'has 2 rows; classes has 3'],
    ['multiclass coefficients with a short row', { ...multiclass, coefficients: [[1, 0], [0], [0, 0]] }, 'coefficients[1]', 'has 1 entries; featureNames has 2'],
    ['multiclass coefficients with a bad entry', { ...multiclass, coefficients: [[1, 0], [0, 1], [0, true]] }, 'coefficients[2][1]', 'must be a finite number'],
    ['multiclass scalar intercept', { ...multiclass, intercept: 0 }, 'intercept', 'must be an array of 3 numbers (one per entry of classes)'],
    ['multiclass intercept of wrong length', { ...multiclass, intercept: [0, 0] }, 'intercept', 'has 2 entries; classes has 3'],
    ['multiclass intercept with a bad entry', { ...multiclass, intercept: [0, 'x', 0] }, 'intercept[1]', 'must be a finite number'],
  ];
  it.each(cases)('%s → %s', (_name, json, field, message) => {
    let thrown: unknown;
    try {
      parseLinearModel(json);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ModelArtifactError);
    expect((thrown as ModelArtifactError).field).toBe(field);
    expect((thrown as ModelArtifactError).name).toBe('ModelArtifactError');
    expect((thrown as ModelArtifactError).message).toBe(`${field}: ${message}`);
  });
});

describe('sigmoid and softmax', () => {
  it('keeps a sigmoid far below 0 as the subnormal e^z instead of 1 / (1 + ∞) = 0', () => {
    // e^−720 ≈ 1.9e−313 is subnormal but not 0; 1 + e^720 overflows to ∞.
    expect(sigmoid(-720)).toBeGreaterThan(0);
    expect(sigmoid(-720)).toBe(Math.exp(-720));
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoid(720)).toBe(1);
  });

  it('writes exactly z.length probabilities at the offset and leaves the rest of the buffer alone', () => {
    const out = Float64Array.of(9, 9, 9, 9, 9, 9);
    const argmax = softmaxInto(Float64Array.of(0, Math.LN2, 0), out, 1);
    expect(argmax).toBe(1);
    // e^0 : e^ln2 : e^0 = 1 : 2 : 1.
    expect(Array.from(out)).toEqual([9, 0.25, 0.5, 0.25, 9, 9]);
    // Ties go to the first largest.
    expect(softmaxInto(Float64Array.of(1, 3, 3), new Float64Array(3), 0)).toBe(1);
  });

  it('accepts an explicit null for the classes of a regression', () => {
    expect(parseLinearModel({ ...regression, classes: null }).classes).toBeNull();
  });
});

