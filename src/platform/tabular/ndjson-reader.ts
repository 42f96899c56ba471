import { openJsonObjectReader, type JsonObjectText } from './json-object-rows.js';
import { TabularFormatError } from './tabular-format-error.js';
import type { ByteSource, ResolvedTextOptions, TabularReader } from './tabular-reader.types.js';
import { validatedTextChunks } from './validated-text-chunks.js';

const NEWLINE = 0x0a;

/** Newline-delimited JSON (one object per line, `\n` or `\r\n`); blank lines are skipped. */
export async function openNdjsonReader(source: ByteSource, options: ResolvedTextOptions): Promise<TabularReader> {
  const lines = objectLines(source, options);
  return openJsonObjectReader(lines, { batchRows: options.batchRows, emptyMessage: 'the file holds no JSON object' }, async () => {
    await lines.return(undefined);
  });
}

/** Yields, per chunk read, the non-blank lines completed in it; a line longer than maxLineBytes is an error before it is buffered whole. */
async function* objectLines(source: ByteSource, options: ResolvedTextOptions): AsyncGenerator<JsonObjectText[], undefined> {
  const { encoding, maxLineBytes } = options;
  let pieces: Buffer[] = [];
  let pendingBytes = 0;
  let line = 1;
  let lineStartOffset = 0;
  const finish = (tail: Buffer, out: JsonObjectText[]) => {
    const whole = pieces.length === 0 ? tail : Buffer.concat([...pieces, tail]);
    pieces = [];
    pendingBytes = 0;
    let end = whole.length;
    if (end > 0 && whole[end - 1] === 0x0d) end -= 1;
    const text = whole.toString(encoding, 0, end);
    if (text.trim().length > 0) out.push({ text, line });
  };
  const tooLong = () => new TabularFormatError('LINE_TOO_LONG', `a line is longer than maxLineBytes (${maxLineBytes})`, { line, byteOffset: lineStartOffset });

  for await (const { bytes, byteOffset } of validatedTextChunks(source, encoding)) {
    const out: JsonObjectText[] = [];
    let start = 0;
    for (;;) {
      const newline = bytes.indexOf(NEWLINE, start);
      if (newline < 0) break;
      if (pendingBytes + newline - start > maxLineBytes) throw tooLong();
      finish(bytes.subarray(start, newline), out);
      line += 1;
      start = newline + 1;
      lineStartOffset = byteOffset + start;
    }
    if (start < bytes.length) {
      pendingBytes += bytes.length - start;
      if (pendingBytes > maxLineBytes) throw tooLong();
      pieces.push(Buffer.from(bytes.subarray(start))); // copy: the source may reuse its buffer
    }
    if (out.length > 0) yield out;
  }
  if (pendingBytes > 0) {
    const out: JsonObjectText[] = [];
    finish(Buffer.alloc(0), out);
    if (out.length > 0) yield out;
  }
  return undefined;
}
