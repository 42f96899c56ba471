import { buildTreeEnsemble, emptyParsedTree, type ParsedTree } from './build-tree-ensemble.js';
import type { TreeEnsemble } from './tree-ensemble.js';
import { TreeModelFormatError } from './tree-model-format-error.js';

/**
 * Reads RAIA's own tree-ensemble document (`"format": "raia-tree-ensemble/v1"`), documented in
 * docs/explainability.md. Every problem is a TreeModelFormatError naming the offending field.
 */
export function parseRaiaTreeEnsemble(document: unknown): TreeEnsemble {
  const doc = asObject(document, '$');
  if (doc.format !== 'raia-tree-ensemble/v1') throw new TreeModelFormatError('format', `expected "raia-tree-ensemble/v1", got ${JSON.stringify(doc.format)}`);
  const task = oneOf(doc.task, ['regression', 'binary'] as const, 'task');
  const decision = oneOf(doc.decision, ['<=', '<'] as const, 'decision');
  const aggregation = oneOf(doc.aggregation, ['sum', 'mean'] as const, 'aggregation');
  const link = oneOf(doc.link, ['identity', 'logistic'] as const, 'link');
  const baseScore = finite(doc.baseScore, 'baseScore');
  // Optional (absent in documents written before it existed): the precision inputs are rounded to before each comparison.
  const comparisonPrecision = doc.comparisonPrecision === undefined ? 'float64' : oneOf(doc.comparisonPrecision, ['float64', 'float32'] as const, 'comparisonPrecision');
  if (!Array.isArray(doc.featureNames) || doc.featureNames.length === 0) throw new TreeModelFormatError('featureNames', 'must be a non-empty array of strings');
  const featureNames = doc.featureNames.map((name, i) => {
    if (typeof name !== 'string') throw new TreeModelFormatError(`featureNames[${i}]`, 'must be a string');
    return name;
  });
  const nFeatures = featureNames.length;
  if (!Array.isArray(doc.trees) || doc.trees.length === 0) throw new TreeModelFormatError('trees', 'must be a non-empty array');

  const trees: ParsedTree[] = doc.trees.map((rawTree, t) => {
    const tree = asObject(rawTree, `trees[${t}]`);
    if (!Array.isArray(tree.nodes) || tree.nodes.length === 0) throw new TreeModelFormatError(`trees[${t}].nodes`, 'must be a non-empty array');
    const parsed = emptyParsedTree(tree.nodes.length);
    tree.nodes.forEach((rawNode, n) => {
      const at = `trees[${t}].nodes[${n}]`;
      const node = asObject(rawNode, at);
      const cover = finite(node.cover, `${at}.cover`);
      if (!(cover > 0)) throw new TreeModelFormatError(`${at}.cover`, `must be positive, got ${cover}`);
      parsed.cover[n] = cover;
      if ('leaf' in node) {
        parsed.feature[n] = -1;
        parsed.value[n] = finite(node.leaf, `${at}.leaf`);
        return;
      }
      const feature = integer(node.feature, `${at}.feature`);
      if (feature < 0 || feature >= nFeatures) throw new TreeModelFormatError(`${at}.feature`, `feature ${feature} is outside 0..${nFeatures - 1}`);
      parsed.feature[n] = feature;
      if (typeof node.threshold !== 'number' || Number.isNaN(node.threshold)) throw new TreeModelFormatError(`${at}.threshold`, 'must be a number');
      parsed.threshold[n] = node.threshold;
      parsed.left[n] = integer(node.left, `${at}.left`);
      parsed.right[n] = integer(node.right, `${at}.right`);
      if (typeof node.missingGoesLeft !== 'boolean') throw new TreeModelFormatError(`${at}.missingGoesLeft`, 'must be a boolean');
      parsed.missingGoesLeft[n] = node.missingGoesLeft ? 1 : 0;
    });
    return parsed;
  });

  return buildTreeEnsemble({ task, decision, aggregation, baseScore, link, featureNames, nFeatures, float32Inputs: comparisonPrecision === 'float32' }, trees, (t, n, side) => `trees[${t}].nodes[${n}].${side}`);
}

function asObject(v: unknown, field: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TreeModelFormatError(field, 'must be an object');
  return v as Record<string, unknown>;
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], field: string): T {
  if (!allowed.includes(v as T)) throw new TreeModelFormatError(field, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}

function finite(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TreeModelFormatError(field, `must be a finite number, got ${JSON.stringify(v)}`);
  return v;
}

function integer(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || Math.abs(v) > 0x7fffffff) throw new TreeModelFormatError(field, `must be an integer, got ${JSON.stringify(v)}`);
  return v;
}
