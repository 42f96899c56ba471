import { z } from 'zod';
import { EmbeddingFailed, normalized, type Embedder } from './embedder.js';

const answer = z.object({ data: z.array(z.object({ index: z.number().int().nonnegative(), embedding: z.array(z.number()) })) });

export type OpenAiEmbeddingsOptions = {
  /** Up to and including the API version, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:11434/v1` (Ollama). */
  baseUrl: string;
  model: string;
  dimensions: number;
  apiKey?: string;
  batchSize?: number;
  timeoutMs?: number;
  /** Further tries after a 429 or 5xx (honouring `retry-after`) or a network error. */
  retries?: number;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Seconds or an HTTP date, capped; exponential backoff when absent. */
function retryDelayMs(header: string | null, attempt: number): number {
  const seconds = header === null ? NaN : Number(header);
  if (Number.isFinite(seconds)) return Math.min(Math.max(seconds, 0) * 1000, 30_000);
  const date = header === null ? NaN : Date.parse(header);
  if (Number.isFinite(date)) return Math.min(Math.max(date - Date.now(), 0), 30_000);
  return Math.min(250 * 2 ** attempt, 8000);
}

/** Embeddings from any server speaking OpenAI's `POST /embeddings` (OpenAI, Azure-style gateways, Ollama, vLLM, llama.cpp, TEI). */
export function openAiEmbeddings(options: OpenAiEmbeddingsOptions): Embedder {
  const base = options.baseUrl.replace(/\/+$/, '');
  const id = `openai-compatible:${new URL(base).host}/${options.model}`;
  const batchSize = options.batchSize ?? 64;
  const retries = options.retries ?? 3;

  async function call(input: readonly string[]): Promise<Float32Array[]> {
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(`${base}/embeddings`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}) },
          body: JSON.stringify({ model: options.model, input, encoding_format: 'float' }),
          signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
        });
      } catch (error) {
        if (attempt < retries) {
          await sleep(retryDelayMs(null, attempt));
          continue;
        }
        throw new EmbeddingFailed(id, `the provider is out of reach (${error instanceof Error ? error.message : String(error)})`, { cause: error });
      }
      if ((response.status === 429 || response.status >= 500) && attempt < retries) {
        await response.body?.cancel();
        await sleep(retryDelayMs(response.headers.get('retry-after'), attempt));
        continue;
      }
      const text = await response.text();
      if (!response.ok) throw new EmbeddingFailed(id, `the provider answered ${response.status}: ${text.slice(0, 300)}`);
      let parsed: z.infer<typeof answer>;
      try {
        parsed = answer.parse(JSON.parse(text));
      } catch {
        throw new EmbeddingFailed(id, 'the provider\'s answer is not an embeddings list');
      }
      const out: (Float32Array | undefined)[] = new Array(input.length);
      for (const item of parsed.data) {
        if (item.index >= input.length) throw new EmbeddingFailed(id, `the provider answered an index (${item.index}) past the ${input.length} inputs`);
        if (item.embedding.length !== options.dimensions) throw new EmbeddingFailed(id, `the provider answered ${item.embedding.length} dimensions, ${options.dimensions} are configured`);
        out[item.index] = normalized(Float32Array.from(item.embedding));
      }
      if (out.some((v) => v === undefined)) throw new EmbeddingFailed(id, 'the provider left inputs without an embedding');
      return out as Float32Array[];
    }
  }

  return {
    id,
    dimensions: options.dimensions,
    async embed(texts) {
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += batchSize) out.push(...(await call(texts.slice(i, i + batchSize))));
      return out;
    },
  };
}
