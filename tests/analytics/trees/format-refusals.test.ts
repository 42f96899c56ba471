import { describe, expect, it } from 'vitest';
import { buildTreeEnsemble } from '../../../src/analytics/trees/build-tree-ensemble.js';
import { predict, predictMargin, treeEnsemblePredictor } from '../../../src/analytics/trees/predict.js';
import { parseRaiaTreeEnsemble } from '../../../src/analytics/trees/raia-tree-format.js';
import { goesLeft } from '../../../src/analytics/trees/tree-ensemble.js';
import { TreeModelFormatError } from '../../../src/analytics/trees/tree-model-format-error.js';
import { parseXGBoostJson } from '../../../src/analytics/trees/xgboost-json-format.js';
import { xgboostModel } from '../../support/xgboost-model-fixture.js';

// Every refusal of both tree formats with its field and its full message, the edges each check
// must accept, and the flat layout buildTreeEnsemble documents, worked out by hand.

/* eslint-disable @typescript-eslint/no-explicit-any */
type Doc = Record<string, any>;

/** t0: x0 <= 1 ? 1 : (x1 <= 0 ? 2 : 4), missing x0 right, missing x1 left; t1: constant 0.5. */
const raiaModel = (): Doc => ({
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

function refusal(run: () => unknown): TreeModelFormatError {
  try {
    run();
  } catch (error) {
    if (error instanceof TreeModelFormatError) return error;
    throw error;
  }
  throw new Error('expected a TreeModelFormatError');
}

describe('TreeModelFormatError', () => {
  it('carries its code, name and field, the field first in the message', () => {
    const error = refusal(() => parseRaiaTreeEnsemble(null));
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ code: 'TREE_MODEL_FORMAT', name: 'TreeModelFormatError', field: '$', message: '$: must be an object' });
  });
});

