import { chiSquareDriftTest } from './chi-square.js';
import { chiSquareContingency } from './chi-square-contingency.js';
import { DEFAULT_THRESHOLDS, type ColumnSample } from './column-drift.js';
import { histogramCounts, sturgesEdges } from './histogram-binning.js';
import { jensenShannonDistance } from './jensen-shannon.js';
import { ksTwoSampleSorted, type KsMethod } from './kolmogorov-smirnov.js';
import { categoricalPsi, numericPsiSorted, psiFromProportions, quantileSortedLinear } from './population-stability-index.js';
import { proportionsZTest } from './proportions-z-test.js';
import { normalizeWasserstein, wassersteinDistanceSorted } from './wasserstein.js';

/**
 * Several tests of one column in one request, each named with the parameters it ran with, so a
 * figure can be reproduced with the library it follows (scipy.stats, Evidently):
 * - ks: scipy.stats.ks_2samp(reference, current, method=auto|exact|asymp), with statistic_location and statistic_sign
 * - wasserstein: scipy.stats.wasserstein_distance (raw) or divided by the reference std (Evidently's normalised)
 * - chisquare: goodness of fit (Evidently: current counts against reference proportions) or
 *   scipy.stats.chi2_contingency on the 2 × k table, Yates' correction on 2 × 2 selectable
 * - z: two-proportion z-test (Evidently)
 * - jensenshannon: scipy.spatial.distance.jensenshannon(p, q, base) on equal-width, reference-quantile
 *   or Evidently's automatic bins
 * - psi: population stability index on reference-quantile or equal-width bins
 */
export type DriftTestSpec =
  | { method: 'ks'; mode?: KsMethod; threshold?: number }
  | { method: 'wasserstein'; normalised?: boolean; threshold?: number }
  | { method: 'chisquare'; variant?: 'goodness-of-fit' | 'contingency'; correction?: boolean; threshold?: number }
  | { method: 'z'; threshold?: number }
  | { method: 'jensenshannon'; base?: number; binning?: 'auto' | 'equal-width' | 'quantile'; bins?: number; threshold?: number }
  | { method: 'psi'; binning?: 'quantile' | 'equal-width'; bins?: number; threshold?: number };

export type DriftTestOutcome = {
  method: DriftTestSpec['method'];
  /** Every parameter the test ran with, defaults filled in. */
  parameters: Record<string, string | number | boolean | null>;
  statistic: number;
  pValue: number | null;
  /** p-value for tests, else the distance: what `threshold` is compared with. */
  score: number;
  scoreKind: 'p_value' | 'distance';
  threshold: number | null;
  /** null when no threshold applies (raw Wasserstein without one). */
  drifted: boolean | null;
  details?: Record<string, number | string | null>;
};

export class DriftTestSpecError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'DriftTestSpecError';
  }
}

type Prepared = { numeric: true; ref: Float64Array; cur: Float64Array } | { numeric: false; ref: ReadonlyMap<string, number>; cur: ReadonlyMap<string, number> };

function sortedFinite(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).filter((v) => !Number.isNaN(v)).sort();
}

function valueCounts(sorted: Float64Array): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of sorted) counts.set(String(v), (counts.get(String(v)) ?? 0) + 1);
  return counts;
}

function aligned(ref: ReadonlyMap<string, number>, cur: ReadonlyMap<string, number>): [Float64Array, Float64Array] {
  const keys = [...new Set([...ref.keys(), ...cur.keys()])];
  return [Float64Array.from(keys, (k) => ref.get(k) ?? 0), Float64Array.from(keys, (k) => cur.get(k) ?? 0)];
}

/** Equal-width edges over [min, max] (numpy.histogram_bin_edges(bins=k, range=(min, max))). */
function equalWidthEdges(min: number, max: number, bins: number): Float64Array {
  if (!(max > min)) return Float64Array.of(min - 0.5, max + 0.5);
  const edges = new Float64Array(bins + 1);
  for (let i = 0; i <= bins; i++) edges[i] = min + ((max - min) * i) / bins;
  edges[bins] = max;
  return edges;
}

/** Counts in (-inf, e1], (e1, e2], …, (e_{k-1}, inf) for inner edges e (reference quantiles, deduplicated). */
function openBinCounts(sorted: Float64Array, inner: number[]): Float64Array {
  const counts = new Float64Array(inner.length + 1);
  let b = 0;
  for (const x of sorted) {
    while (b < inner.length && x > inner[b]!) b++;
    counts[b]!++;
  }
  return counts;
}

