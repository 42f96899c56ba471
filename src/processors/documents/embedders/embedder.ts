/**
 * The one port every embedding model is used through: texts in, one vector each out, all of
 * `dimensions` length. `id` names model and provider precisely enough that two different models
 * never share it: chunks record it, and search only compares vectors of one id.
 */
export type Embedder = {
  readonly id: string;
  readonly dimensions: number;
  embed(texts: readonly string[]): Promise<Float32Array[]>;
  close?(): Promise<void>;
};

/** The embedding provider failed or answered something unusable; the upload that needed it records nothing. */
export class EmbeddingFailed extends Error {
  constructor(embedderId: string, detail: string, options?: { cause?: unknown }) {
    super(`embedding with ${embedderId} failed: ${detail}`, options);
    this.name = 'EmbeddingFailed';
  }
}

/** Unit length (cosine similarity becomes a dot product); a zero vector stays zero. */
export function normalized(vector: Float32Array): Float32Array {
  let norm = 0;
  for (const v of vector) norm += v * v;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < vector.length; i++) vector[i]! /= norm;
  return vector;
}