describe('RAIA tree-ensemble refusals, word for word', () => {
  const node = (d: Doc, t: number, n: number) => d.trees[t].nodes[n];
  const cases: [string, (d: Doc) => unknown, string][] = [
    ['no format', (d) => delete d.format, 'format: expected "raia-tree-ensemble/v1", got undefined'],
    ['other format', (d) => (d.format = 'raia-tree-ensemble/v2'), 'format: expected "raia-tree-ensemble/v1", got "raia-tree-ensemble/v2"'],
    ['task', (d) => (d.task = 'multiclass'), 'task: must be one of "regression", "binary", got "multiclass"'],
    ['decision', (d) => (d.decision = '>='), 'decision: must be one of "<=", "<", got ">="'],
    ['aggregation', (d) => (d.aggregation = 'max'), 'aggregation: must be one of "sum", "mean", got "max"'],
    ['link', (d) => (d.link = 'probit'), 'link: must be one of "identity", "logistic", got "probit"'],
    ['baseScore text', (d) => (d.baseScore = '1'), 'baseScore: must be a finite number, got "1"'],
    ['baseScore infinite', (d) => (d.baseScore = Infinity), 'baseScore: must be a finite number, got null'],
    ['featureNames not an array', (d) => (d.featureNames = 'income'), 'featureNames: must be a non-empty array of strings'],
    ['featureNames empty', (d) => (d.featureNames = []), 'featureNames: must be a non-empty array of strings'],
    ['featureNames entry', (d) => (d.featureNames = ['a', 3]), 'featureNames[1]: must be a string'],
    ['trees not an array', (d) => (d.trees = {}), 'trees: must be a non-empty array'],
    ['trees empty', (d) => (d.trees = []), 'trees: must be a non-empty array'],
    ['tree not an object', (d) => (d.trees[1] = []), 'trees[1]: must be an object'],
    ['tree null', (d) => (d.trees[1] = null), 'trees[1]: must be an object'],
    ['nodes not an array', (d) => (d.trees[1].nodes = 'x'), 'trees[1].nodes: must be a non-empty array'],
    ['nodes empty', (d) => (d.trees[1].nodes = []), 'trees[1].nodes: must be a non-empty array'],
    ['node not an object', (d) => (d.trees[1].nodes[0] = 3), 'trees[1].nodes[0]: must be an object'],
    ['cover text', (d) => (node(d, 0, 1).cover = 'x'), 'trees[0].nodes[1].cover: must be a finite number, got "x"'],
    ['cover zero', (d) => (node(d, 0, 1).cover = 0), 'trees[0].nodes[1].cover: must be positive, got 0'],
    ['cover negative', (d) => (node(d, 0, 3).cover = -1), 'trees[0].nodes[3].cover: must be positive, got -1'],
    ['leaf null', (d) => (node(d, 0, 4).leaf = null), 'trees[0].nodes[4].leaf: must be a finite number, got null'],
    ['feature fractional', (d) => (node(d, 0, 0).feature = 1.5), 'trees[0].nodes[0].feature: must be an integer, got 1.5'],
    ['feature text', (d) => (node(d, 0, 0).feature = '0'), 'trees[0].nodes[0].feature: must be an integer, got "0"'],
    ['feature beyond int32', (d) => (node(d, 0, 0).feature = 2 ** 31), 'trees[0].nodes[0].feature: must be an integer, got 2147483648'],
    ['feature at int32 max', (d) => (node(d, 0, 0).feature = 0x7fffffff), 'trees[0].nodes[0].feature: feature 2147483647 is outside 0..1'],
    ['feature = nFeatures', (d) => (node(d, 0, 0).feature = 2), 'trees[0].nodes[0].feature: feature 2 is outside 0..1'],
    ['feature negative', (d) => (node(d, 0, 2).feature = -1), 'trees[0].nodes[2].feature: feature -1 is outside 0..1'],
    ['threshold text', (d) => (node(d, 0, 2).threshold = '0'), 'trees[0].nodes[2].threshold: must be a number'],
    ['threshold NaN', (d) => (node(d, 0, 2).threshold = NaN), 'trees[0].nodes[2].threshold: must be a number'],
    ['left fractional', (d) => (node(d, 0, 0).left = 1.5), 'trees[0].nodes[0].left: must be an integer, got 1.5'],
    ['right missing', (d) => delete node(d, 0, 2).right, 'trees[0].nodes[2].right: must be an integer, got undefined'],
    ['missingGoesLeft 1', (d) => (node(d, 0, 0).missingGoesLeft = 1), 'trees[0].nodes[0].missingGoesLeft: must be a boolean'],
    ['child = node count', (d) => (node(d, 0, 2).right = 5), 'trees[0].nodes[2].right: child index 5 is not a node of this tree (0..4)'],
    ['child negative', (d) => (node(d, 0, 0).left = -1), 'trees[0].nodes[0].left: child index -1 is not a node of this tree (0..4)'],
    ['child back to the root', (d) => (node(d, 0, 2).left = 0), 'trees[0].nodes[2].left: node 0 is reached twice (a cycle or a shared subtree)'],
    ['child shared', (d) => (node(d, 0, 2).left = 1), 'trees[0].nodes[2].left: node 1 is reached twice (a cycle or a shared subtree)'],
  ];
  it.each(cases)('%s', (_, mutate, message) => {
    const doc = raiaModel();
    mutate(doc);
    expect(refusal(() => parseRaiaTreeEnsemble(doc)).message).toBe(message);
  });

  it('refuses a document that is not an object', () => {
    for (const document of [null, [], 'model', 3]) expect(refusal(() => parseRaiaTreeEnsemble(document)).message).toBe('$: must be an object');
  });

  it('accepts the edges: an infinite threshold, the last feature, a large but finite base score', () => {
    const doc = raiaModel();
    doc.trees[0].nodes[0].threshold = Infinity;
    doc.baseScore = -1e300;
    const model = parseRaiaTreeEnsemble(doc);
    // x0 <= ∞ always: leaf 1, plus tree 1's 0.5.
    expect(predict(model, Float64Array.of(1e308, 0), 1)[0]).toBe(-1e300 + 1.5);
  });
});

