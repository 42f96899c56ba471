import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { openDelimitedTextReader } from './delimited-text-reader.js';
import { openJsonArrayReader } from './json-array-reader.js';
import { openNdjsonReader } from './ndjson-reader.js';
import { openParquetReader } from './parquet-reader.js';
import { TabularFormatError } from './tabular-format-error.js';
import type { ByteSource, ResolvedTextOptions, TabularReader, TabularReadOptions } from './tabular-reader.types.js';

export { detectTabularFormat } from './detect-tabular-format.js';
export { TabularFormatError, type TabularFormatErrorCode } from './tabular-format-error.js';
export type { TabularBatch, TabularFormat, TabularReader, TabularReadOptions, TabularValue, TextEncodingName } from './tabular-reader.types.js';

const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;
const DEFAULT_BATCH_ROWS = 10_000;
/** Larger than fs's 64 KiB default: fewer chunks, same bounded memory. */
const READ_CHUNK_BYTES = 256 * 1024;

/**
 * Opens a dataset file and reads up to its column names (header, first objects, or Parquet
 * schema); rows then stream in batches from `batches()`, with memory bounded by the batch size and
 * the longest record (text formats) or the largest row group (Parquet), whatever the file size.
 * Text formats also accept a Node Readable of the file's bytes; Parquet needs a path (random access).
 */
export async function openTabularReader(source: string | Readable, options: TabularReadOptions): Promise<TabularReader> {
  const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
  if (!Number.isInteger(batchRows) || batchRows < 1) throw new RangeError('batchRows must be a positive integer');
  if (options.format === 'parquet') {
    if (typeof source !== 'string') throw new TabularFormatError('UNSUPPORTED_SOURCE', 'Parquet is read from a file path, not a stream');
    return openParquetReader(source, { batchRows });
  }
  const text: ResolvedTextOptions = {
    delimiter: options.delimiter ?? (options.format === 'tsv' ? '\t' : ','),
    hasHeader: options.hasHeader ?? true,
    encoding: options.encoding ?? 'utf8',
    maxLineBytes: options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
    batchRows,
    ragged: options.ragged ?? 'error',
  };
  if (!Number.isInteger(text.maxLineBytes) || text.maxLineBytes < 1) throw new RangeError('maxLineBytes must be a positive integer');
  const bytes: ByteSource = typeof source === 'string' ? createReadStream(source, { highWaterMark: READ_CHUNK_BYTES }) : source;
  switch (options.format) {
    case 'csv':
      return openDelimitedTextReader(bytes, text, false);
    case 'tsv':
      // TSV writers rarely escape stray quotes, so a quote inside an unquoted field is kept as text.
      return openDelimitedTextReader(bytes, text, true);
    case 'json':
      return openJsonArrayReader(bytes, text);
    case 'ndjson':
      return openNdjsonReader(bytes, text);
    default: {
      const unknown: never = options.format;
      throw new RangeError(`unknown tabular format: ${String(unknown)}`);
    }
  }
}
