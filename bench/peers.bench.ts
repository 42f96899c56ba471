import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernelShap } from '../src/analytics/explain/kernel-shap.js';
import { limeTabular } from '../src/analytics/explain/lime-tabular.js';
import type { FeatureMatrix } from '../src/analytics/explain/model-contract.js';
import { featureGrid } from '../src/analytics/explain/partial-dependence.js';
import { recursionPartialDependence } from '../src/analytics/explain/partial-dependence-recursion.js';
import { permutationImportance } from '../src/analytics/explain/permutation-importance.js';
import { treeShapInterventional } from '../src/analytics/explain/interventional-tree-shap.js';
import { treeShapPathDependent } from '../src/analytics/explain/tree-shap.js';
import { mulberry32 } from '../src/analytics/seeded-random.js';
import { parseRaiaTreeEnsemble } from '../src/analytics/trees/raia-tree-format.js';
import type { TreeEnsemble } from '../src/analytics/trees/tree-ensemble.js';
import { createTreeScoringPool, type TreeScoringPool } from '../src/processors/tree-scoring-pool.js';

/**
 * RAIA against the reference Python libraries (../shared/peers: shap 0.48, lime, scikit-learn),
 * same models and rows (scikit-learn GradientBoostingRegressor, 100 trees of depth 6, exported to
 * raia-tree-ensemble/v1 and read with comparisonPrecision "float32", scikit-learn's rule), in the
 * same run: for each workload, three rounds alternating reference then RAIA, each one timed run
 * after untimed warm-up (the reference: one run, py_peer.py's protocol; RAIA: three runs, the JIT's
 * steady state that a long-lived server reaches); the figure is the median of the three rounds.
 * Ratio = RAIA / reference
 * (lower is better). RAIA runs in this process on the machine's cores (worker threads); model
 * scoring is also timed on one core. Where the reference cannot be run (no Python, libraries not
 * built), its figures are null and RAIA is still timed.
 *
 * Env: PEERS_DIR (default ../shared/peers), PEERS_BUILD (default /tmp/raia-peers; built by
 * prepare.sh), PEERS_DATA (default /tmp/peers-data; written by make_data.py if missing),
 * PEERS_ROUNDS (default 3), PEERS_ONLY (comma-separated workload names).
 */
const here = dirname(fileURLToPath(import.meta.url));
const PEERS_DIR = [process.env.PEERS_DIR, resolve(here, '../../shared/peers'), '/work/shared/peers'].find((d) => d !== undefined && existsSync(join(d, 'py_peer.py')));
const PEERS_BUILD = process.env.PEERS_BUILD ?? '/tmp/raia-peers';
const DATA = process.env.PEERS_DATA ?? '/tmp/peers-data';
const ROUNDS = Number(process.env.PEERS_ROUNDS ?? 3);
const PYTHON = '/usr/bin/python3';
const PYTHONPATH = ['shap', 'fairlearn', 'lime', 'stubs'].map((p) => join(PEERS_BUILD, p)).join(':');

export const primaryColumn = 'ratio';

const TARGETS = {
  scoreRatio: 0.5,
  kernelShapRatio: 0.5,
  limeRatio: 0.5,
  permutationImportanceRatio: 0.5,
  treeShapInterventionalRatio: 0.7,
  treeShapPathRatio: 0.25,
  pdpRecursionRatio: 1.0,
};

type Workload = { ratio: keyof typeof TARGETS | 'scoreOneCoreRatio' | 'kernelShapBlackBoxRatio'; python: string; raia: () => Promise<unknown> };

