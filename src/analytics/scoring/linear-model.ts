/**
 * Linear and logistic models as JSON: the `raia-linear/v1` format.
 *
 * ```json
 * {
 *   "format": "raia-linear/v1",
 *   "task": "regression" | "binary" | "multiclass",
 *   "link": "identity" | "logistic" | "softmax",
 *   "featureNames": ["age", "income"],
 *   "coefficients": [0.5, -1.25],
 *   "intercept": 0.1,
 *   "classes": ["rejected", "accepted"]
 * }
 * ```
 *
 * - `format` is exactly `"raia-linear/v1"`.
 * - `task` and `link` go together: regression uses `identity` (prediction = z), binary uses
 *   `logistic` (P(classes[1]) = 1 / (1 + e^-z)), multiclass uses `softmax`
 *   (P(classes[c]) = e^z_c / Σ_k e^z_k). Here z = intercept + Σ_j coefficients[j] · x_j.
 * - `featureNames`: at least one feature, non-empty and unique strings; the order of the input
 *   columns and of the coefficients.
 * - `coefficients`: regression and binary, one finite number per feature; multiclass, one array
 *   per class (in `classes` order), each with one finite number per feature.
 * - `intercept`: regression and binary, a finite number; multiclass, an array of one finite
 *   number per class.
 * - `classes`: required for classification and absent (or null) for regression. Labels are
 *   strings or numbers (numbers are kept as their decimal string) and unique. Binary: exactly
 *   two, the negative class first; multiclass: at least three.
 * - Other keys are ignored (room for metadata such as a description or training date).
 *
 * Predictions follow scikit-learn: binary predicts classes[1] when z > 0, multiclass the first
 * class with the largest z. Missing values are not allowed: a linear model has no rule for
 * them, so scoring a row with a NaN (or infinite) feature throws a `ScoringInputError` naming
 * the row and the feature; impute before scoring.
 *
 * Every validation failure throws a `ModelArtifactError` whose `field` is a JSON path into the
 * document (`coefficients[3]`, `coefficients[1][0]`, `classes[2]`; `$` is the document itself).
 */
import { ModelArtifactError, type ModelTask, type ScoringModel, type ScoringOutput } from './scoring-model.js';

export const LINEAR_MODEL_FORMAT = 'raia-linear/v1';

export type LinearLink = 'identity' | 'logistic' | 'softmax';

export type LinearModel = {
  readonly task: ModelTask;
  readonly link: LinearLink;
  readonly featureNames: readonly string[];
  /** Classification labels (binary: negative first); null for regression. */
  readonly classes: readonly string[] | null;
  /** One row of featureNames.length weights per linear output (one output, or one per class for multiclass), row-major. */
  readonly weights: Float64Array;
  /** One intercept per linear output. */
  readonly intercepts: Float64Array;
};

/** A feature matrix a model cannot score; `row` and `feature` name the offending cell when there is one. */
export class ScoringInputError extends Error {
  readonly code = 'SCORING_INPUT_INVALID';
  constructor(
    public readonly row: number | null,
    public readonly feature: string | null,
    message: string,
  ) {
    super(message);
    this.name = 'ScoringInputError';
  }
}

const LINK_OF_TASK: Record<ModelTask, LinearLink> = { regression: 'identity', binary: 'logistic', multiclass: 'softmax' };

export function parseLinearModel(json: unknown): LinearModel {
  if (!isRecord(json)) throw new ModelArtifactError('$', 'must be a JSON object');
  if (json.format !== LINEAR_MODEL_FORMAT) throw new ModelArtifactError('format', `must be "${LINEAR_MODEL_FORMAT}"`);

  const task = json.task;
  if (task !== 'regression' && task !== 'binary' && task !== 'multiclass') {
    throw new ModelArtifactError('task', 'must be "regression", "binary" or "multiclass"');
  }
  const link = LINK_OF_TASK[task];
  if (json.link !== link) throw new ModelArtifactError('link', `must be "${link}" for task "${task}"`);

  const featureNames = parseFeatureNames(json.featureNames);
  const p = featureNames.length;
  const classes = parseClasses(json.classes, task);

  if (task === 'multiclass') {
    const k = classes!.length;
    if (!Array.isArray(json.coefficients)) throw new ModelArtifactError('coefficients', `must be an array of ${k} arrays (one per class)`);
    if (json.coefficients.length !== k) {
      throw new ModelArtifactError('coefficients', `has ${json.coefficients.length} rows; classes has ${k}`);
    }
    const weights = new Float64Array(k * p);
    json.coefficients.forEach((row: unknown, c) => weights.set(parseNumbers(row, p, `coefficients[${c}]`, 'featureNames'), c * p));
    const intercepts = parseNumbers(json.intercept, k, 'intercept', 'classes');
    return { task, link, featureNames, classes, weights, intercepts };
  }

  const weights = parseNumbers(json.coefficients, p, 'coefficients', 'featureNames');
  if (!isFiniteNumber(json.intercept)) throw new ModelArtifactError('intercept', 'must be a finite number');
  return { task, link, featureNames, classes, weights, intercepts: Float64Array.of(json.intercept) };
}

