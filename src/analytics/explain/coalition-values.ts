import { additiveTreeEnsembleOf } from '../trees/tree-backed-predict.js';
import type { TreeEnsemble } from '../trees/tree-ensemble.js';
import { REUSED_BUFFER_BATCH_ROWS, evaluate, normalisedWeights, type Background, type BatchPredict } from './model-contract.js';
import { treeCoalitionTables, treeCoalitionValues, type TreeCoalitionTables } from './tree-coalition-values.js';

/**
 * The interventional value function of a coalition S for an instance x (Janzing et al. 2020;
 * Lundberg & Lee 2017, eq. 11 with feature independence): v(S) = sum_b w_b f(x_S, b_notS), the
 * weighted mean over background rows b of the model on x with the features outside S taken from b.
 *
 * `masks` holds `nCoalitions` rows of `nFeatures` 0/1 flags (1 = feature from x). Coalition c uses
 * instance row `instanceOf[c]` of `instances` (row 0 when `instanceOf` is omitted). All
 * coalitions x background rows go to the model in as few calls as `maxBatchRows` allows; when
 * `predict` is marked as a tree ensemble's margin (trees/tree-backed-predict.ts), v is computed
 * from the trees instead (tree-coalition-values.ts: same values, no synthetic rows).
 */
export async function coalitionValues(
  predict: BatchPredict,
  instances: Float64Array,
  masks: Uint8Array,
  nCoalitions: number,
  background: Background,
  options: { instanceOf?: Int32Array; maxBatchRows?: number } = {},
): Promise<Float64Array> {
  const m = background.nFeatures;
  const tables = treeTablesFor(additiveTreeEnsembleOf(predict), background);
  if (tables !== null) return treeCoalitionValues(tables, instances, masks, nCoalitions, options.instanceOf);
  const nB = background.nRows;
  const weights = normalisedWeights(background);
  const perChunk = Math.max(1, Math.floor((options.maxBatchRows ?? REUSED_BUFFER_BATCH_ROWS) / nB));
  const bgData = background.data.subarray(0, nB * m);
  const out = new Float64Array(nCoalitions);
  // Shared memory: a multi-threaded scorer hands shares of it to worker threads without copying.
  const buffer = new Float64Array(new SharedArrayBuffer(Math.max(1, Math.min(perChunk, nCoalitions) * nB * m) * 8));
  const fromX = new Int32Array(m);
  for (let start = 0; start < nCoalitions; start += perChunk) {
    const end = Math.min(nCoalitions, start + perChunk);
    for (let c = start; c < end; c++) {
      const xBase = (options.instanceOf === undefined ? 0 : options.instanceOf[c]!) * m;
      const maskBase = c * m;
      let nFromX = 0;
      for (let j = 0; j < m; j++) if (masks[maskBase + j] !== 0) fromX[nFromX++] = j;
      // Row by row (sequential writes): the background row, then the coalition's features from x.
      for (let b = 0, p = (c - start) * nB * m, q = 0; b < nB; b++, p += m, q += m) {
        for (let j = 0; j < m; j++) buffer[p + j] = bgData[q + j]!;
        for (let k = 0; k < nFromX; k++) {
          const j = fromX[k]!;
          buffer[p + j] = instances[xBase + j]!;
        }
      }
    }
    const rows = (end - start) * nB;
    const y = await evaluate(predict, rows === buffer.length / m ? buffer : buffer.subarray(0, rows * m), rows);
    for (let c = start; c < end; c++) {
      let s = 0;
      const base = (c - start) * nB;
      for (let b = 0; b < nB; b++) s += weights[b]! * y[base + b]!;
      out[c] = s;
    }
  }
  return out;
}

// Explainers call coalitionValues once per row with the same background: its tables are built once.
const tablesCache = new WeakMap<Background, WeakMap<TreeEnsemble, TreeCoalitionTables | null>>();

function treeTablesFor(model: TreeEnsemble | null, background: Background): TreeCoalitionTables | null {
  if (model === null || model.nFeatures !== background.nFeatures) return null;
  let byModel = tablesCache.get(background);
  if (byModel === undefined) tablesCache.set(background, (byModel = new WeakMap()));
  let tables = byModel.get(model);
  if (tables === undefined) byModel.set(model, (tables = treeCoalitionTables(model, background)));
  return tables;
}
