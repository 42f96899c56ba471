/**
 * A post-processing fairness mitigation as a model: the `raia-threshold-wrapper/v1` format.
 *
 * ```json
 * {
 *   "format": "raia-threshold-wrapper/v1",
 *   "wraps": { "modelId": "0193…", "version": 1 },
 *   "attribute": { "name": "sex", "labels": ["F", "M"] },
 *   "artifact": { "kind": "raia.fairness.threshold-optimizer", "version": 1, "groups": [ … ], … },
 *   "seed": 123456789
 * }
 * ```
 *
 * - `wraps` names the registered binary classifier whose scores the rule thresholds.
 * - `attribute` is the protected attribute the rule was fitted over (`name` may name an
 *   intersection such as `sex × race`); `labels` are its groups, equal to `artifact.labels`.
 * - `artifact` is the threshold optimiser's artifact (`optimizeThresholds` in
 *   src/analytics/fairness/threshold-optimizer.ts): per group, a randomised threshold rule.
 * - `seed` is an unsigned 32-bit integer.
 *
 * Inputs: the wrapped version's features, in its order, followed by one more column named
 * `attribute.name` holding the row's group **encoded as the index of its label in
 * `attribute.labels`** (0, 1, …; an integer feature). A missing, non-integer or out-of-range
 * index, or a group without a rule, throws a `ScoringInputError` naming the row and the column.
 *
 * Outputs (binary classification, the wrapped model's classes): `probabilities` are the wrapped
 * model's, unchanged; `predictions` are the wrapper's decisions (1 = classes[1]), from
 * `applyThresholds` applied to the wrapped positive-class probability. A rule may randomise; its
 * random draws come from `createRandom(rowSeed(row, seed))`, a generator seeded by a hash of the
 * row's own values (the full wrapper row, attribute included) and the seed, so the same input
 * always gets the same decision, whatever else is in the batch. So a decision need not agree with
 * `probabilities[1] >= 0.5`: that is the mitigation.
 *
 * Pure: no I/O; the wrapped model is given loaded.
 */
import { createRandom } from '../fairness/seeded-random.js';
import { applyThresholds, type ThresholdArtifact } from '../fairness/threshold-optimizer.js';
import { ScoringInputError } from './linear-model.js';
import { ModelArtifactError, type ScoringModel, type ScoringOutput } from './scoring-model.js';

export const THRESHOLD_WRAPPER_FORMAT = 'raia-threshold-wrapper/v1';

export type ThresholdWrapper = {
  format: typeof THRESHOLD_WRAPPER_FORMAT;
  wraps: { modelId: string; version: number };
  attribute: { name: string; labels: string[] };
  artifact: ThresholdArtifact;
  seed: number;
};

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isFinite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isProbability = (v: unknown): v is number => isFinite(v) && v >= 0 && v <= 1;

/** Validates a wrapper document; every failure is a ModelArtifactError whose field is a JSON path. */
export function parseThresholdWrapper(json: unknown): ThresholdWrapper {
  if (!isRecord(json)) throw new ModelArtifactError('$', 'must be a JSON object');
  if (json.format !== THRESHOLD_WRAPPER_FORMAT) throw new ModelArtifactError('format', `must be "${THRESHOLD_WRAPPER_FORMAT}"`);
  const wraps = json.wraps;
  if (!isRecord(wraps)) throw new ModelArtifactError('wraps', 'must be an object { modelId, version }');
  if (typeof wraps.modelId !== 'string' || wraps.modelId.length === 0) throw new ModelArtifactError('wraps.modelId', 'must be a model id');
  if (!(Number.isInteger(wraps.version) && (wraps.version as number) >= 1)) throw new ModelArtifactError('wraps.version', 'must be a positive integer');
  const attribute = json.attribute;
  if (!isRecord(attribute)) throw new ModelArtifactError('attribute', 'must be an object { name, labels }');
  if (typeof attribute.name !== 'string' || attribute.name.length === 0) throw new ModelArtifactError('attribute.name', 'must be a non-empty string');
  const labels = attribute.labels;
  if (!Array.isArray(labels) || labels.length === 0 || !labels.every((l) => typeof l === 'string')) throw new ModelArtifactError('attribute.labels', 'must be a non-empty array of strings');
  if (new Set(labels).size !== labels.length) throw new ModelArtifactError('attribute.labels', 'must be unique');
  if (!(Number.isInteger(json.seed) && (json.seed as number) >= 0 && (json.seed as number) <= 0xffffffff)) throw new ModelArtifactError('seed', 'must be an unsigned 32-bit integer');

  const a = json.artifact;
  if (!isRecord(a)) throw new ModelArtifactError('artifact', 'must be a threshold optimiser artifact');
  if (a.kind !== 'raia.fairness.threshold-optimizer' || a.version !== 1) throw new ModelArtifactError('artifact.kind', 'must be "raia.fairness.threshold-optimizer" version 1');
  if (a.decision !== 'predict 1 when score >= threshold') throw new ModelArtifactError('artifact.decision', 'must be "predict 1 when score >= threshold"');
  if (a.constraint !== 'demographic_parity' && a.constraint !== 'equalized_odds') throw new ModelArtifactError('artifact.constraint', 'must be "demographic_parity" or "equalized_odds"');
  if (!isFinite(a.tolerance)) throw new ModelArtifactError('artifact.tolerance', 'must be a number');
  if (a.attribute !== attribute.name) throw new ModelArtifactError('artifact.attribute', `must equal attribute.name ("${attribute.name}")`);
  if (!Array.isArray(a.labels) || a.labels.length !== labels.length || a.labels.some((l, i) => l !== labels[i])) throw new ModelArtifactError('artifact.labels', 'must equal attribute.labels');
  if (!Array.isArray(a.groups) || a.groups.length === 0) throw new ModelArtifactError('artifact.groups', 'must be a non-empty array of group rules');
  const seen = new Set<number>();
  a.groups.forEach((g: unknown, k) => {
    const at = `artifact.groups[${k}]`;
    if (!isRecord(g)) throw new ModelArtifactError(at, 'must be an object');
    if (!(Number.isInteger(g.code) && (g.code as number) >= 0 && (g.code as number) < labels.length)) throw new ModelArtifactError(`${at}.code`, `must be an index into attribute.labels (0..${labels.length - 1})`);
    if (seen.has(g.code as number)) throw new ModelArtifactError(`${at}.code`, 'repeats another group\'s code');
    seen.add(g.code as number);
    if (g.group !== labels[g.code as number]) throw new ModelArtifactError(`${at}.group`, `must be the label of code ${String(g.code)}`);
    for (const key of ['thresholdHigh', 'thresholdLow'] as const) if (!isFinite(g[key])) throw new ModelArtifactError(`${at}.${key}`, 'must be a finite number');
    for (const key of ['probabilityLow', 'probabilityConstant', 'constantRate'] as const) if (!isProbability(g[key])) throw new ModelArtifactError(`${at}.${key}`, 'must be a number in [0, 1]');
    if (!isRecord(g.expected)) throw new ModelArtifactError(`${at}.expected`, 'must be an object');
  });
  return json as unknown as ThresholdWrapper;
}

