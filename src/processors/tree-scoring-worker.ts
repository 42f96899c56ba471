import { parentPort } from 'node:worker_threads';
import type { CompiledTreeEnsemble } from '../analytics/trees/compiled-tree-ensemble.js';
import { scoreCompiled } from '../analytics/trees/compiled-tree-scorer.js';
import { claimBack } from './row-chunk-claims.js';

/**
 * A batch to help with: chunks of `chunkRows` rows claimed from the back of `claims`
 * (row-chunk-claims.ts) down to chunk `floor`. `X` and `out` are shared memory starting at row
 * `firstRow` of the batch (the model's arrays are shared too: nothing is copied).
 */
export type TreeScoringJob = { job: number; compiled: CompiledTreeEnsemble; X: Float64Array; out: Float64Array; firstRow: number; nRows: number; chunkRows: number; claims: Int32Array; floor: number };
export type TreeScoringAnswer = { job: number; rows?: number; error?: string };

parentPort!.on('message', (message: TreeScoringJob) => {
  try {
    const { compiled, X, out, firstRow, nRows, chunkRows, claims, floor } = message;
    let rows = 0;
    for (let chunk = claimBack(claims, floor); chunk >= 0; chunk = claimBack(claims, floor)) {
      const from = chunk * chunkRows;
      const to = Math.min(nRows, from + chunkRows);
      scoreCompiled(compiled, X, from - firstRow, to - firstRow, out);
      rows += to - from;
    }
    parentPort!.postMessage({ job: message.job, rows } satisfies TreeScoringAnswer);
  } catch (error) {
    parentPort!.postMessage({ job: message.job, error: error instanceof Error ? error.message : String(error) } satisfies TreeScoringAnswer);
  }
});
