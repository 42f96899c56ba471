import { buildTreeEnsemble, emptyParsedTree, type ParsedTree } from './build-tree-ensemble.js';
import type { TreeEnsemble, TreeLink, TreeTask } from './tree-ensemble.js';
import { TreeModelFormatError } from './tree-model-format-error.js';

/**
 * Reads the JSON written by XGBoost's `Booster.save_model("model.json")` for a `gbtree` booster
 * with one output (schema: dmlc/xgboost doc/model.schema). In that document a node i is a leaf
 * when `left_children[i] === -1`, and the leaf's value is `split_conditions[i]`; an internal node
 * sends a row left when `x < split_conditions[i]` and a missing value left when
 * `default_left[i]` is 1; `sum_hessian` is the cover.
 *
 * `learner_model_param.base_score` is stored on the output scale (a probability for
 * `binary:logistic`), as a string such as "5E-1" or, since XGBoost 3, "[5E-1]"; the margin adds
 * its inverse link, as XGBoost's `ProbToMargin` does.
 */
const OBJECTIVES: Record<string, { task: TreeTask; link: TreeLink; baseToMargin: (p: number) => number }> = {
  'reg:squarederror': { task: 'regression', link: 'identity', baseToMargin: (b) => b },
  'reg:linear': { task: 'regression', link: 'identity', baseToMargin: (b) => b },
  'reg:absoluteerror': { task: 'regression', link: 'identity', baseToMargin: (b) => b },
  'reg:pseudohubererror': { task: 'regression', link: 'identity', baseToMargin: (b) => b },
  'binary:logistic': { task: 'binary', link: 'logistic', baseToMargin: logit },
  'reg:logistic': { task: 'regression', link: 'logistic', baseToMargin: logit },
  'binary:logitraw': { task: 'binary', link: 'identity', baseToMargin: logit },
};

