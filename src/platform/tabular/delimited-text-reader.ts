import { CsvSyntaxError, CsvTokenizer, type CsvRecord } from './csv-tokenizer.js';
import { TabularFormatError } from './tabular-format-error.js';
import { assertUniqueColumns } from './unique-column-names.js';
import type { ByteSource, ResolvedTextOptions, TabularBatch, TabularReader, TabularValue } from './tabular-reader.types.js';
import { validatedTextChunks } from './validated-text-chunks.js';

/**
 * CSV and TSV through our streaming RFC 4180 tokenizer (csv-tokenizer.ts: quoting, delimiters and
 * newlines inside quoted fields, doubled quotes). Values stay strings; an empty field (quoted or
 * not) becomes null. Blank lines are skipped. Every record must have as many fields as the header;
 * with `ragged: 'pad'` short records are padded with nulls, longer ones are still errors.
 * `maxLineBytes` bounds a record, so one endless line or unclosed quote cannot exhaust memory.
 * `quoteRelaxed` keeps quotes inside unquoted fields as text (TSV) instead of refusing them.
 */
export async function openDelimitedTextReader(source: ByteSource, options: ResolvedTextOptions, quoteRelaxed: boolean): Promise<TabularReader> {
  const chunks = validatedTextChunks(source, options.encoding);
  const tokenizer = new CsvTokenizer({ delimiter: options.delimiter, relaxQuotes: quoteRelaxed, maxRecordBytes: options.maxLineBytes });
  const headerRows = options.hasHeader ? 1 : 0;
  let finished = false;
  /** Stops reading and releases the source (closes the file). */
  const release = async () => {
    finished = true;
    await chunks.return(undefined);
  };
  /** The records completed by the next chunk(s) that complete any; undefined at the end. */
  const next = async (): Promise<CsvRecord[] | undefined> => {
    while (!finished) {
      const chunk = await chunks.next();
      const records: CsvRecord[] = [];
      try {
        if (chunk.done) {
          finished = true;
          tokenizer.end(records);
        } else {
          tokenizer.push(chunk.value.bytes.toString(options.encoding), chunk.value.bytes.length, records);
        }
      } catch (error) {
        throw translateError(error, headerRows);
      }
      if (records.length > 0) return records;
    }
    return undefined;
  };

  let pending: CsvRecord[] | undefined;
  try {
    pending = await next();
  } catch (error) {
    await release();
    throw error;
  }
  const first = pending?.[0];
  if (first === undefined) {
    await release();
    throw new TabularFormatError('EMPTY', 'the file has no header and no rows');
  }
  const columns = options.hasHeader ? first.map((name) => name ?? '') : first.map((_, i) => `column_${i + 1}`);
  if (options.hasHeader) {
    pending!.shift();
    try {
      assertUniqueColumns(columns);
    } catch (error) {
      await release();
      throw error;
    }
  }
  const width = columns.length;
  const ragged = (record: CsvRecord, row: number): void => {
    if (record.length > width || options.ragged === 'error') {
      throw new TabularFormatError('RAGGED_ROW', `the row has ${record.length} fields but the header has ${width}`, { row });
    }
    while (record.length < width) record.push(null);
  };

  let started = false;
  return {
    columns,
    async *batches(): AsyncGenerator<TabularBatch> {
      if (started) throw new Error('a tabular reader can be iterated once');
      started = true;
      const batchRows = options.batchRows;
      let rowOffset = 0;
      let rows: TabularValue[][] = [];
      try {
        for (let records = pending; records !== undefined; records = await next()) {
          pending = undefined;
          for (let k = 0; k < records.length; k++) {
            const record = records[k]!;
            if (record.length !== width) ragged(record, rowOffset + rows.length + 1);
            rows.push(record);
            if (rows.length >= batchRows) {
              yield { rowOffset, rows };
              rowOffset += rows.length;
              rows = [];
            }
          }
        }
        if (rows.length > 0) yield { rowOffset, rows };
      } finally {
        await release();
      }
    },
    close: release,
  };
}

function translateError(error: unknown, headerRows: number): unknown {
  if (!(error instanceof CsvSyntaxError)) return error;
  const row = error.record + 1 > headerRows ? error.record + 1 - headerRows : undefined;
  const code = error.kind === 'too-long' ? 'LINE_TOO_LONG' : 'MALFORMED_CSV';
  return new TabularFormatError(code, error.message, { row, line: error.line }, { cause: error });
}
