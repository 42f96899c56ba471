import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOnnxModel } from '../src/platform/onnx-model.js';
import { mulberry32 } from '../src/analytics/seeded-random.js';
import { buildOnnxTreeEnsemble, writeOnnxModel } from '../tests/support/onnx-model-builder.js';
import { randomTreeEnsemble } from './support/random-tree-ensemble.js';

/**
 * ONNX scoring throughput through src/platform/onnx-model.ts (onnxruntime-node, CPU): a
 * TreeEnsembleRegressor of 100 full trees of depth 6 over 30 features, scoring 100,000 uniform
 * rows in one call, with 1 and 2 intra-op threads. Model and data are generated before any clock
 * starts; each figure is the best of 3 runs.
 */
const N_ROWS = 100_000;
const N_FEATURES = 30;


async function bestOf(runs: number, work: () => Promise<unknown>): Promise<number> {
  let best = Infinity;
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    await work();
    best = Math.min(best, performance.now() - start);
  }
  return Math.round(best);
}

export async function run(): Promise<Record<string, unknown>> {
  const random = mulberry32(20240601);
  const dir = await mkdtemp(join(tmpdir(), 'raia-onnx-bench-'));
  try {
    const path = join(dir, 'trees.onnx');
    await writeOnnxModel(path, buildOnnxTreeEnsemble(randomTreeEnsemble(100, 6, N_FEATURES, random), { task: 'regression', nFeatures: N_FEATURES }));
    const rows = new Float64Array(N_ROWS * N_FEATURES);
    for (let i = 0; i < rows.length; i++) rows[i] = random();
    const featureNames = Array.from({ length: N_FEATURES }, (_, j) => `x${j}`);

    const figures: Record<string, unknown> = {};
    for (const threads of [1, 2] as const) {
      const loadStart = performance.now();
      const model = await loadOnnxModel(path, { task: 'regression', featureNames }, { intraOpThreads: threads });
      const loadMs = Math.round(performance.now() - loadStart);
      const ms = await bestOf(3, () => model.score(rows, N_ROWS));
      await model.close();
      figures[`loadMs${threads}Thread`] = loadMs;
      figures[`score100kRowsMs${threads}Thread`] = ms;
      figures[`rowsPerSecond${threads}Thread`] = Math.round((N_ROWS / ms) * 1000);
      console.log(`  100 trees of depth 6, 30 features, 100,000 rows, ${threads} intra-op thread(s): ${ms} ms (${figures[`rowsPerSecond${threads}Thread`]} rows/s), load ${loadMs} ms`);
    }
    return figures;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
