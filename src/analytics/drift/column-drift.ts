import { chiSquareDriftTest } from './chi-square.js';
import { histogramCounts, sturgesEdges } from './histogram-binning.js';
import { jensenShannonDistance } from './jensen-shannon.js';
import { ksTwoSampleSorted } from './kolmogorov-smirnov.js';
import { categoricalPsi, numericPsiSorted, type PsiBin } from './population-stability-index.js';
import { proportionsZTest } from './proportions-z-test.js';
import { sortFloat64 } from './sort-float64.js';
import { normalizeWasserstein, pooledWalkSorted } from './wasserstein.js';

/**
 * Drift of one column between a reference and a current sample, with Evidently's default test
 * choice (`_get_default_stattest`, evidently/calculations/stattests/registry.py):
 * reference ≤ 1000 rows: numeric → KS (p ≤ 0.05), or χ² / z-test when the pooled column has ≤ 5
 * (≤ 2) distinct values; categorical → χ² (p < 0.05), z-test when ≤ 2 distinct values.
 * reference > 1000 rows: numeric → normalised Wasserstein (≥ 0.1), or Jensen–Shannon when ≤ 5
 * distinct values; categorical → Jensen–Shannon distance, base 2 (≥ 0.1).
 * PSI (10 reference-quantile bins, or one bin per category) is reported for every column.
 */

export type DriftTest = 'ks' | 'wasserstein' | 'chisquare' | 'z' | 'jensenshannon' | 'psi';
export type ColumnKind = 'numeric' | 'categorical';
/** Numeric values, NaN meaning missing. */
export type NumericColumnSample = { kind: 'numeric'; values: ArrayLike<number> };
/** Category counts, missing values excluded (`missing`: how many there were, reported as is). */
export type CategoricalColumnSample = { kind: 'categorical'; counts: ReadonlyMap<string, number>; missing?: number };
export type ColumnSample = NumericColumnSample | CategoricalColumnSample;

export type ColumnDriftOptions = {
  test?: DriftTest;
  threshold?: number;
  /** Per-test thresholds used when `threshold` is not given. */
  thresholds?: Partial<Record<DriftTest, number>>;
  /** Reference size up to which the small-sample tests are chosen (Evidently: 1000). */
  smallReferenceLimit?: number;
  psiBins?: number;
  /** Logarithm base of the Jensen–Shannon distance (Evidently: 2). */
  jsBase?: number;
};

export const DEFAULT_THRESHOLDS: Readonly<Record<DriftTest, number>> = { ks: 0.05, chisquare: 0.05, z: 0.05, wasserstein: 0.1, jensenshannon: 0.1, psi: 0.1 };
const P_VALUE_TESTS: ReadonlySet<DriftTest> = new Set<DriftTest>(['ks', 'chisquare', 'z']);
const NUMERIC_ONLY: ReadonlySet<DriftTest> = new Set<DriftTest>(['ks', 'wasserstein']);

export type ColumnDriftResult = {
  kind: ColumnKind;
  test: DriftTest;
  /** 'p_value': drift when score below the threshold; 'distance': drift when score at or above it. */
  scoreKind: 'p_value' | 'distance';
  score: number;
  /** The test statistic behind a p-value (KS D, χ², z), else equal to score. */
  statistic: number;
  threshold: number;
  drifted: boolean;
  referenceSize: number;
  currentSize: number;
  referenceMissing: number;
  currentMissing: number;
  distinctValues: number;
  psi: number;
  psiBins?: PsiBin[];
  psiCategories?: { category: string; reference: number; current: number; contribution: number }[];
  /** Set when a sample is empty and no test was run. */
  skipped?: string;
};

export class DriftTestNotApplicable extends Error {
  constructor(
    readonly test: DriftTest,
    readonly kind: ColumnKind,
  ) {
    super(`drift test '${test}' does not apply to ${kind} columns`);
    this.name = 'DriftTestNotApplicable';
  }
}

