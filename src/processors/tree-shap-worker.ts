import { parentPort, workerData } from 'node:worker_threads';
import { treeShapInterventional } from '../analytics/explain/interventional-tree-shap.js';
import { treeShapPathDependent } from '../analytics/explain/tree-shap.js';
import type { TreeEnsemble } from '../analytics/trees/tree-ensemble.js';

/** One TreeSHAP computation, off the event loop (structured-cloned typed arrays in, results out). */
export type TreeShapTask = {
  model: TreeEnsemble;
  rows: Float64Array;
  nRows: number;
  background: { data: Float64Array; nRows: number; nFeatures: number } | null;
};

const task = (workerData as { task: TreeShapTask }).task;
const result = task.background ? treeShapInterventional(task.model, task.rows, task.nRows, task.background) : treeShapPathDependent(task.model, task.rows, task.nRows);
parentPort!.postMessage(result, [result.values.buffer, result.outputs.buffer] as ArrayBuffer[]);
