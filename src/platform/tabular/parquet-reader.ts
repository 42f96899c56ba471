import { open, type FileHandle } from 'node:fs/promises';
import { parquetMetadataAsync, parquetRead, parquetSchema, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import { TabularFormatError } from './tabular-format-error.js';
import { assertUniqueColumns } from './unique-column-names.js';
import type { TabularBatch, TabularReader, TabularValue } from './tabular-reader.types.js';

const MAGIC = Buffer.from('PAR1');

/**
 * Parquet through hyparquet, one row group at a time. The file is read through an AsyncBuffer over
 * a file handle that reads only the byte ranges hyparquet asks for (footer, then one row group's
 * column chunks), so memory is bounded by the largest row group, not the file.
 */
export async function openParquetReader(path: string, options: { batchRows: number }): Promise<TabularReader> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const file = fileRangeBuffer(handle, size);
    await checkMagic(handle, size);
    let metadata: FileMetaData;
    try {
      metadata = await parquetMetadataAsync(file);
    } catch (error) {
      throw asParquetError(error, 'the Parquet footer cannot be decoded');
    }
    const columns = parquetSchema(metadata).children.map((child) => child.element.name);
    assertUniqueColumns(columns);
    checkChunksInsideFile(metadata, size);
    return parquetRowGroups(handle, file, metadata, columns, options.batchRows);
  } catch (error) {
    await handle.close();
    throw error;
  }
}

function parquetRowGroups(handle: FileHandle, file: AsyncBuffer, metadata: FileMetaData, columns: string[], batchRows: number): TabularReader {
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await handle.close();
  };
  let started = false;
  return {
    columns,
    async *batches(): AsyncGenerator<TabularBatch> {
      if (started) throw new Error('a tabular reader can be iterated once');
      started = true;
      try {
        let groupStart = 0;
        for (const group of metadata.row_groups) {
          const groupRows = Number(group.num_rows);
          if (groupRows === 0) continue;
          let rows: unknown[][] = [];
          try {
            await parquetRead({
              file,
              metadata,
              rowStart: groupStart,
              rowEnd: groupStart + groupRows,
              onComplete: (data: unknown[][]) => {
                rows = data;
              },
            });
          } catch (error) {
            throw asParquetError(error, 'a row group cannot be decoded', groupStart + 1);
          }
          for (let start = 0; start < rows.length; start += batchRows) {
            const slice = rows.slice(start, start + batchRows);
            for (const row of slice) for (let i = 0; i < row.length; i++) row[i] = parquetValue(row[i]);
            yield { rowOffset: groupStart + start, rows: slice as TabularValue[][] };
          }
          groupStart += groupRows;
        }
      } finally {
        await close();
      }
    },
    close,
  };
}

/** An AsyncBuffer reading exactly the requested range with positional reads; a short read means the file was cut. */
function fileRangeBuffer(handle: FileHandle, size: number): AsyncBuffer {
  return {
    byteLength: size,
    async slice(start: number, end: number = size): Promise<ArrayBuffer> {
      const length = Math.max(0, end - start);
      const buffer = new ArrayBuffer(length);
      const view = new Uint8Array(buffer);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await handle.read(view, filled, length - filled, start + filled);
        if (bytesRead === 0) {
          throw new TabularFormatError('TRUNCATED_PARQUET', `the file ends at byte ${start + filled}, before the ${length} bytes needed at ${start}`, { byteOffset: start + filled });
        }
        filled += bytesRead;
      }
      return buffer;
    },
  };
}

async function checkMagic(handle: FileHandle, size: number): Promise<void> {
  if (size === 0) throw new TabularFormatError('EMPTY', 'the file is empty');
  const head = Buffer.alloc(4);
  const { bytesRead } = await handle.read(head, 0, 4, 0);
  if (bytesRead < 4 || !head.equals(MAGIC)) throw new TabularFormatError('NOT_PARQUET', 'the file does not start with the Parquet magic bytes PAR1', { byteOffset: 0 });
  // header magic + 4-byte footer length + footer magic
  if (size < 12) throw new TabularFormatError('TRUNCATED_PARQUET', `the file is only ${size} bytes long`);
  const tail = Buffer.alloc(4);
  await handle.read(tail, 0, 4, size - 4);
  if (!tail.equals(MAGIC)) {
    throw new TabularFormatError('TRUNCATED_PARQUET', 'the file starts as Parquet but does not end with PAR1 (truncated upload?)', { byteOffset: size });
  }
}

/** Column chunks that point past the footer mean data was cut out of the middle of the file. */
function checkChunksInsideFile(metadata: FileMetaData, size: number): void {
  for (const group of metadata.row_groups) {
    for (const chunk of group.columns) {
      const meta = chunk.meta_data;
      if (!meta) continue;
      const start = Number(meta.dictionary_page_offset ?? meta.data_page_offset);
      const end = start + Number(meta.total_compressed_size);
      if (end > size) throw new TabularFormatError('TRUNCATED_PARQUET', `column ${meta.path_in_schema.join('.')} extends to byte ${end} of a ${size}-byte file`, { byteOffset: size });
    }
  }
}

function asParquetError(error: unknown, message: string, row?: number): unknown {
  if (error instanceof TabularFormatError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new TabularFormatError('INVALID_PARQUET', `${message}: ${detail}`, row === undefined ? {} : { row }, { cause: error });
}

/**
 * hyparquet's decoded values as table values: Date -> ISO string, bigint -> number when it is a
 * safe integer else its decimal string, bytes -> base64, nested lists/structs -> JSON text.
 */
export function parquetValue(value: unknown): TabularValue {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return value;
    case 'bigint':
      return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
    case 'undefined':
      return null;
    case 'object':
      if (value === null) return null;
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
      if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
      return JSON.stringify(value, nestedJsonReplacer);
    default:
      return String(value);
  }
}

function nestedJsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return parquetValue(value);
  if (value instanceof Uint8Array) return parquetValue(value);
  return value;
}
