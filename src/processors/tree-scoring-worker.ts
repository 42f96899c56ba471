import { parentPort } from 'node:worker_threads';
import type { CompiledTreeEnsemble } from '../analytics/trees/compiled-tree-ensemble.js';
import { scoreCompiled } from '../analytics/trees/compiled-tree-scorer.js';

/** One share of a batch: `nRows` rows of X (the compiled model's arrays are shared memory, not copies). */
export type TreeScoringJob = { job: number; compiled: CompiledTreeEnsemble; X: Float64Array; nRows: number };
export type TreeScoringAnswer = { job: number; margins?: Float64Array; error?: string };

parentPort!.on('message', (message: TreeScoringJob) => {
  try {
    const margins = new Float64Array(message.nRows);
    scoreCompiled(message.compiled, message.X, 0, message.nRows, margins);
    parentPort!.postMessage({ job: message.job, margins } satisfies TreeScoringAnswer, [margins.buffer as ArrayBuffer]);
  } catch (error) {
    parentPort!.postMessage({ job: message.job, error: error instanceof Error ? error.message : String(error) } satisfies TreeScoringAnswer);
  }
});
