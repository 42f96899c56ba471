export type TabularFormat = 'csv' | 'tsv' | 'json' | 'ndjson' | 'parquet';
export type TextEncodingName = 'utf8' | 'latin1';
export type TabularValue = string | number | boolean | null;

export type TabularBatch = {
  /** 0-based index of the batch's first data row in the file. */
  rowOffset: number;
  /** Values in `columns` order. */
  rows: TabularValue[][];
};

export type TabularReader = {
  readonly columns: string[];
  /** Yields the data rows in batches; may be iterated once. */
  batches(): AsyncIterable<TabularBatch>;
  /** Releases the file when the caller stops before the end (iterating to the end, or breaking out of it, releases it too). */
  close(): Promise<void>;
};

export type TabularReadOptions = {
  format: TabularFormat;
  /** CSV/TSV field delimiter; defaults to ',' for csv and '\t' for tsv. */
  delimiter?: string;
  /** CSV/TSV: the first record names the columns (default true); otherwise columns are `column_1`, `column_2`, ... */
  hasHeader?: boolean;
  encoding?: TextEncodingName;
  /** Longest CSV record / NDJSON line / JSON-array element accepted, in bytes (default 16 MiB). */
  maxLineBytes?: number;
  /** Rows per yielded batch (default 10 000). */
  batchRows?: number;
  /** CSV/TSV rows with fewer fields than the header: 'error' (default) or 'pad' with nulls. Extra fields are always an error. */
  ragged?: 'error' | 'pad';
};

export type ResolvedTextOptions = {
  delimiter: string;
  hasHeader: boolean;
  encoding: TextEncodingName;
  maxLineBytes: number;
  batchRows: number;
  ragged: 'error' | 'pad';
};

export type ByteSource = AsyncIterable<Buffer | string>;
