import type { Config } from '../../../platform/config.js';
import type { Embedder } from './embedder.js';
import { openAiEmbeddings } from './openai-embeddings.js';
import { transformersEmbeddings } from './transformers-embeddings.js';
import { universalSentenceEncoder } from './universal-sentence-encoder.js';

/** The embedder RAIA_EMBEDDINGS names (loadConfig has checked that its settings are all there). */
export async function embedderFromConfig(config: Config): Promise<Embedder> {
  switch (config.RAIA_EMBEDDINGS) {
    case 'universal-sentence-encoder':
      return universalSentenceEncoder();
    case 'openai-compatible':
      return openAiEmbeddings({ baseUrl: config.RAIA_EMBEDDINGS_URL!, model: config.RAIA_EMBEDDINGS_MODEL!, dimensions: config.RAIA_EMBEDDINGS_DIMENSIONS!, apiKey: config.RAIA_EMBEDDINGS_API_KEY });
    case 'transformers':
      return transformersEmbeddings({ model: config.RAIA_EMBEDDINGS_MODEL!, allowRemote: config.RAIA_EMBEDDINGS_ALLOW_REMOTE });
  }
}
