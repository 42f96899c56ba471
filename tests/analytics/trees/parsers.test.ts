import { describe, expect, it } from 'vitest';
import { parseRaiaTreeEnsemble } from '../../../src/analytics/trees/raia-tree-format.js';
import { parseXGBoostJson } from '../../../src/analytics/trees/xgboost-json-format.js';
import { predict, predictMargin } from '../../../src/analytics/trees/predict.js';
import { TreeModelFormatError } from '../../../src/analytics/trees/tree-model-format-error.js';
import { xgboostModel } from '../../support/xgboost-model-fixture.js';

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** t0: x0 <= 1 ? 1 : (x1 <= 0 ? 2 : 4), missing x0 right, missing x1 left; t1: constant 0.5. */
const raiaModel = () => ({
  format: 'raia-tree-ensemble/v1',
  task: 'regression',
  decision: '<=',
  aggregation: 'sum',
  baseScore: 10,
  link: 'identity',
  featureNames: ['income', 'debt'],
  trees: [
    {
      nodes: [
        { feature: 0, threshold: 1, left: 1, right: 2, missingGoesLeft: false, cover: 10 },
        { leaf: 1, cover: 6 },
        { feature: 1, threshold: 0, left: 3, right: 4, missingGoesLeft: true, cover: 4 },
        { leaf: 2, cover: 1 },
        { leaf: 4, cover: 3 },
      ],
    },
    { nodes: [{ leaf: 0.5, cover: 10 }] },
  ],
});

const rows = Float64Array.from([1, 5, 2, 0, 2, NaN, NaN, 1, 0.5, -3]);

const xgbRows = Float64Array.from([
  0.2, 1, 0, // -0.4 + 0.1
  0.5, 3, 2, // 0.6 - 0.3
  NaN, NaN, NaN, // -0.4 - 0.3 (x0 missing left, x1 missing right)
  1, 1.999, NaN, // 0.6 + 0.1 (x2 missing right)
  0.4999999999, 0, 0, // float32(0.4999999999) = 0.5, not < 0.5: 0.2 + 0.1
]);
const xgbMargins = [-0.3, 0.3, -0.7, 0.7, 0.3];

function formatError(run: () => unknown): TreeModelFormatError {
  try {
    run();
  } catch (error) {
    if (error instanceof TreeModelFormatError) return error;
    throw error;
  }
  throw new Error('expected a TreeModelFormatError');
}

describe('RAIA tree-ensemble format', () => {
  it('predicts hand-computed values, with missing values following missingGoesLeft', () => {
    const model = parseRaiaTreeEnsemble(raiaModel());
    expect(Array.from(predict(model, rows, 5))).toEqual([11.5, 12.5, 12.5, 14.5, 11.5]);
    expect(model.featureNames).toEqual(['income', 'debt']);
  });

  it('averages trees for mean aggregation and applies the logistic link after the margin', () => {
    const doc = { ...raiaModel(), task: 'binary', aggregation: 'mean', baseScore: -2, link: 'logistic' };
    const model = parseRaiaTreeEnsemble(doc);
    const margins = [-2 + (1 + 0.5) / 2, -2 + (2 + 0.5) / 2, -2 + (2 + 0.5) / 2, -2 + (4 + 0.5) / 2, -2 + (1 + 0.5) / 2];
    expect(Array.from(predictMargin(model, rows, 5))).toEqual(margins);
    const p = predict(model, rows, 5);
    margins.forEach((z, i) => expect(p[i]).toBeCloseTo(sigmoid(z), 15));
  });

  it('uses a strict comparison when decision is "<"', () => {
    const model = parseRaiaTreeEnsemble({ ...raiaModel(), decision: '<' });
    // x0 = 1 is no longer <= branch: goes right, x1 = 5 > 0: leaf 4.
    expect(predict(model, Float64Array.from([1, 5]), 1)[0]).toBe(14.5);
  });

  const cases: [string, (doc: ReturnType<typeof raiaModel> & Record<string, unknown>) => void, string][] = [
    ['wrong format tag', (d) => void (d.format = 'raia-tree-ensemble/v2'), 'format'],
    ['unknown task', (d) => void (d.task = 'multiclass'), 'task'],
    ['unknown decision', (d) => void (d.decision = '>='), 'decision'],
    ['unknown aggregation', (d) => void (d.aggregation = 'max'), 'aggregation'],
    ['unknown link', (d) => void (d.link = 'probit'), 'link'],
    ['non-numeric base score', (d) => void ((d as Record<string, unknown>).baseScore = '1'), 'baseScore'],
    ['no feature names', (d) => void (d.featureNames = []), 'featureNames'],
    ['non-string feature name', (d) => void ((d as Record<string, unknown>).featureNames = ['a', 3]), 'featureNames[1]'],
    ['no trees', (d) => void (d.trees = []), 'trees'],
    ['tree without nodes', (d) => void (d.trees[1]!.nodes = []), 'trees[1].nodes'],
    ['node that is not an object', (d) => void ((d.trees[1]!.nodes as unknown[])[0] = 3), 'trees[1].nodes[0]'],
    ['child index out of range', (d) => void ((d.trees[0]!.nodes[2] as { right: number }).right = 9), 'trees[0].nodes[2].right'],
    ['negative child index', (d) => void ((d.trees[0]!.nodes[0] as { left: number }).left = -1), 'trees[0].nodes[0].left'],
    ['fractional child index', (d) => void ((d.trees[0]!.nodes[0] as { left: number }).left = 1.5), 'trees[0].nodes[0].left'],
    ['cycle back to the root', (d) => void ((d.trees[0]!.nodes[2] as { left: number }).left = 0), 'trees[0].nodes[2].left'],
    ['two parents for one node', (d) => void ((d.trees[0]!.nodes[2] as { left: number }).left = 1), 'trees[0].nodes[2].left'],
    ['feature out of range', (d) => void ((d.trees[0]!.nodes[0] as { feature: number }).feature = 2), 'trees[0].nodes[0].feature'],
    ['non-numeric threshold', (d) => void ((d.trees[0]!.nodes[2] as { threshold: unknown }).threshold = '0'), 'trees[0].nodes[2].threshold'],
    ['missing missingGoesLeft', (d) => void delete (d.trees[0]!.nodes[0] as { missingGoesLeft?: boolean }).missingGoesLeft, 'trees[0].nodes[0].missingGoesLeft'],
    ['zero cover', (d) => void (d.trees[0]!.nodes[1]!.cover = 0), 'trees[0].nodes[1].cover'],
    ['negative cover', (d) => void (d.trees[0]!.nodes[3]!.cover = -1), 'trees[0].nodes[3].cover'],
    ['non-finite leaf', (d) => void ((d.trees[0]!.nodes[4] as { leaf: unknown }).leaf = null), 'trees[0].nodes[4].leaf'],
  ];
  it.each(cases)('rejects %s naming the field', (_, mutate, field) => {
    const doc = raiaModel() as ReturnType<typeof raiaModel> & Record<string, unknown>;
    mutate(doc);
    const error = formatError(() => parseRaiaTreeEnsemble(doc));
    expect(error.field).toBe(field);
    expect(error.message).toContain(field);
  });

  it('rejects a document that is not an object', () => {
    expect(formatError(() => parseRaiaTreeEnsemble([])).field).toBe('$');
  });
});

