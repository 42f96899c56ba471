import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory from 'knex';
import { Pool } from 'undici';
import { treeModel, treeModelSchema } from '../tests/support/tree-model-fixture.js';
import { startBenchServer } from './support/start-bench-server.js';

/**
 * The HTTP path under a mixed load: a RAIA process of its own (bench/support/bench-server.ts:
 * runtime and HTTP on loopback, PostgreSQL on loopback) and, in this process, CONCURRENCY clients
 * each sending its next request as soon as the last one answered, for DURATION_S after a warm-up.
 * Mix: 70 % reads (a model, the model list, a dataset, the dataset list, a page of 50 audit
 * entries), 20 % model updates (`PUT /models/:id`, each client on its own models, so writers do
 * not collide), 10 % small explanations (TreeSHAP of one row of a two-feature tree ensemble,
 * recorded). Every answer other than 200 counts as an error.
 */
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const CONCURRENCY = Number(process.env.BENCH_API_CONCURRENCY ?? 50);
const DURATION_S = Number(process.env.BENCH_API_SECONDS ?? 20);
const WARMUP_S = 3;
const MODELS = 200;
const DATASETS = 20;
/**
 * BENCH_API_MIX: `read`, `write` or `explain` sends that kind only (to see what one costs),
 * `no-explain` the reads and writes in their 70:20 proportion; BENCH_API_READ=<0-4>: that read only.
 * Each picks the draw that the mix's thresholds below send to its kind.
 */
const MIX_DRAW: Record<string, () => number> = { mixed: Math.random, read: () => 0, write: () => 0.8, explain: () => 0.95, 'no-explain': () => Math.random() * 0.9 };
const drawOf = (mix: string): (() => number) => {
  const draw = MIX_DRAW[mix];
  if (!draw) throw new Error(`BENCH_API_MIX must be one of ${Object.keys(MIX_DRAW).join(', ')}`);
  return draw;
};
const draw = drawOf(process.env.BENCH_API_MIX ?? 'mixed');
const ONE_READ = process.env.BENCH_API_READ === undefined ? null : Number(process.env.BENCH_API_READ);
const TARGETS = { readP95Ms: 20, readRequestsPerSec: 2000, writeP95Ms: 50, writeRequestsPerSec: 500 };

const round = (x: number, digits = 1) => Number(x.toFixed(digits));
const quantile = (sorted: number[], q: number) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!);

type Kind = 'read' | 'write' | 'explain';

