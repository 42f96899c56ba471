import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { datasetDrift } from '../src/analytics/drift/dataset-drift.js';
import { ksTwoSample } from '../src/analytics/drift/kolmogorov-smirnov.js';
import { mulberry32, type Random } from '../src/analytics/seeded-random.js';
import { FileBlobStorage } from '../src/platform/blob-storage.js';
import { profileDatasetFile } from '../src/processors/dataset-files.js';
import { readDriftColumnPair } from '../src/processors/drift-columns-pair.js';

/**
 * Dataset files end to end: two seeded 1,000,000-row x 20-column CSVs (13 numeric columns
 * including an id, 5 categorical strings, 2 booleans, some missing cells; the second file has
 * shifted distributions in several columns) are stream-written and stored in a FileBlobStorage,
 * all before any clock starts. Then:
 *  - `profileDatasetFile` on the first file (parsing included): wall time, and RSS growth (peak RSS
 *    sampled every 100 ms during the pass, minus RSS after a forced GC just before it);
 *  - drift between the two files: `readColumnsForDrift` on both plus `datasetDrift` over the 20
 *    columns (`driftMs`), and `datasetDrift` alone (`driftComputeMs`);
 *  - references in the same run, on the same stored files, in a python3 child process
 *    (bench/reference/pandas_scipy_timings.py): pandas `read_csv` + `describe(include='all')`, and
 *    scipy `ks_2samp` on the `income` column of both files against our `ksTwoSample` on the same
 *    values (best of 3 each). Debian's python3-pandas / python3-scipy are installed with apt-get
 *    if no python3 imports them; if that fails the ratios are null and `pythonUnavailable` says why.
 */
const ROWS = 1_000_000;
const BLOCK = 10_000;
const KS_COLUMN = 'income';
const TARGETS = { profileMs: 10_000, profileRssMb: 300, driftMs: 5_000 };
const MiB = 1024 * 1024;

const here = dirname(fileURLToPath(import.meta.url));
const run$ = promisify(execFile);
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const NUMERIC = ['id', 'age', 'income', 'score', 'visits', 'balance', 'tenure', 'rating', 'temperature', 'ratio', 'clicks', 'weight', 'code'] as const;
const CATEGORICAL = ['country', 'plan', 'segment', 'device', 'channel', 'active', 'churned'] as const;
const COLUMNS = [...NUMERIC, ...CATEGORICAL];

const COUNTRIES = ['FR', 'DE', 'ES', 'IT', 'NL', 'PL', 'SE', 'PT'];
const PLANS = ['free', 'pro', 'team', 'enterprise'];
const DEVICES = ['desktop', 'mobile', 'tablet'];
const CHANNELS = ['search', 'social', 'email', 'direct', 'referral', 'ads'];

/** Index drawn from cumulative weights. */
const pick = (u: number, cumulative: readonly number[]) => {
  let k = 0;
  while (k < cumulative.length - 1 && u >= cumulative[k]!) k++;
  return k;
};
const cumulate = (weights: readonly number[]) => {
  const total = weights.reduce((s, w) => s + w, 0);
  let acc = 0;
  return weights.map((w) => (acc += w / total));
};

/** One CSV row per call; `shifted` moves age, income, score, balance, temperature, country, channel and churned. */
function rowGenerator(seed: number, shifted: boolean) {
  const random: Random = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const countryWeights = cumulate(shifted ? [20, 20, 15, 15, 10, 8, 6, 6] : [25, 20, 15, 12, 10, 8, 5, 5]);
  const channelWeights = cumulate(shifted ? [30, 25, 10, 15, 10, 10] : [30, 20, 15, 15, 10, 10]);
  return (i: number): string => {
    const age = random() < 0.02 ? '' : String(18 + Math.floor(random() * 62) + (shifted ? 3 : 0));
    const income = (Math.exp(10.5 + 0.5 * normal()) * (shifted ? 1.05 : 1)).toFixed(2);
    const score = (shifted ? random() ** 0.9 : random()).toFixed(4);
    const visits = String(Math.floor(-Math.log(1 - random()) * 20));
    const balance = random() < 0.01 ? '' : (1000 + (shifted ? 60 : 0) + 300 * normal()).toFixed(2);
    const tenure = String(Math.floor(random() * 121));
    const rating = random() < 0.1 ? '' : String(1 + Math.floor(random() * 5));
    const temperature = (20 + (shifted ? 1 : 0) + 5 * normal()).toFixed(1);
    const ratio = random().toFixed(6);
    const clicks = String(Math.floor(random() * random() * 50));
    const weight = (70 + 12 * normal()).toFixed(1);
    const code = String(((i * 2654435761) >>> 0) % 100_003);
    const country = COUNTRIES[pick(random(), countryWeights)]!;
    const plan = PLANS[Math.floor(random() * random() * 4)]!;
    const segment = `seg-${Math.floor(random() * 50)}`;
    const device = DEVICES[Math.floor(random() * 3)]!;
    const channel = random() < 0.03 ? '' : CHANNELS[pick(random(), channelWeights)]!;
    const active = random() < 0.6 ? 'true' : 'false';
    const churned = random() < 0.05 ? '' : random() < (shifted ? 0.15 : 0.1) ? 'true' : 'false';
    return `${i},${age},${income},${score},${visits},${balance},${tenure},${rating},${temperature},${ratio},${clicks},${weight},${code},${country},${plan},${segment},${device},${channel},${active},${churned}\n`;
  };
}

