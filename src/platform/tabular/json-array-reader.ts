import { openJsonObjectReader, type JsonObjectText } from './json-object-rows.js';
import { TabularFormatError } from './tabular-format-error.js';
import type { ByteSource, ResolvedTextOptions, TabularReader } from './tabular-reader.types.js';
import { validatedTextChunks } from './validated-text-chunks.js';

/** A JSON file holding one top-level array of objects, read one object at a time. */
export async function openJsonArrayReader(source: ByteSource, options: ResolvedTextOptions): Promise<TabularReader> {
  const objects = arrayElements(source, options);
  return openJsonObjectReader(objects, { batchRows: options.batchRows, emptyMessage: 'the JSON array holds no object' }, async () => {
    await objects.return(undefined);
  });
}

type SplitterState = 'before-array' | 'first-element' | 'next-element' | 'after-element' | 'in-object' | 'after-array';

const isWhitespace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

/**
 * Incremental splitter: walks the bytes once, tracking string/escape state and bracket depth, and
 * cuts out the text of each top-level array element, which must be an object; `JSON.parse` then
 * validates each object fully. Structural bytes are ASCII, and UTF-8 continuation bytes never are,
 * so scanning bytes is exact. Memory is bounded by the largest object (at most maxLineBytes).
 */
async function* arrayElements(source: ByteSource, options: ResolvedTextOptions): AsyncGenerator<JsonObjectText[], undefined> {
  const { encoding, maxLineBytes } = options;
  let state = 'before-array' as SplitterState;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let pieces: Buffer[] = [];
  let objectBytes = 0;
  let objectLine = 0;
  let objectOffset = 0;
  let rows = 0;
  let line = 1;
  let sawAnything = false;

  const invalid = (message: string, byteOffset: number) => new TabularFormatError('INVALID_JSON', message, { row: rows + 1, line, byteOffset });

  for await (const { bytes, byteOffset } of validatedTextChunks(source, encoding)) {
    const out: JsonObjectText[] = [];
    let objectStart = 0;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (b === 0x0a) line += 1;
      if (state === 'in-object') {
        if (inString) {
          if (escaped) escaped = false;
          else if (b === 0x5c) escaped = true;
          else if (b === 0x22) inString = false;
        } else if (b === 0x22) inString = true;
        else if (b === 0x7b || b === 0x5b) depth += 1;
        else if (b === 0x7d || b === 0x5d) {
          depth -= 1;
          if (depth === 0) {
            const tail = bytes.subarray(objectStart, i + 1);
            if (objectBytes + tail.length > maxLineBytes) throw tooLong(rows + 1, objectLine, objectOffset, maxLineBytes);
            const whole = pieces.length === 0 ? tail : Buffer.concat([...pieces, tail]);
            pieces = [];
            objectBytes = 0;
            rows += 1;
            out.push({ text: whole.toString(encoding), line: objectLine });
            state = 'after-element';
          }
        }
        continue;
      }
      if (isWhitespace(b)) continue;
      sawAnything = true;
      switch (state) {
        case 'before-array':
          if (b !== 0x5b) throw invalid('expected the file to start with a JSON array', byteOffset + i);
          state = 'first-element';
          break;
        case 'first-element':
        case 'next-element':
          if (b === 0x5d && state === 'first-element') state = 'after-array';
          else if (b === 0x7b) {
            state = 'in-object';
            depth = 1;
            objectStart = i;
            objectLine = line;
            objectOffset = byteOffset + i;
          } else throw invalid('expected a JSON object as array element', byteOffset + i);
          break;
        case 'after-element':
          if (b === 0x2c) state = 'next-element';
          else if (b === 0x5d) state = 'after-array';
          else throw invalid("expected ',' or ']' after an array element", byteOffset + i);
          break;
        case 'after-array':
          throw invalid('unexpected data after the end of the array', byteOffset + i);
      }
    }
    if (state === 'in-object') {
      const part = bytes.subarray(objectStart);
      objectBytes += part.length;
      if (objectBytes > maxLineBytes) throw tooLong(rows + 1, objectLine, objectOffset, maxLineBytes);
      pieces.push(Buffer.from(part)); // copy: the source may reuse its buffer
    }
    if (out.length > 0) yield out;
  }
  if (!sawAnything) return undefined; // empty file: reported as EMPTY by the caller
  if (state !== 'after-array') {
    throw new TabularFormatError('INVALID_JSON', 'the JSON array is not closed (truncated file?)', { row: state === 'in-object' ? rows + 1 : undefined, line });
  }
  return undefined;
}

function tooLong(row: number, line: number, byteOffset: number, maxLineBytes: number): TabularFormatError {
  return new TabularFormatError('LINE_TOO_LONG', `an array element is longer than maxLineBytes (${maxLineBytes})`, { row, line, byteOffset });
}