describe('XGBoost save_model JSON', () => {
  it('predicts hand-computed margins and probabilities for binary:logistic with base_score "[5E-1]"', () => {
    const model = parseXGBoostJson(xgboostModel());
    expect(model.featureNames).toEqual(['f0', 'f1', 'f2']);
    const margin = predictMargin(model, xgbRows, 5);
    xgbMargins.forEach((z, i) => expect(margin[i]).toBeCloseTo(z, 12));
    const p = predict(model, xgbRows, 5);
    xgbMargins.forEach((z, i) => expect(p[i]).toBeCloseTo(sigmoid(z), 12));
  });

  it('turns a probability base_score into a margin with the logit', () => {
    const model = parseXGBoostJson(xgboostModel('binary:logistic', '2E-1'));
    expect(predictMargin(model, xgbRows, 1)[0]).toBeCloseTo(Math.log(0.2 / 0.8) - 0.3, 12);
  });

  it('adds base_score as is for reg:squarederror with the identity link', () => {
    const model = parseXGBoostJson(xgboostModel('reg:squarederror', '1.5E0'));
    expect(model.link).toBe('identity');
    const y = predict(model, xgbRows, 5);
    xgbMargins.forEach((z, i) => expect(y[i]).toBeCloseTo(1.5 + z, 12));
  });

  it('reads feature names when present', () => {
    const doc = xgboostModel();
    (doc.learner as { feature_names: string[] }).feature_names = ['age', 'income', 'debt'];
    expect(parseXGBoostJson(doc).featureNames).toEqual(['age', 'income', 'debt']);
  });

  type Doc = ReturnType<typeof xgboostModel>;
  const tree0 = (d: Doc) => d.learner.gradient_booster.model.trees[0]!;
  const T = 'learner.gradient_booster.model.trees';
  const cases: [string, (d: Doc) => void, string][] = [
    ['unsupported objective', (d) => void (d.learner.objective.name = 'multi:softprob'), 'learner.objective.name'],
    ['unparsable base_score', (d) => void (d.learner.learner_model_param.base_score = 'abc'), 'learner.learner_model_param.base_score'],
    ['probability base_score outside (0, 1)', (d) => void (d.learner.learner_model_param.base_score = '1.5'), 'learner.learner_model_param.base_score'],
    ['multi-class model', (d) => void (d.learner.learner_model_param.num_class = '3'), 'learner.learner_model_param.num_class'],
    ['dart booster', (d) => void (d.learner.gradient_booster.name = 'dart'), 'learner.gradient_booster.name'],
    ['no trees', (d) => void (d.learner.gradient_booster.model.trees = []), `${T}`],
    ['arrays of different lengths', (d) => void tree0(d).right_children.pop(), `${T}[0].right_children`],
    ['child out of range', (d) => void (tree0(d).right_children[2] = 7), `${T}[0].right_children[2]`],
    ['cycle', (d) => void (tree0(d).left_children[2] = 0), `${T}[0].left_children[2]`],
    ['feature out of range', (d) => void (tree0(d).split_indices[2] = 3), `${T}[0].split_indices[2]`],
    ['zero hessian cover', (d) => void (tree0(d).sum_hessian[3] = 0), `${T}[0].sum_hessian[3]`],
    ['categorical split', (d) => void (tree0(d).split_type[0] = 1), `${T}[0].split_type[0]`],
    ['non-numeric split condition', (d) => void ((tree0(d).split_conditions as unknown[])[1] = 'x'), `${T}[0].split_conditions[1]`],
    ['missing learner', (d) => void delete (d as { learner?: unknown }).learner, 'learner'],
  ];
  it.each(cases)('rejects %s naming the field', (_, mutate, field) => {
    const doc = xgboostModel();
    mutate(doc);
    expect(formatError(() => parseXGBoostJson(doc)).field).toBe(field);
  });
});
