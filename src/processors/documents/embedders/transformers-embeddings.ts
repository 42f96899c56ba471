import { readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { EmbeddingFailed, normalized, type Embedder } from './embedder.js';

type FeatureExtractor = ((texts: string[], options: { pooling: 'mean'; normalize: boolean }) => Promise<{ dims: number[]; data: Float32Array }>) & { dispose(): Promise<void> };

export type TransformersEmbeddingsOptions = {
  /** A model folder (config.json, tokenizer.json, onnx/model.onnx), or a hub model id when `allowRemote`. */
  model: string;
  /** Look the model up on the Hugging Face hub when it is not a local folder (a machine that reaches it). */
  allowRemote?: boolean;
  batchSize?: number;
};

/**
 * A local sentence-embedding model run by @huggingface/transformers (ONNX Runtime): mean pooling of
 * the last hidden state, unit length, as sentence-transformers models are used. Its dimension is
 * the model config's `hidden_size`.
 */
export async function transformersEmbeddings(options: TransformersEmbeddingsOptions): Promise<Embedder> {
  const transformers = await import('@huggingface/transformers');
  const local = !options.allowRemote || options.model.startsWith('/') || options.model.startsWith('.');
  let modelName = options.model;
  let dimensions: number;
  if (local) {
    const folder = resolve(options.model);
    transformers.env.allowRemoteModels = false;
    transformers.env.allowLocalModels = true;
    transformers.env.localModelPath = dirname(folder);
    modelName = basename(folder);
    const config = JSON.parse(await readFile(join(folder, 'config.json'), 'utf8')) as { hidden_size?: number; dim?: number };
    dimensions = config.hidden_size ?? config.dim ?? 0;
  } else {
    transformers.env.allowRemoteModels = true;
    const config = await transformers.AutoConfig.from_pretrained(options.model);
    dimensions = (config as unknown as { hidden_size?: number }).hidden_size ?? 0;
  }
  if (!(dimensions > 0)) throw new EmbeddingFailed(`transformers:${options.model}`, 'the model config names no hidden_size');
  const extractor = (await transformers.pipeline('feature-extraction', modelName, { local_files_only: local, dtype: 'fp32' })) as unknown as FeatureExtractor;
  const id = `transformers:${local ? basename(resolve(options.model)) : options.model}`;
  const batchSize = options.batchSize ?? 16;
  return {
    id,
    dimensions,
    async embed(texts) {
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += batchSize) {
        const batch = texts.slice(i, i + batchSize) as string[];
        const tensor = await extractor(batch, { pooling: 'mean', normalize: false });
        const width = tensor.dims[tensor.dims.length - 1]!;
        if (width !== dimensions) throw new EmbeddingFailed(id, `the model produced ${width} dimensions, its config says ${dimensions}`);
        for (let j = 0; j < batch.length; j++) out.push(normalized(Float32Array.from(tensor.data.subarray(j * width, (j + 1) * width))));
      }
      return out;
    },
    async close() {
      await extractor.dispose();
    },
  };
}
