import { markTreeBackedPredict } from '../trees/tree-backed-predict.js';
import type { TreeEnsemble } from '../trees/tree-ensemble.js';

/**
 * What every model format RAIA can score looks like to the rest of the system (registry,
 * explanations, fairness, drift): a batch function over a row-major Float64Array of the model's
 * input features, in `featureNames` order. Missing values are NaN.
 */
export type ModelTask = 'regression' | 'binary' | 'multiclass';

export type ScoringOutput = {
  /** Regression: the predicted value. Classification: the index of the predicted class in `classes`. */
  predictions: Float64Array;
  /** Classification: nRows x classes.length, row-major, each row summing to 1. Regression: null. */
  probabilities: Float64Array | null;
};

export interface ScoringModel {
  readonly task: ModelTask;
  readonly featureNames: readonly string[];
  /** Class labels for classification (binary: the negative class first); null for regression. */
  readonly classes: readonly string[] | null;
  score(features: Float64Array, nRows: number): Promise<ScoringOutput>;
  /** Frees native resources (ONNX sessions); a no-op for pure models. */
  close(): Promise<void>;
}

/** A typed error for an artifact that cannot be a model of its declared format; `field` names where. */
export class ModelArtifactError extends Error {
  constructor(
    public readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'ModelArtifactError';
  }
}

/**
 * A refusal inside the artifact document itself: `field` is a path in it (`trees[3].nodes[7].cover`,
 * `$` the document), not a field of what the version declares (task, inputSchema, classes).
 */
export class ArtifactContentError extends ModelArtifactError {
  constructor(
    field: string,
    readonly reason: string,
  ) {
    super(field, reason);
    this.name = 'ArtifactContentError';
  }

  /** The path as a client reads it: `artifact.trees[3].nodes[7].cover`, `artifact` for the whole. */
  get artifactPath(): string {
    return this.field === '$' ? 'artifact' : `artifact.${this.field}`;
  }
}

/**
 * The single number explanations and fairness work on: the positive-class probability for a
 * binary classifier, the value for a regressor (multiclass: the probability of `classIndex`).
 */
export function scalarOutput(model: ScoringModel, classIndex = 1): (features: Float64Array, nRows: number) => Promise<Float64Array> {
  const output = async (features: Float64Array, nRows: number) => {
    const out = await model.score(features, nRows);
    if (model.task === 'regression' || !out.probabilities) return out.predictions;
    const k = model.classes!.length;
    const result = new Float64Array(nRows);
    for (let i = 0; i < nRows; i++) result[i] = out.probabilities[i * k + classIndex]!;
    return result;
  };
  // A regression tree ensemble's value is its output through its link: explainers may use the trees.
  const ensemble = (model as { ensemble?: TreeEnsemble }).ensemble;
  return ensemble !== undefined && model.task === 'regression' ? markTreeBackedPredict(output, ensemble, 'output') : output;
}