function loadF64(name: string): Float64Array {
  const b = readFileSync(join(DATA, `${name}.f64`));
  return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

function matrix(name: string, nFeatures: number): FeatureMatrix {
  const data = loadF64(name);
  return { data, nRows: data.length / nFeatures, nFeatures };
}

function model(name: string): TreeEnsemble {
  // make_data.py exports scikit-learn's trees; scikit-learn compares float32 inputs with its thresholds.
  return parseRaiaTreeEnsemble({ ...JSON.parse(readFileSync(join(DATA, `${name}.json`), 'utf8')), comparisonPrecision: 'float32' });
}

function referenceAvailable(): string | null {
  if (PEERS_DIR === undefined) return 'the peers folder (py_peer.py) was not found';
  if (!existsSync(PYTHON)) return `${PYTHON} is missing`;
  const probe = spawnSync(PYTHON, ['-c', 'import sklearn, shap, lime'], { env: { ...process.env, PYTHONPATH }, encoding: 'utf8' });
  if (probe.status !== 0) return `the reference libraries do not import (run ${join(PEERS_DIR, 'prepare.sh')}): ${probe.stderr.trim().split('\n').pop()}`;
  if (!existsSync(join(DATA, 'gbr30.json'))) execFileSync(PYTHON, [join(PEERS_DIR, 'make_data.py')], { env: { ...process.env, PEERS_DATA: DATA }, stdio: 'inherit' });
  return null;
}

function pythonMs(workload: string): number {
  const out = execFileSync(PYTHON, [join(PEERS_DIR!, 'py_peer.py'), workload], { env: { ...process.env, PYTHONPATH, PEERS_DATA: DATA }, encoding: 'utf8', maxBuffer: 1 << 24 });
  const last = out.trim().split('\n').pop()!;
  return (JSON.parse(last) as { ms: number }).ms;
}

const RAIA_WARM_UPS = 3;

async function raiaMs(run: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < RAIA_WARM_UPS; i++) await run();
  const t = performance.now();
  await run();
  return performance.now() - t;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

function workloads(pool: TreeScoringPool, onePool: TreeScoringPool): Workload[] {
  const gbr30 = model('gbr30');
  const gbr20 = model('gbr20');
  // Marked as the ensembles (tree-backed-predict.ts), as the API's explainers receive tree models.
  const predict30 = pool.predictor(gbr30);
  const predict20 = pool.predictor(gbr20);
  // The same model as a black box: KernelSHAP then scores every coalition x background row.
  const blackBox20 = (X: Float64Array, n: number) => pool.predict(gbr20, X, n);
  const rows30 = loadF64('rows30');
  const eval30 = matrix('eval30', 30);
  const big = new Float64Array(eval30.data.length * 40);
  for (let k = 0; k < 40; k++) big.set(eval30.data, k * eval30.data.length);
  const bigRows = big.length / 30;
  return [
    { ratio: 'scoreRatio', python: 'predict', raia: () => pool.predict(gbr30, big, bigRows) },
    { ratio: 'scoreOneCoreRatio', python: 'predict', raia: () => onePool.predict(gbr30, big, bigRows) },
    { ratio: 'kernelShapRatio', python: 'kernel', raia: () => kernelShap(predict20, matrix('row20', 20), matrix('bg20', 20), { random: mulberry32(1) }) },
    { ratio: 'kernelShapBlackBoxRatio', python: 'kernel', raia: () => kernelShap(blackBox20, matrix('row20', 20), matrix('bg20', 20), { random: mulberry32(1) }) },
    {
      ratio: 'limeRatio',
      python: 'lime',
      raia: () => limeTabular(predict30, matrix('train30', 30), rows30.subarray(0, 30), { nSamples: 5000, random: mulberry32(0) }),
    },
    { ratio: 'permutationImportanceRatio', python: 'perm', raia: () => permutationImportance(predict30, eval30, loadF64('yeval30'), { metric: 'r2', nRepeats: 5, random: mulberry32(0) }) },
    { ratio: 'treeShapInterventionalRatio', python: 'tree_int', raia: async () => treeShapInterventional(gbr30, rows30, 1000, matrix('bg30', 30)) },
    { ratio: 'treeShapPathRatio', python: 'tree_pd', raia: async () => treeShapPathDependent(gbr30, rows30, 1000) },
    {
      ratio: 'pdpRecursionRatio',
      python: 'pdp_recursion',
      raia: async () => {
        // scikit-learn's grid (featureGrid follows its mquantiles percentiles), then the weighted tree traversal.
        const X = matrix('rows30', 30);
        for (let j = 0; j < 30; j++) {
          const grid = featureGrid(X, j, { gridResolution: 20 });
          recursionPartialDependence(gbr30, [j], grid, grid.length);
        }
      },
    },
  ];
}

export async function run(): Promise<Record<string, unknown>> {
  const missing = referenceAvailable();
  if (missing !== null) console.log(`reference libraries unavailable: ${missing}; timing RAIA only`);
  if (!existsSync(join(DATA, 'gbr30.json'))) throw new Error(`no peer data in ${DATA}: run make_data.py from the peers folder (needs Debian's scikit-learn)`);
  const only = process.env.PEERS_ONLY?.split(',');
  const pool = createTreeScoringPool(availableParallelism());
  const onePool = createTreeScoringPool(1);
  const figures: Record<string, unknown> = {};
  const raiaMsOf: Record<string, number> = {};
  const referenceMsOf: Record<string, number | null> = {};
  const loads: number[] = [loadavg()[0]!];
  try {
    for (const w of workloads(pool, onePool)) {
      if (only && !only.includes(w.ratio) && !only.includes(w.python)) continue;
      const ref: number[] = [];
      const ours: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        if (missing === null) ref.push(pythonMs(w.python));
        ours.push(await raiaMs(w.raia));
      }
      raiaMsOf[w.ratio] = round(median(ours));
      referenceMsOf[w.ratio] = missing === null ? round(median(ref)) : null;
      figures[w.ratio] = missing === null ? round(median(ours) / median(ref), 3) : null;
      loads.push(loadavg()[0]!);
      console.log(`${w.ratio}: RAIA ${raiaMsOf[w.ratio]} ms, reference (${w.python}) ${referenceMsOf[w.ratio] ?? 'n/a'} ms`);
    }
  } finally {
    await pool.close();
    await onePool.close();
  }
  return {
    ...figures,
    raiaMs: raiaMsOf,
    referenceMs: referenceMsOf,
    targets: TARGETS,
    threads: availableParallelism(),
    loadAverage1m: { start: round(loads[0]!, 2), max: round(Math.max(...loads), 2) },
    machine: `${cpus()[0]?.model ?? 'unknown cpu'}, ${cpus().length} cores, node ${process.version}`,
    reference: missing ?? 'shap 0.48.0, lime fd7eb2e, scikit-learn (Debian)',
  };
}
