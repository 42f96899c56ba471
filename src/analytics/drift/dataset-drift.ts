import { columnDrift, DEFAULT_THRESHOLDS, type ColumnDriftOptions, type ColumnDriftResult, type ColumnKind, type ColumnSample, type DriftTest } from './column-drift.js';
import { createFloat64Buffer, type Float64Buffer } from './float64-buffer.js';

/**
 * Dataset drift as Evidently's DataDriftPreset / DatasetDriftMetric decides it: every column is
 * tested on its own (column-drift.ts) and the dataset has drifted when the share of drifted columns
 * is at least `driftShare` (default 0.5).
 */

export type DriftCell = string | number | boolean | null | undefined;
export type DriftColumnSpec = { name: string; kind: ColumnKind };

export type DatasetDriftOptions = {
  /** Dataset drift when drifted columns / tested columns ≥ driftShare (default 0.5). */
  driftShare?: number;
  /** Applied to every column (test, thresholds, psiBins, jsBase …). */
  defaults?: ColumnDriftOptions;
  /** Per-column overrides, merged over `defaults`. */
  columns?: Record<string, ColumnDriftOptions>;
};

export type DatasetDriftResult = {
  columns: (ColumnDriftResult & { column: string })[];
  numberOfColumns: number;
  numberOfDriftedColumns: number;
  shareOfDriftedColumns: number;
  driftShare: number;
  datasetDrift: boolean;
};

export function datasetDrift(columns: { name: string; reference: ColumnSample; current: ColumnSample }[], options: DatasetDriftOptions = {}): DatasetDriftResult {
  const driftShare = options.driftShare ?? 0.5;
  // A column's own setting beats every default: its threshold, then its per-test thresholds,
  // then the defaults' threshold (for every test), then the defaults' per-test thresholds.
  const defaultThreshold = options.defaults?.threshold;
  const defaultThresholds: Partial<Record<DriftTest, number>> = {
    ...options.defaults?.thresholds,
    ...(defaultThreshold === undefined ? {} : Object.fromEntries(Object.keys(DEFAULT_THRESHOLDS).map((test) => [test, defaultThreshold]))),
  };
  const results = columns.map((c) => {
    const perColumn = options.columns?.[c.name];
    const thresholds = { ...defaultThresholds, ...perColumn?.thresholds };
    return { column: c.name, ...columnDrift(c.reference, c.current, { ...options.defaults, ...perColumn, threshold: perColumn?.threshold, thresholds }) };
  });
  const tested = results.filter((r) => r.skipped === undefined);
  const drifted = tested.filter((r) => r.drifted).length;
  const share = tested.length > 0 ? drifted / tested.length : 0;
  return {
    columns: results,
    numberOfColumns: tested.length,
    numberOfDriftedColumns: drifted,
    shareOfDriftedColumns: share,
    driftShare,
    datasetDrift: tested.length > 0 && share >= driftShare,
  };
}

type ColumnCollector = { numeric?: Float64Buffer; counts?: Map<string, number>; missing: number };

function isMissing(v: DriftCell): v is null | undefined {
  return v === null || v === undefined || v === '' || (typeof v === 'number' && Number.isNaN(v));
}

function createSampleCollector(specs: readonly DriftColumnSpec[]) {
  const cols: ColumnCollector[] = specs.map((s) => (s.kind === 'numeric' ? { numeric: createFloat64Buffer(), missing: 0 } : { counts: new Map(), missing: 0 }));
  return {
    push(row: readonly DriftCell[]) {
      for (let i = 0; i < cols.length; i++) {
        const c = cols[i]!;
        const v = row[i];
        if (isMissing(v)) {
          c.missing++;
          // Missing numeric cells stay in the sample as NaN so the column result can count them.
          c.numeric?.push(Number.NaN);
          continue;
        }
        if (c.numeric) {
          // Strings from CSV are parsed; anything that is not a number counts as missing.
          const x = typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : Number(v);
          if (!Number.isFinite(x)) c.missing++;
          c.numeric.push(Number.isFinite(x) ? x : Number.NaN);
        } else {
          const k = String(v);
          c.counts!.set(k, (c.counts!.get(k) ?? 0) + 1);
        }
      }
    },
    pushNumericColumn(index: number, values: ArrayLike<number>) {
      const c = cols[index];
      if (!c?.numeric) throw new RangeError(`column ${index} is not numeric`);
      for (let i = 0; i < values.length; i++) {
        const x = values[i]!;
        if (!Number.isFinite(x)) c.missing++;
        c.numeric.push(Number.isFinite(x) ? x : Number.NaN);
      }
    },
    sample(index: number): ColumnSample {
      const c = cols[index]!;
      return c.numeric ? { kind: 'numeric', values: c.numeric.view() } : { kind: 'categorical', counts: c.counts!, missing: c.missing };
    },
  };
}

/**
 * Push API: rows (cells in `columns` order) of the reference and of the current window, then
 * `result()`. Numeric columns keep their values in growable Float64Arrays (the tests need the
 * samples); categorical columns keep only counts. A column-at-a-time path takes typed arrays.
 */
export function createDriftDetector(columns: readonly DriftColumnSpec[], options: DatasetDriftOptions = {}) {
  const reference = createSampleCollector(columns);
  const current = createSampleCollector(columns);
  return {
    pushReference: (row: readonly DriftCell[]) => reference.push(row),
    pushCurrent: (row: readonly DriftCell[]) => current.push(row),
    pushReferenceColumn: (index: number, values: ArrayLike<number>) => reference.pushNumericColumn(index, values),
    pushCurrentColumn: (index: number, values: ArrayLike<number>) => current.pushNumericColumn(index, values),
    result(requestOptions: DatasetDriftOptions = {}): DatasetDriftResult {
      const merged: DatasetDriftOptions = {
        driftShare: requestOptions.driftShare ?? options.driftShare,
        defaults: { ...options.defaults, ...requestOptions.defaults, thresholds: { ...options.defaults?.thresholds, ...requestOptions.defaults?.thresholds } },
        columns: { ...options.columns, ...requestOptions.columns },
      };
      return datasetDrift(
        columns.map((c, i) => ({ name: c.name, reference: reference.sample(i), current: current.sample(i) })),
        merged,
      );
    },
  };
}