describe('buildTreeEnsemble layout', () => {
  it('lays trees out depth-first (left subtree first), leaves with children −1, unreachable nodes dropped', () => {
    const doc = raiaModel();
    // An extra node nobody points to.
    doc.trees[0].nodes.push({ leaf: 99, cover: 1 });
    const m = parseRaiaTreeEnsemble(doc);
    // Tree 0 in depth-first order: 0, 1, 2, 3, 4 (node 5 unreachable); tree 1: its leaf at 5.
    expect(Array.from(m.treeRoots)).toEqual([0, 5, 6]);
    expect(m.nTrees).toBe(2);
    expect(Array.from(m.feature)).toEqual([0, -1, 1, -1, -1, -1]);
    expect(Array.from(m.threshold)).toEqual([1, 0, 0, 0, 0, 0]);
    expect(Array.from(m.left)).toEqual([1, -1, 3, -1, -1, -1]);
    expect(Array.from(m.right)).toEqual([2, -1, 4, -1, -1, -1]);
    expect(Array.from(m.missingGoesLeft)).toEqual([0, 0, 1, 0, 0, 0]);
    expect(Array.from(m.value)).toEqual([0, 1, 0, 2, 4, 0.5]);
    expect(Array.from(m.cover)).toEqual([10, 6, 4, 1, 3, 10]);
    expect(m.maxDepth).toBe(2);
    expect(m).toMatchObject({ task: 'regression', decision: '<=', aggregation: 'sum', baseScore: 10, link: 'identity', nFeatures: 2, leafScale: 1, float32Inputs: false });
  });

  it('renumbers children stored out of order', () => {
    // Root's left child is stored last: depth-first puts it right after the root.
    const doc = raiaModel();
    doc.trees[0].nodes = [
      { feature: 0, threshold: 0, left: 2, right: 1, missingGoesLeft: true, cover: 3 },
      { leaf: 20, cover: 1 },
      { leaf: 10, cover: 2 },
    ];
    const m = parseRaiaTreeEnsemble(doc);
    expect(Array.from(m.left.subarray(0, 3))).toEqual([1, -1, -1]);
    expect(Array.from(m.right.subarray(0, 3))).toEqual([2, -1, -1]);
    expect(Array.from(m.value.subarray(0, 3))).toEqual([0, 10, 20]);
    expect(Array.from(predictMargin(m, Float64Array.of(-1, 0, 1, 0, NaN, 0), 3))).toEqual([20.5, 30.5, 20.5]);
  });

  it('measures the deepest root-to-leaf path, a lone leaf having depth 0', () => {
    const doc = raiaModel();
    doc.trees = [doc.trees[1]];
    expect(parseRaiaTreeEnsemble(doc).maxDepth).toBe(0);
    // A chain: root → node 2 → node 4 → leaves.
    doc.trees = [
      {
        nodes: [
          { feature: 0, threshold: 0, left: 1, right: 2, missingGoesLeft: true, cover: 4 },
          { leaf: 1, cover: 1 },
          { feature: 0, threshold: 1, left: 3, right: 4, missingGoesLeft: true, cover: 3 },
          { leaf: 2, cover: 1 },
          { feature: 1, threshold: 1, left: 5, right: 6, missingGoesLeft: true, cover: 2 },
          { leaf: 3, cover: 1 },
          { leaf: 4, cover: 1 },
        ],
      },
      { nodes: [{ feature: 0, threshold: 0, left: 1, right: 2, missingGoesLeft: true, cover: 2 }, { leaf: 0, cover: 1 }, { leaf: 0, cover: 1 }] },
    ];
    expect(parseRaiaTreeEnsemble(doc).maxDepth).toBe(3);
  });

  it('scales leaves by 1 / trees for mean aggregation, and by 1 for an empty ensemble', () => {
    expect(parseRaiaTreeEnsemble({ ...raiaModel(), aggregation: 'mean' }).leafScale).toBe(0.5);
    const header = { task: 'regression', decision: '<=', aggregation: 'mean', baseScore: 0, link: 'identity', featureNames: [], nFeatures: 0, float32Inputs: false } as const;
    const empty = buildTreeEnsemble({ ...header, featureNames: [] }, [], () => 'unused');
    expect(empty).toMatchObject({ nTrees: 0, leafScale: 1, maxDepth: 0 });
    expect(Array.from(empty.treeRoots)).toEqual([0]);
  });
});

