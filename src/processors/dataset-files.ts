import { performance } from 'node:perf_hooks';
import type { Cell } from '../analytics/quality/column-profiler.js';
import { createDatasetProfiler, type DatasetProfile } from '../analytics/quality/dataset-profiler.js';
import { qualityIssues, type QualityIssue } from '../analytics/quality/quality-issues.js';
import { qualityScore } from '../analytics/quality/quality-score.js';
import { createRuleValidator, type QualityRule, type RuleResult } from '../analytics/quality/quality-rules.js';
import type { BlobStorage } from '../platform/blob-storage.js';
import { openTabularReader, type TabularReadOptions } from '../platform/tabular/tabular-reader.js';
import type { TabularValue } from '../platform/tabular/tabular-reader.types.js';

export type DatasetFormat = TabularReadOptions['format'];

/** Bumped when profiling could give other numbers for the same file (stored profiles name it). */
export const PROFILE_CODE_VERSION = 'raia-profile/1';

export type ColumnDescription = { name: string; type: string; nullable: boolean; hints: string[] };

export type DatasetProfileResult = {
  rowCount: number;
  columns: ColumnDescription[];
  profile: DatasetProfile;
  qualityScore: number;
  issues: QualityIssue[];
  elapsedMs: number;
};

async function* rowBatches(blobs: BlobStorage, sha256: string, format: DatasetFormat): AsyncGenerator<{ columns: string[]; rows: TabularValue[][]; rowOffset: number }> {
  const reader = await openTabularReader(await blobs.localPath(sha256), { format });
  try {
    for await (const batch of reader.batches()) yield { columns: reader.columns, rows: batch.rows, rowOffset: batch.rowOffset };
  } finally {
    await reader.close();
  }
}

/** The columns of a stored dataset file (read from its header / schema without reading the rows). */
export async function datasetColumns(blobs: BlobStorage, sha256: string, format: DatasetFormat): Promise<string[]> {
  const reader = await openTabularReader(await blobs.localPath(sha256), { format });
  await reader.close();
  return reader.columns;
}

/**
 * One pass over a stored dataset file: row count, inferred schema, profile, quality score and
 * issues. Memory is bounded by the profiler's sketches and one batch of rows, whatever the size.
 */
export async function profileDatasetFile(blobs: BlobStorage, sha256: string, format: DatasetFormat): Promise<DatasetProfileResult> {
  const started = performance.now();
  let profiler: ReturnType<typeof createDatasetProfiler> | null = null;
  for await (const batch of rowBatches(blobs, sha256, format)) {
    profiler ??= createDatasetProfiler(batch.columns);
    for (const row of batch.rows) profiler.pushRow(row as Cell[]);
  }
  profiler ??= createDatasetProfiler(await datasetColumns(blobs, sha256, format));
  const profile = profiler.result();
  return {
    rowCount: profile.rows,
    columns: profile.columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable, hints: [...c.semantic] })),
    profile,
    qualityScore: qualityScore(profile).score,
    issues: qualityIssues(profile),
    elapsedMs: performance.now() - started,
  };
}

/** The first `limit` rows of a stored dataset file. */
export async function previewDatasetFile(blobs: BlobStorage, sha256: string, format: DatasetFormat, limit: number): Promise<{ columns: string[]; rows: TabularValue[][] }> {
  const rows: TabularValue[][] = [];
  let columns: string[] = [];
  for await (const batch of rowBatches(blobs, sha256, format)) {
    columns = batch.columns;
    rows.push(...batch.rows.slice(0, limit - rows.length));
    if (rows.length >= limit) break;
  }
  if (columns.length === 0) columns = await datasetColumns(blobs, sha256, format);
  return { columns, rows };
}

/** Checks every row of a stored dataset file against data-quality rules, in one pass. */
export async function validateDatasetFile(blobs: BlobStorage, sha256: string, format: DatasetFormat, rules: readonly QualityRule[], maxFailingRows = 1000): Promise<RuleResult[]> {
  const columns = await datasetColumns(blobs, sha256, format);
  const validator = createRuleValidator(rules, columns, { maxFailingRows });
  for await (const batch of rowBatches(blobs, sha256, format)) for (const row of batch.rows) validator.pushRow(row as Cell[]);
  return validator.result();
}

/** Columns of a stored dataset file as drift samples: numbers for numeric columns, counts for the others. */
export async function readColumnsForDrift(
  blobs: BlobStorage,
  sha256: string,
  format: DatasetFormat,
  wanted: { name: string; kind: 'numeric' | 'categorical' }[],
): Promise<Map<string, { kind: 'numeric'; values: number[] } | { kind: 'categorical'; counts: Map<string, number> }>> {
  const samples = new Map(wanted.map((w) => [w.name, w.kind === 'numeric' ? { kind: 'numeric' as const, values: [] as number[] } : { kind: 'categorical' as const, counts: new Map<string, number>() }]));
  let indexes: number[] | null = null;
  for await (const batch of rowBatches(blobs, sha256, format)) {
    indexes ??= wanted.map((w) => batch.columns.indexOf(w.name));
    for (const row of batch.rows) {
      wanted.forEach((w, k) => {
        const v = row[indexes![k]!];
        if (v === null || v === undefined || v === '') return;
        const sample = samples.get(w.name)!;
        if (sample.kind === 'numeric') {
          const x = typeof v === 'number' ? v : Number(v);
          if (Number.isFinite(x)) sample.values.push(x);
        } else sample.counts.set(String(v), (sample.counts.get(String(v)) ?? 0) + 1);
      });
    }
  }
  return samples;
}

export type DatasetRecord = Record<string, string | number | boolean | null>;

/** A cell as its column's inferred type: numbers for integer/number columns, booleans for boolean ones. */
function typedCell(value: TabularValue, type: string): string | number | boolean | null {
  if (value === null || value === '') return null;
  if (type === 'integer' || type === 'number') {
    const x = typeof value === 'number' ? value : Number(value);
    return Number.isFinite(x) ? x : null;
  }
  if (type === 'boolean') return typeof value === 'boolean' ? value : /^(true|1|yes)$/i.test(String(value));
  return typeof value === 'string' ? value : String(value);
}

/** The first `limit` rows of a stored dataset file as objects keyed by column, typed by the inferred schema. */
export async function readDatasetRecords(blobs: BlobStorage, sha256: string, format: DatasetFormat, columns: readonly ColumnDescription[], limit: number): Promise<DatasetRecord[]> {
  const types = new Map(columns.map((c) => [c.name, c.type]));
  const records: DatasetRecord[] = [];
  for await (const batch of rowBatches(blobs, sha256, format)) {
    for (const row of batch.rows) {
      if (records.length >= limit) return records;
      records.push(Object.fromEntries(batch.columns.map((name, j) => [name, typedCell(row[j] ?? null, types.get(name) ?? 'string')])));
    }
  }
  return records;
}
