import type { StoredEvent } from '../../events/envelope.js';

/**
 * What an export holds, independent of its file format: builders (Annex IV report, audit log,
 * model card, fairness/drift/explanation reports, dataset profile, timeline) produce it from the
 * ledger and read models; renderers (PDF, XLSX, CSV) turn it into a file. Large tables stream
 * (`rows` as an async iterable) so a million-event audit log never sits in memory.
 */
export type ExportKind =
  | 'compliance-report'
  | 'audit-log'
  | 'model-card'
  | 'fairness-report'
  | 'drift-report'
  | 'explanation-report'
  | 'dataset-profile'
  | 'timeline';

export type ExportFormat = 'pdf' | 'xlsx' | 'csv';

export type CellValue = string | number | boolean | Date | null;

export type TableColumn = {
  key: string;
  label: string;
  /** Drives typed XLSX cells and number formatting; `text` is the default. */
  type?: 'text' | 'number' | 'integer' | 'percent' | 'date' | 'boolean';
};

export type TableRow = Record<string, CellValue>;

/** Rows a page at a time: a large table (a million-event audit log) streams without a promise per row. */
export type RowPages = { readonly pages: AsyncIterable<TableRow[]> };

/** A table's rows: in memory, streamed one by one, or streamed a page at a time. */
export type TableRows = TableRow[] | AsyncIterable<TableRow> | RowPages;

/** `count` consecutive CSV records already rendered by their source, as UTF-8 bytes (each as a record given as text). */
export class CsvRecordBytes {
  constructor(
    readonly bytes: Buffer,
    readonly count: number,
  ) {}
}

/**
 * A row for a CSV writer: its cells, or its record already rendered by its source (CRLF-terminated,
 * byte for byte what csv-format.ts writes for the cells), or a run of such records as bytes.
 */
export type CsvRow = TableRow | string | CsvRecordBytes;

/** A table's rows a page at a time for a CSV writer. */
export type CsvRowPages = { readonly pages: AsyncIterable<CsvRow[]> };

export type ExportBlock =
  | { kind: 'paragraph'; text: string }
  /** Label/value pairs (a cover's facts, a model's description). */
  | { kind: 'facts'; facts: Array<{ label: string; value: CellValue }> }
  /**
   * `csvRows`, when given, are the same rows with some rendered as CSV records by their source
   * (the ledger renders an audit log's records in the database). Both are read lazily and a
   * renderer reads exactly one of them: reading rows may feed the document's evidence.
   */
  | { kind: 'table'; name: string; columns: TableColumn[]; rows: TableRows; csvRows?: CsvRowPages }
  /** A vega-lite specification with its data inlined (values), rendered to vector graphics. */
  | { kind: 'chart'; title: string; spec: Record<string, unknown> };

export type ExportSection = { heading: string; blocks: ExportBlock[] };

export type ExportDocument = {
  kind: ExportKind;
  title: string;
  /** What the cover names: model, version, control pack version, ledger head, latest seal… */
  cover: Array<{ label: string; value: CellValue }>;
  sections: ExportSection[];
  /** Every ledger event whose content the document reports; the manifest proves each one. */
  evidence: StoredEvent[] | AsyncIterable<StoredEvent>;
  /** Data subjects (privacy subject ids) whose personal data appears in clear in the document. */
  subjects: string[];
};

/** A content part of a rendered file (a CSV file, a sheet's cell values, a PDF's embedded data) and its SHA-256. */
export type ContentDigest = { name: string; sha256: string };

/**
 * One file format. A renderer hashes each content part as it writes it, then asks `manifestFor`
 * for the signed evidence manifest naming those digests and embeds it (CSV: `manifest.json` in the
 * bundle; XLSX: a manifest sheet; PDF: an embedded file), so the file verifies offline.
 */
export type ExportRenderer = {
  format: ExportFormat;
  contentType: string;
  extension: string;
  render(document: ExportDocument, manifestFor: (contents: ContentDigest[]) => Promise<Buffer>, out: NodeJS.WritableStream): Promise<void>;
  /** Reads a rendered file back: the embedded manifest's bytes and the digests recomputed from its content parts. */
  inspect(file: string): Promise<{ manifest: Buffer; contents: ContentDigest[] }>;
};