export async function writeCsv(path: string, seed: number, shifted: boolean): Promise<void> {
  const out = createWriteStream(path);
  const row = rowGenerator(seed, shifted);
  out.write(`${COLUMNS.join(',')}\n`);
  for (let start = 0; start < ROWS; start += BLOCK) {
    let text = '';
    for (let i = start; i < start + BLOCK; i++) text += row(i);
    if (!out.write(text)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'close');
}

/** A python3 that imports pandas and scipy, installing Debian's packages if none does. */
async function pythonWithPandas(): Promise<{ python: string; installed: boolean } | { reason: string }> {
  const candidates = ['python3', '/usr/bin/python3'];
  const find = async () => {
    for (const python of candidates) {
      try {
        await run$(python, ['-c', 'import pandas, scipy']);
        return python;
      } catch {
        // not this one
      }
    }
    return null;
  };
  const found = await find();
  if (found) return { python: found, installed: false };
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => run$('apt-get', ['install', '-y', '--no-install-recommends', 'python3-pandas', 'python3-scipy'], { env, maxBuffer: 64 * MiB });
  console.log('python3 cannot import pandas and scipy: installing python3-pandas python3-scipy with apt-get');
  try {
    try {
      await install();
    } catch {
      await run$('apt-get', ['update'], { env, maxBuffer: 64 * MiB });
      await install();
    }
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n').slice(0, 3).join(' ') : String(error);
    return { reason: `apt-get install python3-pandas python3-scipy failed: ${message}` };
  }
  const after = await find();
  return after ? { python: after, installed: true } : { reason: 'python3-pandas and python3-scipy were installed but neither python3 nor /usr/bin/python3 imports them' };
}

type PythonTimings = { pandas: string; scipy: string; numpy: string; readCsvMs: number; describeMs: number; ksMs: number; ksStatistic: number; ksPValue: number; ksN1: number; ksN2: number };

export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'raia-bench-data-'));
  try {
    const blobs = new FileBlobStorage(join(dir, 'blobs'));
    const store = async (seed: number, shifted: boolean) => {
      const path = join(dir, `generated-${seed}.csv`);
      await writeCsv(path, seed, shifted);
      const bytes = statSync(path).size;
      const { sha256 } = await blobs.put(createReadStream(path), { maxBytes: 4 * 1024 * MiB });
      rmSync(path);
      return { sha256, bytes };
    };
    let t = performance.now();
    const reference = await store(20261123, false);
    const current = await store(20261124, true);
    console.log(`generated and stored 2 x ${ROWS.toLocaleString('en-US')} rows x ${COLUMNS.length} columns (${round(reference.bytes / MiB)} MiB each) in ${round((performance.now() - t) / 1000)} s`);

    // Profile: one streaming pass, RSS sampled every 100 ms.
    gc();
    const rssBefore = process.memoryUsage.rss();
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage.rss())), 100);
    t = performance.now();
    const profiled = await profileDatasetFile(blobs, reference.sha256, 'csv');
    const profileMs = performance.now() - t;
    clearInterval(sampler);
    rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
    if (profiled.rowCount !== ROWS || profiled.columns.length !== COLUMNS.length) throw new Error(`profile read ${profiled.rowCount} rows x ${profiled.columns.length} columns`);
    console.log(`profiled in ${round(profileMs / 1000, 2)} s; RSS ${round(rssBefore / MiB)} -> peak ${round(rssPeak / MiB)} MiB`);

    // Drift: read both files' columns, then test every column.
    const wanted = COLUMNS.map((name) => ({ name, kind: (NUMERIC as readonly string[]).includes(name) ? ('numeric' as const) : ('categorical' as const) }));
    gc();
    t = performance.now();
    // As drift detection reads them: the reference in a worker thread while the current is read here.
    const [referenceColumns, currentColumns] = await readDriftColumnPair(blobs, { sha256: reference.sha256, format: 'csv' }, { sha256: current.sha256, format: 'csv' }, wanted);
    const readDoneAt = performance.now();
    const drift = datasetDrift(wanted.map((w) => ({ name: w.name, reference: referenceColumns.get(w.name)!, current: currentColumns.get(w.name)! })));
    const driftEnd = performance.now();
    const driftMs = driftEnd - t;
    const driftComputeMs = driftEnd - readDoneAt;
    const tests = [...new Set(drift.columns.map((c) => c.test))].join(', ');
    console.log(`drift in ${round(driftMs / 1000, 2)} s (tests ${round(driftComputeMs)} ms): ${drift.numberOfDriftedColumns}/${drift.numberOfColumns} columns drifted (${tests})`);

    // Our KS on the same pair of columns the Python side tests (missing values already dropped).
    const ksA = referenceColumns.get(KS_COLUMN)!;
    const ksB = currentColumns.get(KS_COLUMN)!;
    if (ksA.kind !== 'numeric' || ksB.kind !== 'numeric') throw new Error(`${KS_COLUMN} is not numeric`);
    let ourKsMs = Infinity;
    let ours = ksTwoSample(ksA.values, ksB.values);
    for (let r = 0; r < 3; r++) {
      const s = performance.now();
      ours = ksTwoSample(ksA.values, ksB.values);
      ourKsMs = Math.min(ourKsMs, performance.now() - s);
    }
    referenceColumns.clear();
    currentColumns.clear();

    // References: pandas and scipy on the same stored files.
    const python = await pythonWithPandas();
    let reference$: PythonTimings | null = null;
    let pythonUnavailable: string | null = null;
    if ('reason' in python) pythonUnavailable = python.reason;
    else {
      try {
        const script = join(here, 'reference', 'pandas_scipy_timings.py');
        const { stdout } = await run$(python.python, [script, await blobs.localPath(reference.sha256), await blobs.localPath(current.sha256), KS_COLUMN], { maxBuffer: 16 * MiB });
        reference$ = JSON.parse(stdout.trim().split('\n').at(-1)!) as PythonTimings;
      } catch (error) {
        pythonUnavailable = `the Python reference failed: ${error instanceof Error ? error.message.split('\n').slice(0, 3).join(' ') : String(error)}`;
      }
    }
    if (pythonUnavailable) console.log(`no Python reference: ${pythonUnavailable}`);
    const pandasDescribeMs = reference$ ? reference$.readCsvMs + reference$.describeMs : null;

    return {
      rows: ROWS,
      columns: COLUMNS.length,
      fileMb: round(reference.bytes / MiB),
      profileMs: Math.round(profileMs),
      profileRowsPerSec: Math.round(ROWS / (profileMs / 1000)),
      profileRssMb: round((rssPeak - rssBefore) / MiB),
      driftMs: Math.round(driftMs),
      driftReadMs: Math.round(driftMs - driftComputeMs),
      driftComputeMs: Math.round(driftComputeMs),
      driftedColumns: drift.numberOfDriftedColumns,
      driftedColumnNames: drift.columns.filter((c) => c.drifted).map((c) => c.column),
      /** Each column's distance (normalised Wasserstein for numeric, Jensen–Shannon for categorical; drift at ≥ threshold). */
      driftScores: Object.fromEntries(drift.columns.map((c) => [c.column, round(c.score, 4)])),
      driftThresholds: [...new Set(drift.columns.map((c) => `${c.test} ${c.threshold}`))],
      /** pandas read_csv + describe(include='all'): parsing included on both sides, like profileMs. */
      pandasDescribeMs,
      pandasReadCsvMs: reference$?.readCsvMs ?? null,
      pandasDescribeOnlyMs: reference$?.describeMs ?? null,
      /** profileMs / (pandas read_csv + describe). */
      pandasDescribeRatio: pandasDescribeMs ? round(profileMs / pandasDescribeMs, 2) : null,
      /** profileMs / describe alone (our figure includes parsing, this one does not). */
      pandasDescribeOnlyRatio: reference$ ? round(profileMs / reference$.describeMs, 2) : null,
      scipyKsMs: reference$?.ksMs ?? null,
      ourKsMs: round(ourKsMs),
      scipyKsRatio: reference$ ? round(ourKsMs / reference$.ksMs, 2) : null,
      ksStatistic: ours.statistic,
      scipyKsStatistic: reference$?.ksStatistic ?? null,
      ksPValue: ours.pValue,
      scipyKsPValue: reference$?.ksPValue ?? null,
      pythonUnavailable,
      targets: TARGETS,
      versions: { node: process.version, ...(reference$ ? { pandas: reference$.pandas, scipy: reference$.scipy, numpy: reference$.numpy } : {}), ...('python' in python ? { python: python.python, installedNow: python.installed } : {}) },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
