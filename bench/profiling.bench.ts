import { chiSquareDriftTest } from '../src/analytics/drift/chi-square.js';
import { jensenShannonDistance } from '../src/analytics/drift/jensen-shannon.js';
import { ksTwoSample } from '../src/analytics/drift/kolmogorov-smirnov.js';
import { normalizedWassersteinDistance } from '../src/analytics/drift/wasserstein.js';
import { createDatasetProfiler } from '../src/analytics/quality/dataset-profiler.js';
import { mulberry32 } from '../src/analytics/seeded-random.js';

/**
 * Profiling throughput and memory: 1,000,000 generated rows of 10 mixed columns pushed row by row
 * through `createDatasetProfiler`; then drift-test timings: KS and χ² on 1,000-row samples,
 * normalised Wasserstein and Jensen–Shannon on 1,000,000-row columns.
 */
const ROWS = 1_000_000;
const TARGETS = { rowsPerSec: 150_000, heapGrowthMb: 200, ksMs: 50, wassersteinMs: 1000 };
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const mb = (b: number) => round(b / 1_048_576);

export async function run(): Promise<Record<string, unknown>> {
  const random = mulberry32(2024);
  const columns = ['id', 'age', 'income', 'score', 'country', 'plan', 'email', 'signup', 'active', 'note'];
  const countries = ['FR', 'DE', 'ES', 'IT', 'NL', 'PL', 'SE', 'PT'];
  const plans = ['free', 'pro', 'team', 'enterprise'];
  const heapBefore = process.memoryUsage().heapUsed;
  const profiler = createDatasetProfiler(columns);
  const row: (string | number | boolean | null)[] = new Array(10);
  const t0 = performance.now();
  for (let i = 0; i < ROWS; i++) {
    const u = random();
    row[0] = i;
    row[1] = u < 0.02 ? null : 18 + Math.floor(random() * 60);
    row[2] = Math.round(20_000 + random() * 80_000 + (u > 0.99 ? 1e6 : 0));
    row[3] = String(round(random() * 100, 2));
    row[4] = countries[Math.floor(random() * countries.length)]!;
    row[5] = plans[Math.floor(random() * plans.length)]!;
    row[6] = `user${Math.floor(random() * 2_000_000)}@example.com`;
    row[7] = `2024-${String(1 + Math.floor(random() * 12)).padStart(2, '0')}-${String(1 + Math.floor(random() * 28)).padStart(2, '0')}`;
    row[8] = random() < 0.5;
    row[9] = u < 0.3 ? '' : `note ${Math.floor(random() * 500)}`;
    profiler.pushRow(row);
  }
  const profile = profiler.result();
  const seconds = (performance.now() - t0) / 1000;
  const heapAfter = process.memoryUsage().heapUsed;

  const normal = (n: number, shift: number) => {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()) + shift;
    return out;
  };
  const time = (f: () => unknown, reps: number) => {
    const s = performance.now();
    for (let r = 0; r < reps; r++) f();
    return round((performance.now() - s) / reps, 3);
  };
  const a = normal(1000, 0);
  const b = normal(1000, 0.1);
  const catRef = new Map(countries.map((c, i) => [c, 100 + i * 10]));
  const catCur = new Map(countries.map((c, i) => [c, 120 + i * 8]));
  const bigA = normal(1_000_000, 0);
  const bigB = normal(1_000_000, 0.05);
  const histA = new Float64Array(21);
  const histB = new Float64Array(21);
  for (let i = 0; i < bigA.length; i++) {
    histA[Math.min(20, Math.max(0, Math.floor((bigA[i]! + 5) * 2)))]!++;
    histB[Math.min(20, Math.max(0, Math.floor((bigB[i]! + 5) * 2)))]!++;
  }

  const figures = {
    rows: ROWS,
    columns: columns.length,
    rowsPerSec: Math.round(ROWS / seconds),
    profileSeconds: round(seconds, 2),
    heapGrowthMb: mb(heapAfter - heapBefore),
    duplicateRowsExact: profile.duplicates.exact,
    distinctEmailEstimate: profile.columns[6]!.distinct,
    ksMs: time(() => ksTwoSample(a, b), 20),
    chiSquareMs: time(() => chiSquareDriftTest(catRef, catCur), 200),
    wassersteinMs: time(() => normalizedWassersteinDistance(bigA, bigB), 3),
    jensenShannonHistogramMs: time(() => {
      histA.fill(0);
      histB.fill(0);
      for (let i = 0; i < bigA.length; i++) {
        histA[Math.min(20, Math.max(0, Math.floor((bigA[i]! + 5) * 2)))]!++;
        histB[Math.min(20, Math.max(0, Math.floor((bigB[i]! + 5) * 2)))]!++;
      }
      return jensenShannonDistance(histA, histB);
    }, 3),
    targets: TARGETS,
  };
  return figures;
}
