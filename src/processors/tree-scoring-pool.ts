import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { compiledTreeEnsemble } from '../analytics/trees/compiled-tree-ensemble.js';
import { scoreCompiled } from '../analytics/trees/compiled-tree-scorer.js';
import { applyLink } from '../analytics/trees/predict.js';
import { markTreeBackedPredict } from '../analytics/trees/tree-backed-predict.js';
import type { TreeEnsemble } from '../analytics/trees/tree-ensemble.js';
import { claimFront, newChunkClaims } from './row-chunk-claims.js';
import type { TreeScoringAnswer, TreeScoringJob } from './tree-scoring-worker.js';

/**
 * Scores large batches of a tree ensemble across threads: the calling thread takes one share of
 * the rows and each worker thread another, all walking the same compiled model (its arrays are
 * SharedArrayBuffers, so workers read them without a copy). Small batches, where posting a share
 * would cost more than it saves, are scored on the calling thread alone.
 */
export type TreeScoringPool = {
  readonly threads: number;
  margins(model: TreeEnsemble, X: Float64Array, nRows: number): Promise<Float64Array>;
  /** Margins through the model's link (identity or logistic). */
  predict(model: TreeEnsemble, X: Float64Array, nRows: number): Promise<Float64Array>;
  /** `predict` for one model as the explainers' batch-predict contract, marked as that ensemble (trees/tree-backed-predict.ts). */
  predictor(model: TreeEnsemble): (X: Float64Array, nRows: number) => Promise<Float64Array>;
  close(): Promise<void>;
};

/** Below this many row x tree walks a batch stays on one thread (~1 ms of work). */
const MIN_PARALLEL_WALKS = 400_000;
/** Chunks claimed per thread share (more: finer balance when a thread is starved; fewer: less claiming). */
const CHUNKS_PER_SHARE = 16;
const CHUNK_MIN_ROWS = 256;

type Pending = { worker: Worker; resolve: (rows: number) => void; reject: (error: Error) => void };

