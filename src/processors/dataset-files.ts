import { performance } from 'node:perf_hooks';
import { numberFromText, type Cell } from '../analytics/quality/column-profiler.js';
import { createDatasetProfiler, type DatasetProfile } from '../analytics/quality/dataset-profiler.js';
import { qualityIssues, type QualityIssue } from '../analytics/quality/quality-issues.js';
import { qualityScore } from '../analytics/quality/quality-score.js';
import { createRuleValidator, type QualityRule, type RuleResult } from '../analytics/quality/quality-rules.js';
import { Readable } from 'node:stream';
import type { JsonObject, JsonValue } from '../events/envelope.js';
import type { PersonalDataView } from '../events/event-disclosure.js';
import type { PersonalDataVault } from '../events/personal-data.js';
import type { BlobStorage, StoredBlob } from '../platform/blob-storage.js';
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

/**
 * Rows per batch for the one-pass readers below. Smaller than the reader's default (10,000):
 * a batch is consumed and dropped right away, and 1,000 rows of strings die young, while
 * 10,000 rows x 20 columns outlive V8's young generation and get copied and promoted (3x slower
 * reading of a 1M x 20 CSV, almost all of it garbage collection).
 */
const BATCH_ROWS = 1000;

async function* rowBatches(blobs: BlobStorage, sha256: string, format: DatasetFormat): AsyncGenerator<{ columns: string[]; rows: TabularValue[][]; rowOffset: number }> {
  const reader = await openTabularReader(await blobs.localPath(sha256), { format, batchRows: BATCH_ROWS });
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

/** The first `limit` rows of a stored dataset file, personal cells as `view` may see them. */
export async function previewDatasetFile(blobs: BlobStorage, sha256: string, format: DatasetFormat, limit: number, vault?: PersonalDataVault, view: PersonalDataView = 'clear'): Promise<{ columns: string[]; rows: TabularValue[][] }> {
  const rows: TabularValue[][] = [];
  let columns: string[] = [];
  for await (const batch of rowBatches(blobs, sha256, format)) {
    columns = batch.columns;
    rows.push(...batch.rows.slice(0, limit - rows.length));
    if (rows.length >= limit) break;
  }
  if (columns.length === 0) columns = await datasetColumns(blobs, sha256, format);
  return { columns, rows: vault ? ((await revealCells(vault, rows, view)) as TabularValue[][]) : rows };
}

/**
 * Checks every row of a stored dataset file against data-quality rules, in one pass. Personal
 * cells are checked as `view` may see them, so rules cannot probe values their caller may not read.
 */
export async function validateDatasetFile(blobs: BlobStorage, sha256: string, format: DatasetFormat, rules: readonly QualityRule[], maxFailingRows = 1000, vault?: PersonalDataVault, view: PersonalDataView = 'clear'): Promise<RuleResult[]> {
  const columns = await datasetColumns(blobs, sha256, format);
  const validator = createRuleValidator(rules, columns, { maxFailingRows });
  for await (const batch of rowBatches(blobs, sha256, format)) {
    const rows = vault ? await revealCells(vault, batch.rows, view) : batch.rows;
    for (const row of rows) validator.pushRow(row as Cell[]);
  }
  return validator.result();
}

/** Columns of a stored dataset file as drift samples: numbers for numeric columns, counts for the others. */
export async function readColumnsForDrift(
  blobs: BlobStorage,
  sha256: string,
  format: DatasetFormat,
  wanted: { name: string; kind: 'numeric' | 'categorical' }[],
): Promise<Map<string, { kind: 'numeric'; values: number[] } | { kind: 'categorical'; counts: Map<string, number> }>> {
  type Sample = { kind: 'numeric'; values: number[] } | { kind: 'categorical'; counts: Map<string, number> };
  const samples = new Map<string, Sample>(wanted.map((w) => [w.name, w.kind === 'numeric' ? { kind: 'numeric', values: [] } : { kind: 'categorical', counts: new Map<string, number>() }]));
  // Categorical counts are tallied in mutable cells (one map lookup per cell instead of get + set), then copied into `counts`.
  const tallies = new Map<Sample, Map<string, { n: number }>>();
  // Per wanted column: its sample (a name wanted twice gets one sample, filled by both entries, as before).
  const sinks = wanted.map((w) => samples.get(w.name)!);
  const tallyOf = sinks.map((sample) => {
    if (sample.kind === 'numeric') return null;
    let tally = tallies.get(sample);
    if (!tally) tallies.set(sample, (tally = new Map()));
    return tally;
  });
  let indexes: number[] | null = null;
  for await (const batch of rowBatches(blobs, sha256, format)) {
    indexes ??= wanted.map((w) => batch.columns.indexOf(w.name));
    const rows = batch.rows;
    // Column by column: one sink and one kind per loop.
    for (let k = 0; k < sinks.length; k++) {
      const at = indexes[k]!;
      const sink = sinks[k]!;
      const tally = tallyOf[k];
      if (sink.kind === 'numeric') {
        const values = sink.values;
        for (let r = 0; r < rows.length; r++) {
          const v = rows[r]![at];
          if (v === null || v === undefined || v === '') continue;
          const x = typeof v === 'number' ? v : typeof v === 'string' ? numberFromText(v) : Number(v);
          if (Number.isFinite(x)) values.push(x);
        }
      } else if (tally) {
        for (let r = 0; r < rows.length; r++) {
          const v = rows[r]![at];
          if (v === null || v === undefined || v === '') continue;
          const key = typeof v === 'string' ? v : String(v);
          const cell = tally.get(key);
          if (cell !== undefined) cell.n++;
          else tally.set(key, { n: 1 });
        }
      }
    }
  }
  for (const [sample, tally] of tallies) if (sample.kind === 'categorical') for (const [key, cell] of tally) sample.counts.set(key, cell.n);
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
export async function readDatasetRecords(blobs: BlobStorage, sha256: string, format: DatasetFormat, columns: readonly ColumnDescription[], limit: number, vault?: PersonalDataVault): Promise<DatasetRecord[]> {
  const types = new Map(columns.map((c) => [c.name, c.type]));
  const records: DatasetRecord[] = [];
  for await (const batch of rowBatches(blobs, sha256, format)) {
    const rows = vault ? await revealCells(vault, batch.rows) : batch.rows;
    for (const row of rows) {
      if (records.length >= limit) return records;
      records.push(Object.fromEntries(batch.columns.map((name, j) => [name, typedCell((row[j] ?? null) as TabularValue, types.get(name) ?? 'string')])));
    }
  }
  return records;
}

export type SealPersonalCells = (entries: readonly { subjectId: string; value: string | number | boolean }[]) => Promise<unknown[]>;

/**
 * Rewrites a dataset file as NDJSON whose personal cells are sealed under the key of the row's
 * data subject (the `subjectColumn` value), so erasing a subject makes its cells unreadable while
 * the rest of the dataset stays usable. The subject column itself is kept as the pseudonymous link.
 */
export async function sealPersonalColumns(
  blobs: BlobStorage,
  source: { sha256: string; format: DatasetFormat; columns: readonly ColumnDescription[] },
  personal: { columns: readonly string[]; subjectColumn: string },
  seal: SealPersonalCells,
  maxBytes: number,
): Promise<StoredBlob> {
  const types = new Map(source.columns.map((c) => [c.name, c.type]));
  async function* sealedLines(): AsyncGenerator<Buffer> {
    for await (const batch of rowBatches(blobs, source.sha256, source.format)) {
      const subjectAt = batch.columns.indexOf(personal.subjectColumn);
      const records = batch.rows.map((row) => Object.fromEntries(batch.columns.map((name, j) => [name, typedCell(row[j] ?? null, types.get(name) ?? 'string')])) as Record<string, unknown>);
      const cells: { record: number; column: string; subjectId: string; value: string | number | boolean }[] = [];
      records.forEach((record, i) => {
        const subject = batch.rows[i]![subjectAt];
        for (const column of personal.columns) {
          const value = record[column];
          if (value === null || value === undefined) continue;
          if (subject === null || subject === undefined || subject === '') throw new PersonalDataError(`row ${batch.rowOffset + i + 1} has personal data but no ${personal.subjectColumn}`);
          cells.push({ record: i, column, subjectId: String(subject), value: value as string | number | boolean });
        }
      });
      const sealed = await seal(cells.map(({ subjectId, value }) => ({ subjectId, value })));
      cells.forEach((c, k) => (records[c.record]![c.column] = sealed[k]));
      yield Buffer.from(records.map((r) => JSON.stringify(r)).join('\n') + '\n', 'utf8');
    }
  }
  return blobs.put(Readable.from(sealedLines()), { maxBytes });
}

export class PersonalDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PersonalDataError';
  }
}