const scratch = new DataView(new ArrayBuffer(8));

/**
 * The seed of a row's random draws: FNV-1a (32-bit) over the seed (4 bytes, little-endian) and the
 * row's values as IEEE-754 doubles (8 bytes each, little-endian; -0 counts as 0 and every NaN as
 * the same NaN), finished with MurmurHash3's fmix32 so that nearby rows get unrelated seeds.
 */
export function rowSeed(row: ArrayLike<number>, seed: number): number {
  let h = 0x811c9dc5;
  const mix = (bytes: number) => {
    for (let b = 0; b < bytes; b++) {
      h ^= scratch.getUint8(b);
      h = Math.imul(h, 0x01000193);
    }
  };
  scratch.setUint32(0, seed >>> 0, true);
  mix(4);
  for (let j = 0; j < row.length; j++) {
    const v = row[j]!;
    scratch.setFloat64(0, Number.isNaN(v) ? NaN : v === 0 ? 0 : v, true);
    mix(8);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The wrapper as a scoring model over a loaded binary classifier. Throws ModelArtifactError when
 * the wrapped model is not a binary classifier or already has a feature named like the attribute.
 * `close` closes the wrapped model too.
 */
export function thresholdWrapperModel(wrapper: ThresholdWrapper, wrapped: ScoringModel): ScoringModel {
  if (wrapped.task !== 'binary' || !wrapped.classes || wrapped.classes.length !== 2) throw new ModelArtifactError('wraps', 'the wrapped version must be a binary classifier');
  const { name, labels } = wrapper.attribute;
  if (wrapped.featureNames.includes(name)) throw new ModelArtifactError('attribute.name', `the wrapped version already has a feature named "${name}"`);
  const innerWidth = wrapped.featureNames.length;
  const width = innerWidth + 1;
  const ruled = new Set(wrapper.artifact.groups.map((g) => g.code));
  const featureNames = Object.freeze([...wrapped.featureNames, name]);

  return {
    task: 'binary',
    featureNames,
    classes: wrapped.classes,
    async score(features: Float64Array, nRows: number): Promise<ScoringOutput> {
      if (features.length !== nRows * width) throw new ScoringInputError(null, null, `expected ${nRows} rows of ${width} features (${nRows * width} values), got ${features.length}`);
      const inner = new Float64Array(nRows * innerWidth);
      const codes = new Int32Array(nRows);
      for (let i = 0; i < nRows; i++) {
        const code = features[i * width + innerWidth]!;
        if (!(Number.isInteger(code) && code >= 0 && code < labels.length && ruled.has(code))) {
          throw new ScoringInputError(i, name, `must be the index of a group with a threshold rule in [${labels.map((l) => JSON.stringify(l)).join(', ')}], got ${code}`);
        }
        codes[i] = code;
        inner.set(features.subarray(i * width, i * width + innerWidth), i * innerWidth);
      }
      const out = await wrapped.score(inner, nRows);
      const predictions = new Float64Array(nRows);
      for (let i = 0; i < nRows; i++) {
        const score = out.probabilities ? out.probabilities[i * 2 + 1]! : out.predictions[i]!;
        const random = createRandom(rowSeed(features.subarray(i * width, (i + 1) * width), wrapper.seed));
        predictions[i] = applyThresholds(wrapper.artifact, Float64Array.of(score), Int32Array.of(codes[i]!), random)[0]!;
      }
      return { predictions, probabilities: out.probabilities };
    },
    close: () => wrapped.close(),
  };
}