describe('scoring a tree ensemble', () => {
  const model = parseRaiaTreeEnsemble(raiaModel());

  it('refuses X shorter than nRows × features, and reads only the first nRows rows of a longer one', () => {
    expect(() => predictMargin(model, Float64Array.of(1, 2, 3), 2)).toThrow(new RangeError('X holds 3 values, fewer than 2 rows x 2 features'));
    expect(Array.from(predictMargin(model, Float64Array.of(0, 0, 5, 5, 9), 1))).toEqual([11.5]);
  });

  it('goes left by the decision rule, and missing values by missingGoesLeft', () => {
    expect(goesLeft(model, 0, 1)).toBe(true); // 1 <= 1
    expect(goesLeft(model, 0, 1.0000001)).toBe(false);
    expect(goesLeft(model, 0, NaN)).toBe(false); // missingGoesLeft false at the root
    expect(goesLeft(model, 2, NaN)).toBe(true);
    const strict = parseRaiaTreeEnsemble({ ...raiaModel(), decision: '<' });
    expect(goesLeft(strict, 0, 1)).toBe(false); // not 1 < 1
    expect(goesLeft(strict, 0, 0.999)).toBe(true);
    expect(goesLeft(strict, 0, 2)).toBe(false);
    expect(goesLeft(model, 0, 2)).toBe(false);
  });

  it('predicts on the margin or the output scale as asked (output by default)', () => {
    const binary = parseRaiaTreeEnsemble({ ...raiaModel(), task: 'binary', link: 'logistic', baseScore: -12 });
    const X = Float64Array.of(0, 0, 5, 5);
    // Margins: −12 + 1 + 0.5 and −12 + 4 + 0.5.
    expect(Array.from(treeEnsemblePredictor(binary, 'margin')(X, 2))).toEqual([-10.5, -7.5]);
    const output = Array.from(treeEnsemblePredictor(binary)(X, 2));
    expect(output[0]).toBeCloseTo(1 / (1 + Math.exp(10.5)), 17);
    expect(output[1]).toBeCloseTo(1 / (1 + Math.exp(7.5)), 17);
    expect(Array.from(treeEnsemblePredictor(binary, 'output')(X, 2))).toEqual(output);
  });
});