export function parseXGBoostJson(document: unknown): TreeEnsemble {
  const doc = asObject(document, '$');
  const learner = asObject(doc.learner, 'learner');
  const param = asObject(learner.learner_model_param, 'learner.learner_model_param');
  const numClass = param.num_class === undefined ? 0 : Number(param.num_class);
  if (numClass > 1) throw new TreeModelFormatError('learner.learner_model_param.num_class', `multi-class models (${numClass} classes) are not supported`);
  if (param.num_target !== undefined && Number(param.num_target) > 1) throw new TreeModelFormatError('learner.learner_model_param.num_target', 'multi-output models are not supported');
  const rawBase = parseBaseScore(param.base_score);
  const objective = asObject(learner.objective, 'learner.objective');
  const objectiveName = typeof objective.name === 'string' ? objective.name : '';
  const spec = OBJECTIVES[objectiveName];
  if (spec === undefined) throw new TreeModelFormatError('learner.objective.name', `unsupported objective ${JSON.stringify(objective.name)} (supported: ${Object.keys(OBJECTIVES).join(', ')})`);
  if (spec.link === 'logistic' || objectiveName === 'binary:logitraw') {
    if (!(rawBase > 0 && rawBase < 1)) throw new TreeModelFormatError('learner.learner_model_param.base_score', `must be a probability in (0, 1) for ${objectiveName}, got ${rawBase}`);
  }

  const booster = asObject(learner.gradient_booster, 'learner.gradient_booster');
  if (booster.name !== 'gbtree') throw new TreeModelFormatError('learner.gradient_booster.name', `only "gbtree" boosters are supported, got ${JSON.stringify(booster.name)}`);
  const model = asObject(booster.model, 'learner.gradient_booster.model');
  if (!Array.isArray(model.trees) || model.trees.length === 0) throw new TreeModelFormatError('learner.gradient_booster.model.trees', 'must be a non-empty array');

  let nFeatures = Number(param.num_feature);
  let featureNames: string[];
  if (Array.isArray(learner.feature_names) && learner.feature_names.length > 0) {
    featureNames = learner.feature_names.map((name, i) => {
      if (typeof name !== 'string') throw new TreeModelFormatError(`learner.feature_names[${i}]`, 'must be a string');
      return name;
    });
    nFeatures = featureNames.length;
  } else {
    if (!Number.isInteger(nFeatures) || nFeatures <= 0) throw new TreeModelFormatError('learner.learner_model_param.num_feature', `must be a positive integer, got ${JSON.stringify(param.num_feature)}`);
    featureNames = Array.from({ length: nFeatures }, (_, i) => `f${i}`);
  }

  const treesField = 'learner.gradient_booster.model.trees';
  const trees: ParsedTree[] = model.trees.map((rawTree, t) => {
    const at = `${treesField}[${t}]`;
    const tree = asObject(rawTree, at);
    const left = numberArray(tree.left_children, `${at}.left_children`);
    const n = left.length;
    if (n === 0) throw new TreeModelFormatError(`${at}.left_children`, 'a tree needs at least one node');
    const right = numberArray(tree.right_children, `${at}.right_children`, n);
    const splitIndices = numberArray(tree.split_indices, `${at}.split_indices`, n);
    const splitConditions = numberArray(tree.split_conditions, `${at}.split_conditions`, n);
    const defaultLeft = numberArray(tree.default_left, `${at}.default_left`, n);
    const sumHessian = numberArray(tree.sum_hessian, `${at}.sum_hessian`, n);
    const splitType = tree.split_type === undefined ? undefined : numberArray(tree.split_type, `${at}.split_type`, n);
    const parsed = emptyParsedTree(n);
    for (let i = 0; i < n; i++) {
      const cover = sumHessian[i]!;
      if (!(cover > 0) || !Number.isFinite(cover)) throw new TreeModelFormatError(`${at}.sum_hessian[${i}]`, `cover must be positive, got ${cover}`);
      parsed.cover[i] = cover;
      if (!Number.isFinite(splitConditions[i]!)) throw new TreeModelFormatError(`${at}.split_conditions[${i}]`, 'must be a finite number');
      if (left[i] === -1) {
        parsed.feature[i] = -1;
        parsed.value[i] = splitConditions[i]!;
        continue;
      }
      if (splitType !== undefined && splitType[i] !== 0) throw new TreeModelFormatError(`${at}.split_type[${i}]`, 'categorical splits are not supported');
      const f = splitIndices[i]!;
      if (!Number.isInteger(f) || f < 0 || f >= nFeatures) throw new TreeModelFormatError(`${at}.split_indices[${i}]`, `feature ${f} is outside 0..${nFeatures - 1}`);
      parsed.feature[i] = f;
      parsed.threshold[i] = splitConditions[i]!;
      parsed.left[i] = childIndex(left[i]!, `${at}.left_children[${i}]`);
      parsed.right[i] = childIndex(right[i]!, `${at}.right_children[${i}]`);
      parsed.missingGoesLeft[i] = defaultLeft[i] ? 1 : 0;
    }
    return parsed;
  });

  return buildTreeEnsemble(
    { task: spec.task, decision: '<', aggregation: 'sum', baseScore: spec.baseToMargin(rawBase), link: spec.link, featureNames, nFeatures, float32Inputs: true },
    trees,
    (t, n, side) => `${treesField}[${t}].${side}_children[${n}]`,
  );
}

function logit(p: number): number {
  return Math.log(p / (1 - p));
}

/** "5E-1", "[5E-1]" (XGBoost >= 3 stores a vector) or a plain number. */
function parseBaseScore(v: unknown): number {
  const field = 'learner.learner_model_param.base_score';
  let text = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : undefined;
  if (text === undefined) throw new TreeModelFormatError(field, `must be a number or numeric string, got ${JSON.stringify(v)}`);
  if (text.startsWith('[') && text.endsWith(']')) {
    const parts = text.slice(1, -1).split(',');
    if (parts.length !== 1) throw new TreeModelFormatError(field, 'multi-target base scores are not supported');
    text = parts[0]!.trim();
  }
  const x = text === '' ? NaN : Number(text);
  if (!Number.isFinite(x)) throw new TreeModelFormatError(field, `not a number: ${JSON.stringify(v)}`);
  return x;
}

function childIndex(v: number, field: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) throw new TreeModelFormatError(field, `child index ${v} is not a node index`);
  return v;
}

function asObject(v: unknown, field: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TreeModelFormatError(field, 'must be an object');
  return v as Record<string, unknown>;
}

/** Numbers, or booleans as 0/1 (older XGBoost wrote `default_left` as booleans). */
function numberArray(v: unknown, field: string, length?: number): number[] {
  if (!Array.isArray(v)) throw new TreeModelFormatError(field, 'must be an array');
  if (length !== undefined && v.length !== length) throw new TreeModelFormatError(field, `must have ${length} entries (one per node), has ${v.length}`);
  return v.map((x, i) => {
    if (typeof x === 'boolean') return x ? 1 : 0;
    if (typeof x !== 'number') throw new TreeModelFormatError(`${field}[${i}]`, `must be a number, got ${JSON.stringify(x)}`);
    return x;
  });
}