export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'raia-bench-api-'));
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const server = await startBenchServer({ DATABASE_URL, DATABASE_SCHEMA: schema, RAIA_DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'warn' });
  const pool = new Pool(server.base, { connections: CONCURRENCY, pipelining: 1 });
  try {
    const scientist = { authorization: `Bearer ${server.scientist}` };
    const auditor = { authorization: `Bearer ${server.auditor}` };
    const json = { 'content-type': 'application/json' };
    const call = async (method: 'GET' | 'POST' | 'PUT', path: string, headers: Record<string, string>, body?: string | FormData) => {
      const res = await fetch(`${server.base}${path}`, { method, headers, body });
      const text = await res.text();
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
      return JSON.parse(text) as Record<string, unknown>;
    };

    // Seed: models (one with a tree ensemble version to explain), datasets.
    const models: string[] = [];
    for (let i = 0; i < MODELS; i++) models.push((await call('POST', '/api/v1/models', { ...scientist, ...json }, JSON.stringify({ name: `model ${i}`, type: 'classification', riskTier: 'limited', tags: ['bench'] }))).id as string);
    const form = new FormData();
    form.append('metadata', JSON.stringify({ format: 'raia-tree-ensemble/v1', task: 'binary', classes: ['deny', 'grant'], inputSchema: treeModelSchema }));
    form.append('artifact', new Blob([JSON.stringify(treeModel)]), 'trees.json');
    await call('POST', `/api/v1/models/${models[0]!}/versions`, scientist, form);
    const datasets: string[] = [];
    for (let i = 0; i < DATASETS; i++) {
      const upload = new FormData();
      upload.append('metadata', JSON.stringify({ name: `dataset ${i}` }));
      upload.append('file', new Blob([`age,income,label\n${Array.from({ length: 200 }, (_, r) => `${20 + ((r * 7 + i) % 50)},${30 + ((r * 13) % 90)},${r % 2}`).join('\n')}\n`]), `d${i}.csv`);
      datasets.push((await call('POST', '/api/v1/datasets/upload', scientist, upload)).id as string);
    }

    // A small explanation: POST with the row in the body (an identical request is answered from its record).
    const explainPath = `/api/v1/explainability/shap/${models[0]!}`;
    const explainBody = JSON.stringify({ version: 1, rows: [{ age: 45, income: 80 }] });
    const reads = [
      () => `/api/v1/models/${models[Math.floor(Math.random() * MODELS)]!}`,
      () => '/api/v1/models?limit=20',
      () => `/api/v1/datasets/${datasets[Math.floor(Math.random() * DATASETS)]!}`,
      () => '/api/v1/datasets?limit=20',
      () => '/api/v1/audit/logs?limit=50',
    ];
    const latencies: Record<Kind, number[]> = { read: [], write: [], explain: [] };
    const errorSamples: string[] = [];
    let errors = 0;
    let measuring = false;
    let stopping = false;

    const request = async (kind: Kind, method: 'GET' | 'PUT' | 'POST', path: string, headers: Record<string, string>, body?: string) => {
      const started = performance.now();
      try {
        const res = await pool.request({ method, path, headers, body });
        const text = await res.body.text();
        if (res.statusCode !== 200) {
          if (measuring) errors++;
          if (errorSamples.length < 5) errorSamples.push(`${method} ${path} ${res.statusCode} ${text.slice(0, 200)}`);
          return;
        }
      } catch (error) {
        if (measuring) errors++;
        if (errorSamples.length < 5) errorSamples.push(`${method} ${path} ${String(error)}`);
        return;
      }
      if (measuring) latencies[kind].push(performance.now() - started);
    };

    const client = async (c: number) => {
      let n = 0;
      // Each client updates its own models (every CONCURRENCY-th), so concurrent writes do not race on a stream.
      const own = models.filter((_, i) => i % CONCURRENCY === c);
      while (!stopping) {
        const r = draw();
        n++;
        if (r < 0.7) await request('read', 'GET', reads[ONE_READ ?? n % reads.length]!(), auditor);
        else if (r < 0.9) await request('write', 'PUT', `/api/v1/models/${own[n % own.length]!}`, { ...scientist, ...json }, JSON.stringify({ description: `revision ${c}-${n}` }));
        else await request('explain', 'POST', explainPath, { ...scientist, ...json }, explainBody);
      }
    };
    const load = Array.from({ length: CONCURRENCY }, (_, c) => client(c));
    await new Promise((r) => setTimeout(r, WARMUP_S * 1000));
    const load1 = loadavg()[0]!;
    measuring = true;
    const started = performance.now();
    await new Promise((r) => setTimeout(r, DURATION_S * 1000));
    measuring = false;
    const seconds = (performance.now() - started) / 1000;
    stopping = true;
    await Promise.all(load);

    const figures = (kind: Kind) => {
      const sorted = [...latencies[kind]].sort((a, b) => a - b);
      return { p50: round(quantile(sorted, 0.5)), p95: round(quantile(sorted, 0.95)), p99: round(quantile(sorted, 0.99)), perSec: Math.round(sorted.length / seconds) };
    };
    const [read, write, explain] = [figures('read'), figures('write'), figures('explain')];
    return {
      concurrency: CONCURRENCY,
      seconds: round(seconds),
      readP50Ms: read.p50,
      readP95Ms: read.p95,
      readP99Ms: read.p99,
      readRequestsPerSec: read.perSec,
      writeP50Ms: write.p50,
      writeP95Ms: write.p95,
      writeP99Ms: write.p99,
      writeRequestsPerSec: write.perSec,
      explainP95Ms: explain.p95,
      explainRequestsPerSec: explain.perSec,
      errors,
      ...(errorSamples.length > 0 ? { errorSamples } : {}),
      loadAverage1mStart: round(load1, 2),
      loadAverage1mEnd: round(loadavg()[0]!, 2),
      cores: cpus().length,
      targets: TARGETS,
    };
  } finally {
    await pool.close();
    await server.stop();
    const knex = knexFactory({ client: 'pg', connection: DATABASE_URL });
    await knex.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => knex.destroy());
    rmSync(dir, { recursive: true, force: true });
  }
}