describe('XGBoost JSON refusals, word for word', () => {
  const T = 'learner.gradient_booster.model.trees';
  const tree0 = (d: Doc) => d.learner.gradient_booster.model.trees[0];
  const P = 'learner.learner_model_param';
  const cases: [string, (d: Doc) => unknown, string][] = [
    ['no learner', (d) => delete d.learner, 'learner: must be an object'],
    ['no learner_model_param', (d) => delete d.learner.learner_model_param, `${P}: must be an object`],
    ['two classes', (d) => (d.learner.learner_model_param.num_class = '2'), `${P}.num_class: multi-class models (2 classes) are not supported`],
    ['two targets', (d) => (d.learner.learner_model_param.num_target = '2'), `${P}.num_target: multi-output models are not supported`],
    ['base_score boolean', (d) => (d.learner.learner_model_param.base_score = true), `${P}.base_score: must be a number or numeric string, got true`],
    ['base_score missing', (d) => delete d.learner.learner_model_param.base_score, `${P}.base_score: must be a number or numeric string, got undefined`],
    ['base_score text', (d) => (d.learner.learner_model_param.base_score = 'abc'), `${P}.base_score: not a number: "abc"`],
    ['base_score empty', (d) => (d.learner.learner_model_param.base_score = ''), `${P}.base_score: not a number: ""`],
    ['base_score empty vector', (d) => (d.learner.learner_model_param.base_score = '[]'), `${P}.base_score: not a number: "[]"`],
    ['base_score half a vector', (d) => (d.learner.learner_model_param.base_score = '[5E-1'), `${P}.base_score: not a number: "[5E-1"`],
    ['base_score blank vector', (d) => (d.learner.learner_model_param.base_score = '[ ]'), `${P}.base_score: not a number: "[ ]"`],
    ['base_score opening bracket only', (d) => (d.learner.learner_model_param.base_score = '[0.55'), `${P}.base_score: not a number: "[0.55"`],
    ['base_score closing bracket only', (d) => (d.learner.learner_model_param.base_score = '0.55]'), `${P}.base_score: not a number: "0.55]"`],
    ['base_score two targets', (d) => (d.learner.learner_model_param.base_score = '[5E-1,5E-1]'), `${P}.base_score: multi-target base scores are not supported`],
    ['base_score 0 for logistic', (d) => (d.learner.learner_model_param.base_score = '0'), `${P}.base_score: must be a probability in (0, 1) for binary:logistic, got 0`],
    ['base_score 1 for logistic', (d) => (d.learner.learner_model_param.base_score = 1), `${P}.base_score: must be a probability in (0, 1) for binary:logistic, got 1`],
    ['no objective', (d) => delete d.learner.objective, 'learner.objective: must be an object'],
    [
      'objective name not text',
      (d) => (d.learner.objective.name = 7),
      'learner.objective.name: unsupported objective 7 (supported: reg:squarederror, reg:linear, reg:absoluteerror, reg:pseudohubererror, binary:logistic, reg:logistic, binary:logitraw)',
    ],
    [
      'objective name in an array',
      (d) => (d.learner.objective.name = ['binary:logistic']),
      'learner.objective.name: unsupported objective ["binary:logistic"] (supported: reg:squarederror, reg:linear, reg:absoluteerror, reg:pseudohubererror, binary:logistic, reg:logistic, binary:logitraw)',
    ],
    ['no gradient_booster', (d) => delete d.learner.gradient_booster, 'learner.gradient_booster: must be an object'],
    ['dart', (d) => (d.learner.gradient_booster.name = 'dart'), 'learner.gradient_booster.name: only "gbtree" boosters are supported, got "dart"'],
    ['no model', (d) => delete d.learner.gradient_booster.model, 'learner.gradient_booster.model: must be an object'],
    ['trees not an array', (d) => (d.learner.gradient_booster.model.trees = {}), `${T}: must be a non-empty array`],
    ['trees empty', (d) => (d.learner.gradient_booster.model.trees = []), `${T}: must be a non-empty array`],
    ['feature name not text', (d) => (d.learner.feature_names = ['a', 2, 'c']), 'learner.feature_names[1]: must be a string'],
    ['num_feature missing', (d) => delete d.learner.learner_model_param.num_feature, `${P}.num_feature: must be a positive integer, got undefined`],
    ['num_feature zero', (d) => (d.learner.learner_model_param.num_feature = '0'), `${P}.num_feature: must be a positive integer, got "0"`],
    ['num_feature negative', (d) => (d.learner.learner_model_param.num_feature = '-3'), `${P}.num_feature: must be a positive integer, got "-3"`],
    ['num_feature fractional', (d) => (d.learner.learner_model_param.num_feature = '2.5'), `${P}.num_feature: must be a positive integer, got "2.5"`],
    ['tree not an object', (d) => (d.learner.gradient_booster.model.trees[1] = 'tree'), `${T}[1]: must be an object`],
    ['left_children not an array', (d) => (tree0(d).left_children = null), `${T}[0].left_children: must be an array`],
    ['no nodes', (d) => (tree0(d).left_children = []), `${T}[0].left_children: a tree needs at least one node`],
    ['right_children short', (d) => tree0(d).right_children.pop(), `${T}[0].right_children: must have 5 entries (one per node), has 4`],
    ['split_indices long', (d) => tree0(d).split_indices.push(0), `${T}[0].split_indices: must have 5 entries (one per node), has 6`],
    ['split_conditions short', (d) => tree0(d).split_conditions.pop(), `${T}[0].split_conditions: must have 5 entries (one per node), has 4`],
    ['default_left short', (d) => tree0(d).default_left.pop(), `${T}[0].default_left: must have 5 entries (one per node), has 4`],
    ['sum_hessian short', (d) => tree0(d).sum_hessian.pop(), `${T}[0].sum_hessian: must have 5 entries (one per node), has 4`],
    ['split_type short', (d) => tree0(d).split_type.pop(), `${T}[0].split_type: must have 5 entries (one per node), has 4`],
    ['a text entry', (d) => (tree0(d).split_conditions[1] = 'x'), `${T}[0].split_conditions[1]: must be a number, got "x"`],
    ['hessian zero', (d) => (tree0(d).sum_hessian[3] = 0), `${T}[0].sum_hessian[3]: cover must be positive, got 0`],
    ['hessian infinite', (d) => (tree0(d).sum_hessian[1] = Infinity), `${T}[0].sum_hessian[1]: cover must be positive, got Infinity`],
    ['leaf value infinite', (d) => (tree0(d).split_conditions[1] = -Infinity), `${T}[0].split_conditions[1]: must be a finite number`],
    ['threshold infinite', (d) => (tree0(d).split_conditions[0] = Infinity), `${T}[0].split_conditions[0]: must be a finite number`],
    ['categorical split', (d) => (tree0(d).split_type[2] = 1), `${T}[0].split_type[2]: categorical splits are not supported`],
    ['feature = num_feature', (d) => (tree0(d).split_indices[2] = 3), `${T}[0].split_indices[2]: feature 3 is outside 0..2`],
    ['feature negative', (d) => (tree0(d).split_indices[0] = -1), `${T}[0].split_indices[0]: feature -1 is outside 0..2`],
    ['feature fractional', (d) => (tree0(d).split_indices[0] = 0.5), `${T}[0].split_indices[0]: feature 0.5 is outside 0..2`],
    ['child fractional', (d) => (tree0(d).left_children[0] = 1.5), `${T}[0].left_children[0]: child index 1.5 is not a node index`],
    ['child below −1', (d) => (tree0(d).right_children[2] = -2), `${T}[0].right_children[2]: child index -2 is not a node index`],
    ['child beyond int32', (d) => (tree0(d).right_children[0] = 2 ** 31), `${T}[0].right_children[0]: child index 2147483648 is not a node index`],
    ['child at int32 max', (d) => (tree0(d).right_children[0] = 0x7fffffff), `${T}[0].right_children[0]: child index 2147483647 is not a node of this tree (0..4)`],
    ['child = node count', (d) => (tree0(d).right_children[2] = 5), `${T}[0].right_children[2]: child index 5 is not a node of this tree (0..4)`],
    ['cycle', (d) => (tree0(d).left_children[2] = 0), `${T}[0].left_children[2]: node 0 is reached twice (a cycle or a shared subtree)`],
  ];
  it.each(cases)('%s', (_, mutate, message) => {
    const doc = xgboostModel() as Doc;
    mutate(doc);
    expect(refusal(() => parseXGBoostJson(doc)).message).toBe(message);
  });

  it('refuses a document that is not an object', () => {
    for (const document of [null, [], 'model']) expect(refusal(() => parseXGBoostJson(document)).message).toBe('$: must be an object');
  });
});

