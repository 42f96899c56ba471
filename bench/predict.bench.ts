import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mulberry32 } from '../src/analytics/seeded-random.js';
import { treeEnsembleScoringModel } from '../src/analytics/scoring/tree-ensemble-model.js';
import { parseRaiaTreeEnsemble } from '../src/analytics/trees/raia-tree-format.js';
import { loadOnnxModel } from '../src/platform/onnx-model.js';
import { buildOnnxTreeEnsemble, writeOnnxModel, type TreeEnsembleDescription } from '../tests/support/onnx-model-builder.js';
import { randomTreeEnsemble } from './support/random-tree-ensemble.js';
import { startBenchServer } from './support/start-bench-server.js';

/**
 * Batch scoring of 100,000 rows with a 100-tree, depth-6 ensemble over 30 features: through the
 * scoring core (RAIA tree JSON), through onnxruntime (the same trees as a TreeEnsembleRegressor),
 * and through the HTTP API of a RAIA process of its own (10 requests of 10,000 instances over
 * loopback, each prediction logged to PostgreSQL before its answer): one request after another,
 * then HTTP_CONCURRENCY clients sending the same 10 requests, then the same again with the
 * instances as rows under column names (`columns` + `rows`: 5.3 MB a request instead of 7.5 MB). Model and data are generated before any clock starts; core figures are best of 3.
 */
const N_ROWS = 100_000;
const N_FEATURES = 30;
const HTTP_BATCH = 10_000;
const HTTP_CONCURRENCY = Number(process.env.BENCH_PREDICT_CONCURRENCY ?? 3);
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';


/** The same trees in RAIA's JSON format (covers are not used for scoring). */
const raiaDocument = (description: TreeEnsembleDescription, featureNames: string[]) => ({
  format: 'raia-tree-ensemble/v1',
  task: 'regression',
  decision: '<=',
  aggregation: 'sum',
  baseScore: description.baseValue,
  link: 'identity',
  featureNames,
  trees: description.trees.map((t) => ({ nodes: t.nodes.map((n) => ('leaf' in n ? { leaf: n.leaf, cover: 1 } : { ...n, missingGoesLeft: false, cover: 2 })) })),
});

async function bestOf(runs: number, work: () => Promise<unknown>): Promise<number> {
  let best = Infinity;
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    await work();
    best = Math.min(best, performance.now() - start);
  }
  return best;
}

export async function run(): Promise<Record<string, unknown>> {
  const random = mulberry32(20261123);
  const description = randomTreeEnsemble(100, 6, N_FEATURES, random);
  const featureNames = Array.from({ length: N_FEATURES }, (_, j) => `f${j}`);
  const document = raiaDocument(description, featureNames);
  const X = Float64Array.from({ length: N_ROWS * N_FEATURES }, () => random());
  const dir = mkdtempSync(join(tmpdir(), 'raia-bench-predict-'));
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  try {
    const tree = treeEnsembleScoringModel(parseRaiaTreeEnsemble(document));
    const treeMs = await bestOf(3, () => tree.score(X, N_ROWS));
    const onnxPath = join(dir, 'trees.onnx');
    await writeOnnxModel(onnxPath, buildOnnxTreeEnsemble(description, { task: 'regression', nFeatures: N_FEATURES }));
    const onnx = await loadOnnxModel(onnxPath, { task: 'regression', featureNames });
    const onnxMs = await bestOf(3, () => onnx.score(X, N_ROWS));
    const sample = X.subarray(0, 1000 * N_FEATURES);
    const [a, b] = [await tree.score(sample, 1000), await onnx.score(sample, 1000)];
    const maxDifference = Math.max(...a.predictions.map((v, i) => Math.abs(v - b.predictions[i]!)));
    await onnx.close();

    const server = await startBenchServer({ RAIA_DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'silent', DATABASE_URL, DATABASE_SCHEMA: schema });
    let httpMs = 0;
    let httpSerialMs = 0;
    let httpColumnRowsMs = 0;
    try {
      const base = server.base;
      const auth = { authorization: `Bearer ${server.scientist}` };
      const created = (await (await fetch(`${base}/api/v1/models`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bench', type: 'regression', riskTier: 'minimal' }) })).json()) as { id: string };
      const form = new FormData();
      form.append('metadata', JSON.stringify({ format: 'raia-tree-ensemble/v1', task: 'regression', inputSchema: featureNames.map((name) => ({ name, type: 'number' })) }));
      form.append('artifact', new Blob([JSON.stringify(document)]), 'trees.json');
      const added = await fetch(`${base}/api/v1/models/${created.id}/versions`, { method: 'POST', headers: auth, body: form });
      if (added.status !== 201) throw new Error(`upload failed: ${added.status} ${await added.text()}`);
      const bodies: string[] = [];
      const columnRowsBodies: string[] = [];
      for (let start = 0; start < N_ROWS; start += HTTP_BATCH) {
        const instances = Array.from({ length: HTTP_BATCH }, (_, i) => Object.fromEntries(featureNames.map((n, j) => [n, X[(start + i) * N_FEATURES + j]!])));
        bodies.push(JSON.stringify({ instances, version: 1 }));
        const rows = Array.from({ length: HTTP_BATCH }, (_, i) => Array.from(X.subarray((start + i) * N_FEATURES, (start + i + 1) * N_FEATURES)));
        columnRowsBodies.push(JSON.stringify({ columns: featureNames, rows, version: 1 }));
      }
      const predict = async (body: string) => {
        const res = await fetch(`${base}/api/v1/models/${created.id}/predict`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body });
        if (res.status !== 200) throw new Error(`predict failed: ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
      };
      await predict(bodies[0]!); // warm-up: loads the model into the cache
      const serialStart = performance.now();
      for (const body of bodies) await predict(body);
      httpSerialMs = performance.now() - serialStart;
      const concurrently = async (all: string[]) => {
        const start = performance.now();
        let next = 0;
        await Promise.all(Array.from({ length: HTTP_CONCURRENCY }, async () => {
          while (next < all.length) await predict(all[next++]!);
        }));
        return performance.now() - start;
      };
      httpMs = await concurrently(bodies);
      httpColumnRowsMs = await concurrently(columnRowsBodies);
    } finally {
      await server.stop();
      const knex = knexFactory({ client: 'pg', connection: DATABASE_URL });
      await knex.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => knex.destroy());
    }
    const perSec = (ms: number) => Math.round(N_ROWS / (ms / 1000));
    return {
      rows: N_ROWS,
      model: '100 trees, depth 6, 30 features',
      treeJsonRowsPerSec: perSec(treeMs),
      onnxRowsPerSec: perSec(onnxMs),
      httpRowsPerSec: perSec(httpMs),
      httpConcurrency: HTTP_CONCURRENCY,
      httpOneAtATimeRowsPerSec: perSec(httpSerialMs),
      httpColumnRowsPerSec: perSec(httpColumnRowsMs),
      httpRequests: N_ROWS / HTTP_BATCH,
      httpRowsPerRequest: HTTP_BATCH,
      targets: { httpRowsPerSec: 100_000 },
      treeVsOnnxMaxDifference: Number(maxDifference.toExponential(2)),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
