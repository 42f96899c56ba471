import { parentPort } from 'node:worker_threads';
import { encodeSentences } from './use-lite-encoding.js';

/** One share of a batch: texts in, their unit vectors back as one row-major Float32Array. */
export type SentenceEncodingJob = { job: number; texts: string[]; batchSize: number };
export type SentenceEncodingAnswer = { job: number; vectors?: Float32Array; error?: string };

parentPort!.on('message', (message: SentenceEncodingJob) => {
  encodeSentences(message.texts, message.batchSize).then(
    (vectors) => parentPort!.postMessage({ job: message.job, vectors } satisfies SentenceEncodingAnswer, [vectors.buffer as ArrayBuffer]),
    (error: unknown) => parentPort!.postMessage({ job: message.job, error: error instanceof Error ? error.message : String(error) } satisfies SentenceEncodingAnswer),
  );
});