export function defaultDriftTest(kind: ColumnKind, referenceSize: number, distinctValues: number, smallReferenceLimit = 1000): DriftTest {
  if (referenceSize <= smallReferenceLimit) {
    if (kind === 'numeric' && distinctValues > 5) return 'ks';
    return distinctValues > 2 ? 'chisquare' : 'z';
  }
  if (kind === 'numeric' && distinctValues > 5) return 'wasserstein';
  return 'jensenshannon';
}

/**
 * The non-NaN values of a sample, sorted once into a Float64Array that every numeric test then
 * shares (PSI edges and bin counts, Wasserstein, KS, distinct and value counts).
 */
function finiteSorted(values: ArrayLike<number>, scratch?: Float64Array): { sorted: Float64Array; missing: number } {
  const length = values.length;
  let sorted: Float64Array;
  let missing = 0;
  if (values instanceof Float64Array) {
    for (let i = 0; i < length; i++) if (Number.isNaN(values[i]!)) missing++;
    sorted = missing === 0 ? values.slice() : values.filter((x) => !Number.isNaN(x));
  } else {
    // number[] and other array-likes: one pass, NaNs skipped.
    const all = new Float64Array(length);
    let k = 0;
    for (let i = 0; i < length; i++) {
      const x = values[i]!;
      if (Number.isNaN(x)) missing++;
      else all[k++] = x;
    }
    sorted = missing === 0 ? all : all.subarray(0, k);
  }
  sortFloat64(sorted, scratch);
  return { sorted, missing };
}

function distinctSorted(x: Float64Array): number {
  let d = 0;
  for (let i = 0; i < x.length; i++) if (i === 0 || x[i] !== x[i - 1]) d++;
  return d;
}

function distinctPooled(a: Float64Array, b: Float64Array): number {
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < a.length || j < b.length) {
    const v = j >= b.length || (i < a.length && a[i]! <= b[j]!) ? a[i]! : b[j]!;
    d++;
    while (i < a.length && a[i] === v) i++;
    while (j < b.length && b[j] === v) j++;
  }
  return d;
}

/** Value counts of a sorted sample, one map update per run of equal values (-0 and 0 share a key, as String makes them). */
function valueCounts(sorted: Float64Array): Map<string, number> {
  const counts = new Map<string, number>();
  let i = 0;
  while (i < sorted.length) {
    const v = sorted[i]!;
    let j = i + 1;
    while (j < sorted.length && sorted[j] === v) j++;
    const k = String(v);
    counts.set(k, (counts.get(k) ?? 0) + j - i);
    i = j;
  }
  return counts;
}

function sumCounts(m: ReadonlyMap<string, number>): number {
  let s = 0;
  for (const v of m.values()) s += v;
  return s;
}

function countsToAligned(ref: ReadonlyMap<string, number>, cur: ReadonlyMap<string, number>): [Float64Array, Float64Array] {
  const keys = [...new Set([...ref.keys(), ...cur.keys()])];
  return [Float64Array.from(keys, (k) => ref.get(k) ?? 0), Float64Array.from(keys, (k) => cur.get(k) ?? 0)];
}

