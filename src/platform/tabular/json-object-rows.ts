import { TabularFormatError } from './tabular-format-error.js';
import type { TabularBatch, TabularReader, TabularValue } from './tabular-reader.types.js';

/** One JSON object's text, cut out of the file by a format-specific splitter. */
export type JsonObjectText = { text: string; line: number };

/** Column names are the union of keys over this many leading objects (or fewer, see below). */
export const COLUMN_SAMPLE_OBJECTS = 1_000;
/** The sample also stops once it holds this much text, so a file of huge objects stays bounded. */
const COLUMN_SAMPLE_CHARS = 32 * 1024 * 1024;

/**
 * Shared by JSON-array and NDJSON files: parses each object, takes the columns from the union of
 * keys of the first 1 000 objects in first-seen order, and turns each object into a row (missing
 * key -> null; string/number/boolean/null kept; nested objects and arrays as JSON text). A key
 * first seen after the sample is an UNEXPECTED_KEY error naming the row and key rather than a
 * silently dropped value, since the columns were already announced.
 */
export async function openJsonObjectReader(
  chunks: AsyncIterator<JsonObjectText[]>,
  options: { batchRows: number; emptyMessage: string },
  release: () => Promise<void>,
): Promise<TabularReader> {
  const sample: Record<string, unknown>[] = [];
  const sampleLines: number[] = [];
  const keys = new Map<string, number>();
  let sampledChars = 0;
  let exhausted = false;
  let leftover: JsonObjectText[] = [];
  try {
    while (sample.length < COLUMN_SAMPLE_OBJECTS && sampledChars < COLUMN_SAMPLE_CHARS) {
      const result = await chunks.next();
      if (result.done) {
        exhausted = true;
        break;
      }
      const texts = result.value;
      let i = 0;
      for (; i < texts.length && sample.length < COLUMN_SAMPLE_OBJECTS && sampledChars < COLUMN_SAMPLE_CHARS; i++) {
        const item = texts[i]!;
        const object = parseObject(item, sample.length + 1);
        for (const key in object) if (!keys.has(key)) keys.set(key, keys.size);
        sample.push(object);
        sampleLines.push(item.line);
        sampledChars += item.text.length;
      }
      leftover = texts.slice(i);
    }
  } catch (error) {
    await release();
    throw error;
  }
  if (sample.length === 0) {
    await release();
    throw new TabularFormatError('EMPTY', options.emptyMessage);
  }
  const columns = [...keys.keys()];
  const width = columns.length;

  const toRow = (object: Record<string, unknown>, row: number, line: number): TabularValue[] => {
    const values: TabularValue[] = new Array<TabularValue>(width).fill(null);
    for (const key in object) {
      const index = keys.get(key);
      if (index === undefined) {
        throw new TabularFormatError('UNEXPECTED_KEY', `key ${JSON.stringify(key)} is not among the columns taken from the first ${COLUMN_SAMPLE_OBJECTS} objects`, { row, line });
      }
      values[index] = jsonValue(object[key]);
    }
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
      const take = function* (texts: JsonObjectText[]): Generator<TabularBatch> {
        for (const item of texts) {
          const row = rowOffset + rows.length + 1;
          rows.push(toRow(parseObject(item, row), row, item.line));
          if (rows.length >= options.batchRows) {
            yield { rowOffset, rows };
            rowOffset += rows.length;
            rows = [];
          }
        }
      };
      try {
        for (let i = 0; i < sample.length; i++) {
          rows.push(toRow(sample[i]!, i + 1, sampleLines[i]!));
          if (rows.length >= options.batchRows) {
            yield { rowOffset, rows };
            rowOffset += rows.length;
            rows = [];
          }
        }
        sample.length = 0;
        yield* take(leftover);
        leftover = [];
        while (!exhausted) {
          const result = await chunks.next();
          if (result.done) break;
          yield* take(result.value);
        }
        if (rows.length > 0) yield { rowOffset, rows };
      } finally {
        await release();
      }
    },
    close: release,
  };
}

function parseObject(item: JsonObjectText, row: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(item.text);
  } catch (error) {
    throw new TabularFormatError('INVALID_JSON', `invalid JSON: ${(error as Error).message}`, { row, line: item.line }, { cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TabularFormatError('INVALID_JSON', `expected a JSON object, found ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`, { row, line: item.line });
  }
  return value as Record<string, unknown>;
}

function jsonValue(value: unknown): TabularValue {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return JSON.stringify(value);
}