/**
 * A profile safe to record in the ledger: personal columns keep counts, missingness, distinctness
 * and type, never values (no top values, extremes, quantiles or histograms of personal data).
 */
export function withoutPersonalValues(profile: DatasetProfile, personalColumns: readonly string[]): DatasetProfile {
  const personal = new Set(personalColumns);
  return {
    ...profile,
    columns: profile.columns.map((c) => {
      if (!personal.has(c.name)) return c;
      const { numeric: _numeric, topValues: _topValues, strings: _strings, ...kept } = c;
      return { ...kept, topValuesExact: false };
    }),
  };
}

const SEALED_TEXT = /^\{"\$pii":"v1",/;

/**
 * Opens the sealed cells of rows read back from a dataset file (NDJSON gives them as JSON text):
 * the value (or its pseudonym in the pseudonymised view), or `[redacted]` once the subject was
 * erased. Other cells are left as they are.
 */
export async function revealCells<R extends Record<string, unknown> | unknown[]>(vault: PersonalDataVault, rows: R[], view: PersonalDataView = 'clear'): Promise<R[]> {
  const found: { row: number; key: string | number; sealed: JsonObject }[] = [];
  rows.forEach((row, i) => {
    for (const [key, value] of Object.entries(row)) if (typeof value === 'string' && SEALED_TEXT.test(value)) found.push({ row: i, key: Array.isArray(row) ? Number(key) : key, sealed: JSON.parse(value) as JsonObject });
  });
  if (found.length === 0) return rows;
  const [opened] = await vault.reveal([{ data: { cells: found.map((f) => f.sealed) } }]);
  const values = (opened!.data.cells as JsonValue[]).map((v) => (view === 'clear' ? v : vault.pseudonym(v)));
  const copies = rows.map((r) => (Array.isArray(r) ? [...r] : { ...r })) as R[];
  found.forEach((f, k) => ((copies[f.row] as Record<string | number, unknown>)[f.key] = values[k]));
  return copies;
}
