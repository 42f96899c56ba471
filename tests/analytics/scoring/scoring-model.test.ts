import { describe, expect, it } from 'vitest';
import { ModelArtifactError, scalarOutput, type ScoringModel } from '../../../src/analytics/scoring/scoring-model.js';
import { treeEnsembleScoringModel } from '../../../src/analytics/scoring/tree-ensemble-model.js';
import { parseRaiaTreeEnsemble } from '../../../src/analytics/trees/raia-tree-format.js';

/** A model whose outputs are given by hand: scalarOutput only reads them. */
const given = (task: ScoringModel['task'], classes: string[] | null, predictions: number[], probabilities: number[] | null): ScoringModel => ({
  task,
  featureNames: ['x'],
  classes,
  score: async () => ({ predictions: Float64Array.from(predictions), probabilities: probabilities && Float64Array.from(probabilities) }),
  close: async () => {},
});

describe('scalarOutput', () => {
  it('is the prediction of a regressor', async () => {
    const out = await scalarOutput(given('regression', null, [1.5, -2], null))(new Float64Array(2), 2);
    expect(Array.from(out)).toEqual([1.5, -2]);
  });

  it('is the prediction of a regressor even if it also returned an array of probabilities', async () => {
    const out = await scalarOutput(given('regression', null, [3, 4], [0.1, 0.9, 0.2, 0.8]))(new Float64Array(2), 2);
    expect(Array.from(out)).toEqual([3, 4]);
  });

  it('is the positive-class probability of a binary classifier, and the chosen class of a multiclass one', async () => {
    const binary = given('binary', ['no', 'yes'], [0, 1], [0.8, 0.2, 0.3, 0.7]);
    expect(Array.from(await scalarOutput(binary)(new Float64Array(2), 2))).toEqual([0.2, 0.7]);
    expect(Array.from(await scalarOutput(binary, 0)(new Float64Array(2), 2))).toEqual([0.8, 0.3]);
    const multiclass = given('multiclass', ['a', 'b', 'c'], [0, 2], [0.5, 0.3, 0.2, 0.1, 0.1, 0.8]);
    expect(Array.from(await scalarOutput(multiclass, 2)(new Float64Array(2), 2))).toEqual([0.2, 0.8]);
  });

  it('falls back to the predictions of a classifier without probabilities', async () => {
    const out = await scalarOutput(given('binary', ['no', 'yes'], [1, 0], null))(new Float64Array(2), 2);
    expect(Array.from(out)).toEqual([1, 0]);
  });
});

describe('ModelArtifactError', () => {
  it('names the field first in its message', () => {
    const error = new ModelArtifactError('coefficients[2]', 'must be a finite number');
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'ModelArtifactError', field: 'coefficients[2]', message: 'coefficients[2]: must be a finite number' });
  });
});

describe('tree ensemble as a scoring model', () => {
  /** One stump on x: x <= 0 → leaf −1, else leaf +1 (margin), baseScore 0. */
  const stump = (task: 'binary' | 'regression') =>
    parseRaiaTreeEnsemble({
      format: 'raia-tree-ensemble/v1',
      task,
      decision: '<=',
      aggregation: 'sum',
      baseScore: 0,
      link: task === 'binary' ? 'logistic' : 'identity',
      featureNames: ['x'],
      trees: [
        {
          nodes: [
            { feature: 0, threshold: 0, left: 1, right: 2, missingGoesLeft: true, cover: 2 },
            { leaf: -1, cover: 1 },
            { leaf: 1, cover: 1 },
          ],
        },
      ],
    });

  it('gives a binary ensemble P(class 1) = sigmoid(margin), its complement, and class 1 from 0.5 up', async () => {
    const model = treeEnsembleScoringModel(stump('binary'), ['deny', 'grant']);
    expect(model).toMatchObject({ task: 'binary', featureNames: ['x'], classes: ['deny', 'grant'] });
    const out = await model.score(Float64Array.of(-5, 5), 2);
    const p = 1 / (1 + Math.exp(-1));
    // Row 0: margin −1, P(grant) = sigmoid(−1) = 1 − p; row 1: margin +1, P(grant) = p.
    const expected = [p, 1 - p, 1 - p, p];
    out.probabilities!.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 15));
    // Each row's P(deny) is exactly 1 − P(grant).
    expect(out.probabilities![0]).toBe(1 - out.probabilities![1]!);
    expect(out.probabilities![2]).toBe(1 - out.probabilities![3]!);
    expect(Array.from(out.predictions)).toEqual([0, 1]);
    expect(treeEnsembleScoringModel(stump('binary')).classes).toEqual(['0', '1']);
    await expect(model.close()).resolves.toBeUndefined();
  });

  it('predicts class 1 at exactly P = 0.5 (margin 0), as XGBoost does', async () => {
    const ensemble = stump('binary');
    // Leaf values 0: every margin is 0 and every probability exactly ½.
    const zero = { ...ensemble, value: new Float64Array(ensemble.value.length) };
    const out = await treeEnsembleScoringModel(zero).score(Float64Array.of(-1, 1), 2);
    expect(Array.from(out.probabilities!)).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(Array.from(out.predictions)).toEqual([1, 1]);
  });

  it('gives a regression ensemble its values and no probabilities or classes', async () => {
    const model = treeEnsembleScoringModel(stump('regression'), ['ignored', 'labels']);
    expect(model.classes).toBeNull();
    expect(model.ensemble.task).toBe('regression');
    const out = await model.score(Float64Array.of(-5, 5, NaN), 3);
    expect(out.probabilities).toBeNull();
    expect(Array.from(out.predictions)).toEqual([-1, 1, -1]);
  });
});