function quantileInnerEdges(sortedReference: Float64Array, bins: number): number[] {
  const edges: number[] = [];
  for (let i = 1; i < bins; i++) {
    const e = quantileSortedLinear(sortedReference, i / bins);
    if (edges.length === 0 || e > edges.at(-1)!) edges.push(e);
  }
  return edges;
}

const proportions = (counts: Float64Array): Float64Array => {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => c / total);
};

function needNumeric(data: Prepared, method: string): asserts data is Extract<Prepared, { numeric: true }> {
  if (!data.numeric) throw new DriftTestSpecError(`${method} applies to numeric columns only`);
}

function countsOf(data: Prepared): [ReadonlyMap<string, number>, ReadonlyMap<string, number>] {
  return data.numeric ? [valueCounts(data.ref), valueCounts(data.cur)] : [data.ref, data.cur];
}

const decide = (scoreKind: 'p_value' | 'distance', score: number, threshold: number | null, strictP: boolean): boolean | null =>
  threshold === null ? null : scoreKind === 'p_value' ? (strictP ? score < threshold : score <= threshold) : score >= threshold;

function runOne(data: Prepared, spec: DriftTestSpec): DriftTestOutcome {
  switch (spec.method) {
    case 'ks': {
      needNumeric(data, 'ks');
      const mode = spec.mode ?? 'auto';
      const r = ksTwoSampleSorted(data.ref, data.cur, { method: mode });
      const threshold = spec.threshold ?? DEFAULT_THRESHOLDS.ks;
      return {
        method: 'ks',
        parameters: { mode, alternative: 'two-sided', threshold },
        statistic: r.statistic,
        pValue: r.pValue,
        score: r.pValue,
        scoreKind: 'p_value',
        threshold,
        drifted: decide('p_value', r.pValue, threshold, false),
        details: { methodUsed: r.method, statisticLocation: r.statisticLocation, statisticSign: r.statisticSign },
      };
    }
    case 'wasserstein': {
      needNumeric(data, 'wasserstein');
      const normalised = spec.normalised ?? true;
      const raw = wassersteinDistanceSorted(data.ref, data.cur);
      const score = normalised ? normalizeWasserstein(raw, data.ref) : raw;
      const threshold = spec.threshold ?? (normalised ? DEFAULT_THRESHOLDS.wasserstein : null);
      return { method: 'wasserstein', parameters: { normalised, threshold }, statistic: score, pValue: null, score, scoreKind: 'distance', threshold, drifted: decide('distance', score, threshold, false), details: { raw } };
    }
    case 'chisquare': {
      const variant = spec.variant ?? 'goodness-of-fit';
      const threshold = spec.threshold ?? DEFAULT_THRESHOLDS.chisquare;
      const [ref, cur] = countsOf(data);
      if (variant === 'contingency') {
        const correction = spec.correction ?? true;
        const r = chiSquareContingency(ref, cur, correction);
        return { method: 'chisquare', parameters: { variant, correction, threshold }, statistic: r.statistic, pValue: r.pValue, score: r.pValue, scoreKind: 'p_value', threshold, drifted: decide('p_value', r.pValue, threshold, true), details: { dof: r.dof, yatesApplied: r.correction ? 1 : 0 } };
      }
      if (spec.correction !== undefined) throw new DriftTestSpecError('correction applies to the contingency variant only');
      const r = chiSquareDriftTest(ref, cur);
      return { method: 'chisquare', parameters: { variant, threshold }, statistic: r.statistic, pValue: r.pValue, score: r.pValue, scoreKind: 'p_value', threshold, drifted: decide('p_value', r.pValue, threshold, true), details: { dof: r.dof } };
    }
    case 'z': {
      const threshold = spec.threshold ?? DEFAULT_THRESHOLDS.z;
      const r = proportionsZTest(...countsOf(data));
      return { method: 'z', parameters: { threshold }, statistic: r.statistic, pValue: r.pValue, score: r.pValue, scoreKind: 'p_value', threshold, drifted: decide('p_value', r.pValue, threshold, true) };
    }
    case 'jensenshannon': {
      const base = spec.base ?? 2;
      const threshold = spec.threshold ?? DEFAULT_THRESHOLDS.jensenshannon;
      let binning: string = spec.binning ?? 'auto';
      const bins = spec.bins ?? 10;
      let p: Float64Array;
      let q: Float64Array;
      if (!data.numeric) {
        if (spec.binning && spec.binning !== 'auto') throw new DriftTestSpecError('binning applies to numeric columns; categories are their own bins');
        binning = 'categories';
        [p, q] = aligned(data.ref, data.cur);
      } else if (binning === 'equal-width') {
        const edges = equalWidthEdges(Math.min(data.ref[0]!, data.cur[0]!), Math.max(data.ref.at(-1)!, data.cur.at(-1)!), bins);
        p = histogramCounts(data.ref, edges);
        q = histogramCounts(data.cur, edges);
      } else if (binning === 'quantile') {
        const inner = quantileInnerEdges(data.ref, bins);
        p = openBinCounts(data.ref, inner);
        q = openBinCounts(data.cur, inner);
      } else {
        // Evidently's get_binned_data: Sturges edges over the pooled sample when the reference has > 20 distinct values.
        const distinct = new Set(data.ref).size;
        if (distinct > 20) {
          const edges = sturgesEdges(Math.min(data.ref[0]!, data.cur[0]!), Math.max(data.ref.at(-1)!, data.cur.at(-1)!), data.ref.length + data.cur.length);
          p = histogramCounts(data.ref, edges);
          q = histogramCounts(data.cur, edges);
        } else [p, q] = aligned(valueCounts(data.ref), valueCounts(data.cur));
      }
      const score = jensenShannonDistance(p, q, base);
      return { method: 'jensenshannon', parameters: { base, binning, bins: binning === 'equal-width' || binning === 'quantile' ? bins : null, threshold }, statistic: score, pValue: null, score, scoreKind: 'distance', threshold, drifted: decide('distance', score, threshold, false), details: { binsUsed: p.length } };
    }
    case 'psi': {
      const threshold = spec.threshold ?? DEFAULT_THRESHOLDS.psi;
      const bins = spec.bins ?? 10;
      let binning: string = spec.binning ?? 'quantile';
      let psi: number;
      let binsUsed: number;
      if (!data.numeric) {
        if (spec.binning) throw new DriftTestSpecError('binning applies to numeric columns; categories are their own bins');
        binning = 'categories';
        const r = categoricalPsi(data.ref, data.cur);
        psi = r.psi;
        binsUsed = r.categories.length;
      } else if (binning === 'equal-width') {
        // equal-width bins over the reference range, the end bins open to catch current values outside it
        const edges = equalWidthEdges(data.ref[0]!, data.ref.at(-1)!, bins);
        const inner = Array.from(edges.subarray(1, edges.length - 1));
        psi = psiFromProportions(proportions(openBinCounts(data.ref, inner)), proportions(openBinCounts(data.cur, inner))).psi;
        binsUsed = inner.length + 1;
      } else {
        const r = numericPsiSorted(data.ref, data.cur, bins);
        psi = r.psi;
        binsUsed = r.bins.length;
      }
      return { method: 'psi', parameters: { binning, bins: binning === 'categories' ? null : bins, threshold }, statistic: psi, pValue: null, score: psi, scoreKind: 'distance', threshold, drifted: decide('distance', psi, threshold, false), details: { binsUsed } };
    }
  }
}

/** Runs every spec on the column; empty samples give no outcomes (the column result says `skipped`). */
export function runDriftTests(reference: ColumnSample, current: ColumnSample, specs: readonly DriftTestSpec[]): DriftTestOutcome[] {
  const data: Prepared =
    reference.kind === 'numeric' && current.kind === 'numeric'
      ? { numeric: true, ref: sortedFinite(reference.values), cur: sortedFinite(current.values) }
      : reference.kind === 'categorical' && current.kind === 'categorical'
        ? { numeric: false, ref: reference.counts, cur: current.counts }
        : (() => {
            throw new RangeError('reference and current samples are of different kinds');
          })();
  const empty = data.numeric ? data.ref.length === 0 || data.cur.length === 0 : [...data.ref.values()].every((c) => c === 0) || [...data.cur.values()].every((c) => c === 0);
  if (empty) return [];
  return specs.map((spec) => runOne(data, spec));
}