/** `threads` counts the calling thread: 1 means no workers at all. */
export function createTreeScoringPool(threads: number = defaultThreads()): TreeScoringPool {
  const workers: Worker[] = [];
  const pending = new Map<number, Pending>();
  let nextJob = 0;

  // A worker is referenced only while it owes an answer, so an idle pool never keeps the process alive.
  const busy = new Map<Worker, number>();
  const hold = (w: Worker) => {
    busy.set(w, (busy.get(w) ?? 0) + 1);
    w.ref();
  };
  const release = (w: Worker) => {
    const left = (busy.get(w) ?? 1) - 1;
    busy.set(w, left);
    if (left === 0) w.unref();
  };

  const worker = (i: number): Worker => {
    if (workers[i] !== undefined) return workers[i]!;
    const w = new Worker(new URL('./worker-bootstrap.mjs', import.meta.url), { workerData: { entry: new URL('./tree-scoring-worker.js', import.meta.url).href } });
    w.unref();
    w.on('message', (answer: TreeScoringAnswer) => {
      const p = pending.get(answer.job);
      pending.delete(answer.job);
      release(w);
      if (answer.rows !== undefined) p?.resolve(answer.rows);
      else p?.reject(new Error(`tree scoring worker: ${answer.error}`));
    });
    const fail = (error: Error) => {
      workers[i] = undefined as unknown as Worker;
      busy.delete(w);
      for (const [job, p] of pending) {
        if (p.worker !== w) continue;
        pending.delete(job);
        p.reject(error);
      }
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`tree scoring worker exited with code ${code}`)));
    workers[i] = w;
    return w;
  };

  // Idle shared scratch buffers (concurrent calls each take their own).
  const idleScratch: Float64Array[] = [];
  const takeScratch = (length: number): Float64Array => {
    const i = idleScratch.findIndex((b) => b.length >= length);
    const buffer = i >= 0 ? idleScratch.splice(i, 1)[0]! : new Float64Array(new SharedArrayBuffer(Math.max(1, length) * 8));
    return buffer;
  };
  const releaseScratch = (buffer: Float64Array) => {
    idleScratch.push(buffer);
    // Keep a few, largest first, so memory stays bounded by the biggest recent batches.
    idleScratch.sort((a, b) => b.length - a.length);
    idleScratch.length = Math.min(idleScratch.length, 2);
  };

  const margins = async (model: TreeEnsemble, X: Float64Array, nRows: number): Promise<Float64Array> => {
    const m = model.nFeatures;
    if (X.length < nRows * m) throw new RangeError(`X holds ${X.length} values, fewer than ${nRows} rows x ${m} features`);
    const compiled = compiledTreeEnsemble(model);
    const out = new Float64Array(nRows);
    const shares = Math.min(threads, Math.max(1, Math.floor((nRows * model.nTrees) / MIN_PARALLEL_WALKS)));
    if (shares === 1) {
      scoreCompiled(compiled, X, 0, nRows, out);
      return out;
    }
    // The calling thread owns the first share; the rest may be scored by any thread, in chunks
    // claimed at run time (row-chunk-claims.ts): when the OS gives a worker no CPU, this thread
    // goes on into its share instead of waiting for it.
    const per = Math.ceil(nRows / shares);
    const chunkRows = Math.max(CHUNK_MIN_ROWS, Math.ceil(nRows / (shares * CHUNKS_PER_SHARE)));
    const nChunks = Math.ceil(nRows / chunkRows);
    // Workers never take a chunk that starts before this row: the first share stays here.
    const floor = Math.ceil(per / chunkRows);
    const firstRow = Math.min(nRows, floor * chunkRows);
    const isShared = X.buffer instanceof SharedArrayBuffer;
    // An ordinary buffer cannot be shared: the rows workers may take are copied once into shared
    // scratch memory kept between calls (a fresh allocation per call costs page faults on every page).
    const scratch = isShared ? null : takeScratch((nRows - firstRow) * m);
    if (scratch !== null) scratch.set(X.subarray(firstRow * m, nRows * m));
    const workerX = scratch ?? X.subarray(firstRow * m, nRows * m);
    const shared = new Float64Array(new SharedArrayBuffer(Math.max(1, nRows) * 8));
    const claims = newChunkClaims(nChunks);
    const answers: Promise<unknown>[] = [];
    for (let s = 1; s < shares; s++) {
      const job = nextJob++;
      answers.push(
        new Promise<number>((resolve, reject) => {
          const w = worker(s - 1);
          pending.set(job, { worker: w, resolve, reject });
          hold(w);
          w.postMessage({ job, compiled, X: workerX, out: shared.subarray(firstRow), firstRow, nRows, chunkRows, claims, floor } satisfies TreeScoringJob);
        }),
      );
    }
    try {
      for (let chunk = claimFront(claims); chunk >= 0; chunk = claimFront(claims)) scoreCompiled(compiled, X, chunk * chunkRows, Math.min(nRows, (chunk + 1) * chunkRows), shared);
      await Promise.all(answers);
    } finally {
      if (scratch !== null) releaseScratch(scratch);
    }
    out.set(shared.subarray(0, nRows));
    return out;
  };

  return {
    threads,
    margins,
    predict: async (model, X, nRows) => applyLink(model, await margins(model, X, nRows)),
    predictor: (model) => markTreeBackedPredict(async (X: Float64Array, nRows: number) => applyLink(model, await margins(model, X, nRows)), model, 'output'),
    async close() {
      await Promise.all(workers.filter((w) => w !== undefined).map((w) => w.terminate()));
      workers.length = 0;
      idleScratch.length = 0;
    },
  };
}

/** RAIA_SCORING_THREADS when set (1 = no worker threads), else the machine's available parallelism. */
function defaultThreads(): number {
  const configured = Number(process.env.RAIA_SCORING_THREADS);
  return Number.isInteger(configured) && configured >= 1 ? configured : availableParallelism();
}

let shared: TreeScoringPool | undefined;

/** The process's pool (created on first use; its workers do not keep the process alive). */
export function sharedTreeScoringPool(): TreeScoringPool {
  shared ??= createTreeScoringPool();
  return shared;
}