export function columnDrift(reference: ColumnSample, current: ColumnSample, options: ColumnDriftOptions = {}): ColumnDriftResult {
  if (reference.kind !== current.kind) throw new RangeError('reference and current samples are of different kinds');
  const kind = reference.kind;
  const limit = options.smallReferenceLimit ?? 1000;
  const base = options.jsBase ?? 2;

  let refSorted: Float64Array | undefined;
  let curSorted: Float64Array | undefined;
  let refCounts: ReadonlyMap<string, number> | undefined;
  let curCounts: ReadonlyMap<string, number> | undefined;
  let referenceMissing: number;
  let currentMissing: number;
  let distinctValues: number;
  let wasserstein = Number.NaN;
  if (reference.kind === 'numeric' && current.kind === 'numeric') {
    // One scratch buffer serves both radix sorts.
    const scratch = new Float64Array(Math.max(reference.values.length, current.values.length));
    const r = finiteSorted(reference.values, scratch);
    const c = finiteSorted(current.values, scratch);
    refSorted = r.sorted;
    curSorted = c.sorted;
    referenceMissing = r.missing;
    currentMissing = c.missing;
    // The walk that counts distinct pooled values integrates W₁ on the way (used when the test is Wasserstein).
    if (refSorted.length > 0 && curSorted.length > 0) {
      const walk = pooledWalkSorted(refSorted, curSorted);
      distinctValues = walk.distinct;
      wasserstein = walk.wasserstein;
    } else distinctValues = distinctPooled(refSorted, curSorted);
  } else {
    refCounts = (reference as CategoricalColumnSample).counts;
    curCounts = (current as CategoricalColumnSample).counts;
    referenceMissing = (reference as CategoricalColumnSample).missing ?? 0;
    currentMissing = (current as CategoricalColumnSample).missing ?? 0;
    distinctValues = new Set([...refCounts.keys(), ...curCounts.keys()]).size;
  }
  const referenceSize = refSorted ? refSorted.length : sumCounts(refCounts!);
  const currentSize = curSorted ? curSorted.length : sumCounts(curCounts!);
  // Value counts of a numeric column are built only when a categorical test needs them.
  const counts = (): [ReadonlyMap<string, number>, ReadonlyMap<string, number>] => {
    refCounts ??= valueCounts(refSorted!);
    curCounts ??= valueCounts(curSorted!);
    return [refCounts, curCounts];
  };

  const test = options.test ?? defaultDriftTest(kind, referenceSize, distinctValues, limit);
  if (kind === 'categorical' && NUMERIC_ONLY.has(test)) throw new DriftTestNotApplicable(test, kind);
  const threshold = options.threshold ?? options.thresholds?.[test] ?? DEFAULT_THRESHOLDS[test];
  const scoreKind = P_VALUE_TESTS.has(test) ? 'p_value' : 'distance';
  const base_ = { kind, test, scoreKind, threshold, referenceSize, currentSize, referenceMissing, currentMissing, distinctValues } as const;
  if (referenceSize === 0 || currentSize === 0) {
    return { ...base_, score: Number.NaN, statistic: Number.NaN, drifted: false, psi: Number.NaN, skipped: 'empty sample' };
  }

  let psi: number;
  let psiBins: PsiBin[] | undefined;
  let psiCategories: ColumnDriftResult['psiCategories'];
  if (refSorted && curSorted) {
    const r = numericPsiSorted(refSorted, curSorted, options.psiBins ?? 10);
    psi = r.psi;
    psiBins = r.bins;
  } else {
    const r = categoricalPsi(...counts());
    psi = r.psi;
    psiCategories = r.categories;
  }

  let score: number;
  let statistic: number;
  switch (test) {
    case 'ks': {
      const r = ksTwoSampleSorted(refSorted!, curSorted!);
      score = r.pValue;
      statistic = r.statistic;
      break;
    }
    case 'wasserstein':
      score = statistic = normalizeWasserstein(wasserstein, refSorted!);
      break;
    case 'chisquare': {
      const r = chiSquareDriftTest(...counts());
      score = r.pValue;
      statistic = r.statistic;
      break;
    }
    case 'z': {
      const r = proportionsZTest(...counts());
      score = r.pValue;
      statistic = r.statistic;
      break;
    }
    case 'jensenshannon': {
      let p: Float64Array;
      let q: Float64Array;
      if (refSorted && curSorted && distinctSorted(refSorted) > 20) {
        const edges = sturgesEdges(Math.min(refSorted[0]!, curSorted[0]!), Math.max(refSorted.at(-1)!, curSorted.at(-1)!), referenceSize + currentSize);
        p = histogramCounts(refSorted, edges);
        q = histogramCounts(curSorted, edges);
      } else [p, q] = countsToAligned(...counts());
      score = statistic = jensenShannonDistance(p, q, base);
      break;
    }
    case 'psi':
      score = statistic = psi;
      break;
    default: {
      const never: never = test;
      throw new RangeError(`unknown drift test ${String(never)}`);
    }
  }
  // Evidently: KS drifts at p ≤ threshold, χ² and z at p < threshold, distances at score ≥ threshold.
  const drifted = scoreKind === 'p_value' ? (test === 'ks' ? score <= threshold : score < threshold) : score >= threshold;
  return { ...base_, score, statistic, drifted, psi, ...(psiBins ? { psiBins } : {}), ...(psiCategories ? { psiCategories } : {}) };
}
