import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddingFailed } from '../../../src/processors/documents/embedders/embedder.js';
import { openAiEmbeddings } from '../../../src/processors/documents/embedders/openai-embeddings.js';
import { transformersEmbeddings } from '../../../src/processors/documents/embedders/transformers-embeddings.js';
import { universalSentenceEncoder } from '../../../src/processors/documents/embedders/universal-sentence-encoder.js';
import { bagOfWords, startMockEmbeddingsServer, type MockEmbeddingsServer } from '../../support/mock-embeddings-server.js';
import { writeTinySentenceModel } from '../../support/tiny-sentence-model.js';

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i]!, 0);

describe('embedders', () => {
  let provider: MockEmbeddingsServer;
  let folder: string;
  beforeAll(async () => {
    provider = await startMockEmbeddingsServer(8);
    folder = mkdtempSync(join(tmpdir(), 'raia-tiny-model-'));
  });
  afterAll(async () => {
    await provider.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('offline default: Universal Sentence Encoder lite from its npm package, 512 unit vectors, near for paraphrases', async () => {
    const use = universalSentenceEncoder();
    const [cat, kitten, revenue] = await use.embed(['The cat sat on the mat.', 'A kitten is sitting on a rug.', 'Quarterly revenue rose by ten percent.']);
    await use.close?.();
    expect(use.dimensions).toBe(512);
    expect(cat).toHaveLength(512);
    expect(dot(cat!, cat!)).toBeCloseTo(1, 5);
    expect(dot(cat!, kitten!)).toBeGreaterThan(dot(cat!, revenue!) + 0.1);
  }, 60_000);

  it('offline default on worker threads: the vectors of the calling thread, in input order, and the event loop stays free', async () => {
    const texts = ['The cat sat on the mat.', 'A kitten is sitting on a rug.', 'Quarterly revenue rose by ten percent.', 'Model drift was detected in May.', 'The board approved the deployment.'];
    const here = universalSentenceEncoder({ threads: 0, batchSize: 2 });
    const pooled = universalSentenceEncoder({ threads: 2, batchSize: 2 });
    try {
      // How busy the event loop is while the texts are embedded (share of the time it spends
      // running rather than waiting): on the calling thread the model holds it, on workers the loop
      // only posts and receives messages. Measured as utilisation, not as the longest gap between
      // timer ticks, which on a loaded machine grows with scheduling delays whatever the loop does.
      const hereStart = performance.eventLoopUtilization();
      const expected = await here.embed(texts);
      const hereBusy = performance.eventLoopUtilization(hereStart).utilization;
      const pooledStart = performance.eventLoopUtilization();
      const vectors = await pooled.embed(texts);
      const pooledBusy = performance.eventLoopUtilization(pooledStart).utilization;
      expect(vectors).toHaveLength(texts.length);
      // Equal up to float32 rounding: the shares batch the texts differently (padding within a batch).
      vectors.forEach((v, i) => v.forEach((x, d) => expect(Math.abs(x - expected[i]![d]!)).toBeLessThan(1e-5)));
      expect(hereBusy).toBeGreaterThan(0.6);
      expect(pooledBusy).toBeLessThan(0.3);
      expect(await pooled.embed([])).toEqual([]);
    } finally {
      await pooled.close?.();
    }
  }, 120_000);

  it('OpenAI-compatible: batches, keeps input order by index, normalizes', async () => {
    const client = openAiEmbeddings({ baseUrl: provider.url, model: 'm', dimensions: 8, batchSize: 2 });
    const before = provider.requests.length;
    const vectors = await client.embed(['risk model', 'drift', 'model drift risk']);
    expect(provider.requests.length - before).toBe(2);
    const expected = bagOfWords('model drift risk', 8);
    const norm = Math.hypot(...expected);
    expect(Array.from(vectors[2]!)).toEqual(expected.map((v) => Math.fround(v / norm)));
    provider.script({ status: 200, body: JSON.stringify({ data: [{ index: 1, embedding: bagOfWords('b', 8) }, { index: 0, embedding: bagOfWords('a', 8) }] }) });
    const [a, b] = await client.embed(['a', 'b']);
    expect(Array.from(a!)).toEqual(Array.from((await client.embed(['a']))[0]!));
    expect(Array.from(b!)).toEqual(Array.from((await client.embed(['b']))[0]!));
  });

  it('OpenAI-compatible: waits retry-after on 429, does not retry a 400, refuses wrong dimensions and unreachable servers', async () => {
    const client = openAiEmbeddings({ baseUrl: provider.url, model: 'm', dimensions: 8, retries: 2 });
    provider.script({ status: 429, headers: { 'retry-after': '1' }, body: '{}' });
    const start = performance.now();
    expect(await client.embed(['risk'])).toHaveLength(1);
    expect(performance.now() - start).toBeGreaterThanOrEqual(990);
    const before = provider.requests.length;
    provider.script({ status: 400, body: '{"error":{"message":"bad model"}}' });
    await expect(client.embed(['x'])).rejects.toThrow(/400.*bad model/);
    expect(provider.requests.length - before).toBe(1);
    await expect(openAiEmbeddings({ baseUrl: provider.url, model: 'm', dimensions: 7 }).embed(['x'])).rejects.toThrow(/8 dimensions, 7 are configured/);
    await expect(openAiEmbeddings({ baseUrl: 'http://127.0.0.1:9/v1', model: 'm', dimensions: 8, retries: 0 }).embed(['x'])).rejects.toThrow(EmbeddingFailed);
  });

  it('transformers.js: a local model folder (tokenizer, config, ONNX graph built here), mean-pooled over the attention mask', async () => {
    await writeTinySentenceModel(join(folder, 'tiny-model'));
    const local = await transformersEmbeddings({ model: join(folder, 'tiny-model') });
    expect(local).toMatchObject({ id: 'transformers:tiny-model', dimensions: 3 });
    // "risk model": mean of rows [1,0,0] and [0,1,0] = [.5,.5,0], unit length [1/√2, 1/√2, 0];
    // "drift" (padded to two tokens in the batch, the pad masked out): [0,0,1].
    const [riskModel, drift] = await local.embed(['Risk model', 'drift']);
    expect(Array.from(riskModel!).map((v) => +v.toFixed(6))).toEqual([+(1 / Math.SQRT2).toFixed(6), +(1 / Math.SQRT2).toFixed(6), 0]);
    expect(Array.from(drift!)).toEqual([0, 0, 1]);
    await local.close?.();
  }, 60_000);
});
