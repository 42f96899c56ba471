import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CsvError, parse, type Parser } from 'csv-parse';
import { TabularFormatError } from './tabular-format-error.js';
import { assertUniqueColumns } from './unique-column-names.js';
import type { ByteSource, ResolvedTextOptions, TabularBatch, TabularReader, TabularValue } from './tabular-reader.types.js';
import { validatedTextChunks } from './validated-text-chunks.js';

/** Records handed over per wake-up of the consumer; batches are assembled from these. */
const RECORDS_PER_PULL = 512;

/**
 * CSV and TSV through csv-parse's streaming parser (RFC 4180 quoting: delimiters, quotes and
 * newlines inside quoted fields). Values stay strings; an empty field (quoted or not) becomes null.
 * Blank lines are skipped. Every record must have as many fields as the header; with
 * `ragged: 'pad'` short records are padded with nulls, longer ones are still errors.
 * `maxLineBytes` bounds a record (csv-parse `max_record_size`), so one endless line or unclosed
 * quote cannot exhaust memory.
 */
export async function openDelimitedTextReader(source: ByteSource, options: ResolvedTextOptions, quoteRelaxed: boolean): Promise<TabularReader> {
  const parser = parse({
    delimiter: options.delimiter,
    encoding: options.encoding,
    max_record_size: options.maxLineBytes,
    relax_column_count: true,
    relax_quotes: quoteRelaxed,
    skip_empty_lines: true,
  });
  const bytes = Readable.from(textBytes(source, options), { objectMode: false });
  const feeding = pipeline(bytes, parser);
  feeding.catch(() => undefined); // the same error reaches the consumer through the parser
  const pull = recordPuller(parser, RECORDS_PER_PULL);
  const headerRows = options.hasHeader ? 1 : 0;
  const next = async (): Promise<string[][] | undefined> => {
    try {
      return await pull();
    } catch (error) {
      throw translateError(error, headerRows);
    }
  };

  let pending: string[][] | undefined;
  try {
    pending = await next();
  } catch (error) {
    parser.destroy();
    throw error;
  }
  const first = pending?.[0];
  if (first === undefined) {
    parser.destroy();
    throw new TabularFormatError('EMPTY', 'the file has no header and no rows');
  }
  const columns = options.hasHeader ? first : first.map((_, i) => `column_${i + 1}`);
  if (options.hasHeader) {
    pending!.shift();
    try {
      assertUniqueColumns(columns);
    } catch (error) {
      parser.destroy();
      throw error;
    }
  }
  const width = columns.length;

  const toRow = (record: string[], row: number): TabularValue[] => {
    if (record.length !== width) {
      if (record.length > width || options.ragged === 'error') {
        throw new TabularFormatError('RAGGED_ROW', `the row has ${record.length} fields but the header has ${width}`, { row });
      }
    }
    const values = record as TabularValue[];
    for (let i = 0; i < record.length; i++) if (record[i] === '') values[i] = null;
    for (let i = record.length; i < width; i++) values.push(null);
    return values;
  };

  let started = false;
  return {
    columns,
    async *batches(): AsyncGenerator<TabularBatch> {
      if (started) throw new Error('a tabular reader can be iterated once');
      started = true;
      let rowOffset = 0;
      let rows: TabularValue[][] = [];
      try {
        for (let records = pending; records !== undefined; records = await next()) {
          pending = undefined;
          for (const record of records) {
            rows.push(toRow(record, rowOffset + rows.length + 1));
            if (rows.length >= options.batchRows) {
              yield { rowOffset, rows };
              rowOffset += rows.length;
              rows = [];
            }
          }
        }
        if (rows.length > 0) yield { rowOffset, rows };
      } finally {
        parser.destroy();
      }
    },
    async close() {
      parser.destroy();
    },
  };
}

/**
 * Records in arrays of about `size`, pausing the parser in between: one promise per array
 * rather than one per record as with the stream's async iterator.
 * Resolves undefined at the end; rejects with the parser's (or its input's) error.
 */
function recordPuller(parser: Parser, size: number): () => Promise<string[][] | undefined> {
  let buffered: string[][] = [];
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  parser.on('data', (record: string[]) => {
    buffered.push(record);
    if (buffered.length >= size) {
      parser.pause();
      wake?.();
    }
  });
  parser.on('end', () => {
    ended = true;
    wake?.();
  });
  parser.on('error', (error: unknown) => {
    failure ??= error;
    wake?.();
  });
  parser.on('close', () => {
    ended = true; // destroyed by close() while a pull waits
    wake?.();
  });
  parser.pause();
  return async () => {
    if (failure === undefined && !ended && buffered.length < size) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        parser.resume();
      });
      wake = undefined;
    }
    if (failure !== undefined) throw failure;
    if (buffered.length === 0) return undefined;
    const records = buffered;
    buffered = [];
    return records;
  };
}

async function* textBytes(source: ByteSource, options: ResolvedTextOptions): AsyncGenerator<Buffer> {
  for await (const chunk of validatedTextChunks(source, options.encoding)) yield chunk.bytes;
}

function translateError(error: unknown, headerRows: number): unknown {
  if (!(error instanceof CsvError)) return error;
  const context = error as CsvError & { lines?: number; records?: number };
  const line = typeof context.lines === 'number' ? context.lines : undefined;
  const row = typeof context.records === 'number' && context.records + 1 > headerRows ? context.records + 1 - headerRows : undefined;
  if (error.code === 'CSV_MAX_RECORD_SIZE') {
    return new TabularFormatError('LINE_TOO_LONG', 'a record is longer than maxLineBytes', { row, line }, { cause: error });
  }
  return new TabularFormatError('MALFORMED_CSV', error.message, { row, line }, { cause: error });
}
