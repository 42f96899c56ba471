import { Worker } from 'node:worker_threads';
import type { ShapleyExplanation } from '../analytics/explain/shapley-explanation.js';
import type { TreeShapTask } from './tree-shap-worker.js';

/** Runs one TreeSHAP task in a worker thread, so a large explanation does not stall the API. */
export function treeShapInWorker(task: TreeShapTask): Promise<ShapleyExplanation> {
  const worker = new Worker(new URL('./worker-bootstrap.mjs', import.meta.url), {
    workerData: { entry: new URL('./tree-shap-worker.js', import.meta.url).href, task },
  });
  return new Promise<ShapleyExplanation>((resolve, reject) => {
    worker.once('message', (result: ShapleyExplanation) => resolve(result));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`TreeSHAP worker exited with code ${code} before answering`)));
  }).finally(() => void worker.terminate());
}