export function linearScoringModel(model: LinearModel): ScoringModel {
  const { task, featureNames, classes, weights, intercepts } = model;
  const p = featureNames.length;
  const outputs = intercepts.length;
  const k = classes?.length ?? 0;

  async function score(features: Float64Array, nRows: number): Promise<ScoringOutput> {
    if (!Number.isInteger(nRows) || nRows < 0) throw new ScoringInputError(null, null, `nRows must be a non-negative integer, got ${nRows}`);
    if (features.length !== nRows * p) {
      throw new ScoringInputError(null, null, `${features.length} feature values for ${nRows} rows of ${p} features`);
    }
    const predictions = new Float64Array(nRows);
    const probabilities = task === 'regression' ? null : new Float64Array(nRows * k);
    const z = new Float64Array(outputs);
    for (let i = 0; i < nRows; i++) {
      const base = i * p;
      for (let j = 0; j < p; j++) {
        if (!Number.isFinite(features[base + j]!)) {
          throw new ScoringInputError(
            i,
            featureNames[j]!,
            `row ${i}, feature "${featureNames[j]}": ${features[base + j]} is not allowed; linear models take no missing or infinite values`,
          );
        }
      }
      for (let o = 0; o < outputs; o++) {
        let sum = intercepts[o]!;
        const w = o * p;
        for (let j = 0; j < p; j++) sum += weights[w + j]! * features[base + j]!;
        z[o] = sum;
      }
      if (task === 'regression') {
        predictions[i] = z[0]!;
      } else if (task === 'binary') {
        const z0 = z[0]!;
        // Each side from its own stable sigmoid, so a tiny probability keeps its precision.
        probabilities![i * 2] = sigmoid(-z0);
        probabilities![i * 2 + 1] = sigmoid(z0);
        predictions[i] = z0 > 0 ? 1 : 0;
      } else {
        predictions[i] = softmaxInto(z, probabilities!, i * k);
      }
    }
    return { predictions, probabilities };
  }

  return { task, featureNames, classes, score, close: async () => {} };
}

/** 1 / (1 + e^-z) without overflow: e^-|z| is always ≤ 1. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** Writes softmax(z) at out[offset..]; subtracting max z keeps every exponent ≤ 0. Returns the argmax (first on ties). */
export function softmaxInto(z: Float64Array, out: Float64Array, offset: number): number {
  let argmax = 0;
  for (let c = 1; c < z.length; c++) if (z[c]! > z[argmax]!) argmax = c;
  const max = z[argmax]!;
  let total = 0;
  for (let c = 0; c < z.length; c++) {
    const e = Math.exp(z[c]! - max);
    out[offset + c] = e;
    total += e;
  }
  for (let c = 0; c < z.length; c++) out[offset + c] = out[offset + c]! / total;
  return argmax;
}

function parseFeatureNames(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) throw new ModelArtifactError('featureNames', 'must be a non-empty array of strings');
  const seen = new Set<string>();
  return value.map((name: unknown, j) => {
    if (typeof name !== 'string' || name.length === 0) throw new ModelArtifactError(`featureNames[${j}]`, 'must be a non-empty string');
    if (seen.has(name)) throw new ModelArtifactError(`featureNames[${j}]`, `"${name}" appears twice`);
    seen.add(name);
    return name;
  });
}

function parseClasses(value: unknown, task: ModelTask): string[] | null {
  if (task === 'regression') {
    if (value !== undefined && value !== null) throw new ModelArtifactError('classes', 'must be absent for a regression model');
    return null;
  }
  if (!Array.isArray(value)) throw new ModelArtifactError('classes', `is required for a ${task} model`);
  if (task === 'binary' && value.length !== 2) throw new ModelArtifactError('classes', `a binary model has exactly 2 classes, got ${value.length}`);
  if (task === 'multiclass' && value.length < 3) {
    throw new ModelArtifactError('classes', `a multiclass model has at least 3 classes, got ${value.length} (use task "binary" for two)`);
  }
  const seen = new Set<string>();
  return value.map((label: unknown, c) => {
    if (typeof label !== 'string' && !isFiniteNumber(label)) throw new ModelArtifactError(`classes[${c}]`, 'must be a string or a finite number');
    const text = String(label);
    if (seen.has(text)) throw new ModelArtifactError(`classes[${c}]`, `"${text}" appears twice`);
    seen.add(text);
    return text;
  });
}

/** An array of exactly `length` finite numbers at `field`; `lengthOf` names what fixes the length. */
function parseNumbers(value: unknown, length: number, field: string, lengthOf: string): Float64Array {
  if (!Array.isArray(value)) throw new ModelArtifactError(field, `must be an array of ${length} numbers (one per entry of ${lengthOf})`);
  if (value.length !== length) throw new ModelArtifactError(field, `has ${value.length} entries; ${lengthOf} has ${length}`);
  const out = new Float64Array(length);
  value.forEach((v: unknown, j) => {
    if (!isFiniteNumber(v)) throw new ModelArtifactError(`${field}[${j}]`, 'must be a finite number');
    out[j] = v;
  });
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}