describe('XGBoost JSON accepted variants', () => {
  const base = (objective: string, baseScore: unknown) => {
    const doc = xgboostModel(objective) as Doc;
    doc.learner.learner_model_param.base_score = baseScore;
    return parseXGBoostJson(doc);
  };

  it('maps each objective to its task, link and base-score margin', () => {
    const logit = (p: number) => Math.log(p / (1 - p));
    const expected: [string, string, string, (b: number) => number][] = [
      ['reg:squarederror', 'regression', 'identity', (b) => b],
      ['reg:linear', 'regression', 'identity', (b) => b],
      ['reg:absoluteerror', 'regression', 'identity', (b) => b],
      ['reg:pseudohubererror', 'regression', 'identity', (b) => b],
      ['binary:logistic', 'binary', 'logistic', logit],
      ['reg:logistic', 'regression', 'logistic', logit],
      ['binary:logitraw', 'binary', 'identity', logit],
    ];
    for (const [objective, task, link, margin] of expected) {
      const model = base(objective, '2E-1');
      expect(model, objective).toMatchObject({ task, link, decision: '<', aggregation: 'sum', float32Inputs: true });
      expect(model.baseScore, objective).toBeCloseTo(margin(0.2), 15);
    }
    // Regression objectives take any base score; binary:logitraw wants a probability too.
    expect(base('reg:squarederror', '-7').baseScore).toBe(-7);
    expect(refusal(() => base('binary:logitraw', '1.5')).message).toBe('learner.learner_model_param.base_score: must be a probability in (0, 1) for binary:logitraw, got 1.5');
  });

  it('reads base_score as a number, a padded string, or a one-entry vector with blanks', () => {
    expect(base('reg:squarederror', 0.25).baseScore).toBe(0.25);
    expect(base('reg:squarederror', ' 2.5E-1 ').baseScore).toBe(0.25);
    expect(base('reg:squarederror', '[ 2.5E-1 ]').baseScore).toBe(0.25);
    expect(base('reg:squarederror', '[0]').baseScore).toBe(0);
    expect(base('reg:squarederror', ' [2.5E-1] ').baseScore).toBe(0.25);
  });

  it('takes one class or one target as single-output, and no split_type at all', () => {
    const doc = xgboostModel() as Doc;
    doc.learner.learner_model_param.num_class = '1';
    doc.learner.learner_model_param.num_target = '1';
    for (const tree of doc.learner.gradient_booster.model.trees) delete tree.split_type;
    expect(parseXGBoostJson(doc).nTrees).toBe(2);
    delete doc.learner.learner_model_param.num_class;
    delete doc.learner.learner_model_param.num_target;
    expect(parseXGBoostJson(doc).nTrees).toBe(2);
  });

  it('ignores split_type and split_indices at leaves, and reads booleans in default_left as 0/1', () => {
    const doc = xgboostModel() as Doc;
    const tree0 = doc.learner.gradient_booster.model.trees[0];
    tree0.split_type[1] = 1; // a leaf: not a split at all
    tree0.split_indices[1] = 99;
    tree0.default_left = [true, false, false, false, false];
    const model = parseXGBoostJson(doc);
    expect(Array.from(model.missingGoesLeft.subarray(0, 5))).toEqual([1, 0, 0, 0, 0]);
    // x0 missing goes left at the root (−0.4); x1 missing goes right in tree 1 (−0.3).
    expect(predictMargin(model, Float64Array.of(NaN, NaN, NaN), 1)[0]).toBeCloseTo(-0.7, 12);
    // Uses feature names for the feature count when given, even without num_feature.
    delete doc.learner.learner_model_param.num_feature;
    doc.learner.feature_names = ['a', 'b', 'c'];
    expect(parseXGBoostJson(doc).nFeatures).toBe(3);
  });

  it('goes right at a value equal to the threshold (XGBoost splits on x < t)', () => {
    const model = parseXGBoostJson(xgboostModel());
    // Tree 0 root: x0 < 0.5; x0 = 0.5 goes right to x2 < 1.5 (x2 = 0 → 0.2); tree 1: x1 = 2 goes right (−0.3).
    expect(predictMargin(model, Float64Array.of(0.5, 2, 0), 1)[0]).toBeCloseTo(0.2 - 0.3, 12);
    expect(predictMargin(model, Float64Array.of(0.49, 1.99, 0), 1)[0]).toBeCloseTo(-0.4 + 0.1, 12);
  });
});
