import { isUtf8 } from 'node:buffer';
import { TabularFormatError } from './tabular-format-error.js';
import type { ByteSource, TextEncodingName } from './tabular-reader.types.js';

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

export type TextChunk = {
  bytes: Buffer;
  /** Offset of `bytes[0]` in the original file. */
  byteOffset: number;
};

/**
 * Passes a file's bytes through unchanged except for a leading UTF-8 byte-order mark, which is
 * dropped. In 'utf8' mode every byte is validated (`buffer.isUtf8`, simdutf-backed) and the first
 * ill-formed sequence is a BAD_ENCODING error carrying its byte offset. A multi-byte sequence cut by
 * a chunk boundary is held back and validated with the next chunk, so a split character is never
 * mistaken for an invalid one and every yielded chunk ends on a character boundary.
 */
export async function* validatedTextChunks(source: ByteSource, encoding: TextEncodingName): AsyncGenerator<TextChunk> {
  let offset = 0; // file offset of the first byte of `carry`
  let carry: Buffer = Buffer.alloc(0);
  let atStart = true;
  for await (const piece of source) {
    const incoming = typeof piece === 'string' ? Buffer.from(piece, encoding) : piece;
    if (incoming.length === 0) continue;
    let bytes = carry.length > 0 ? Buffer.concat([carry, incoming]) : incoming;
    if (atStart) {
      if (bytes.length < UTF8_BOM.length && UTF8_BOM.subarray(0, bytes.length).equals(bytes)) {
        carry = bytes;
        continue; // too short to tell whether it is a byte-order mark
      }
      atStart = false;
      if (encoding === 'utf8' && bytes.subarray(0, 3).equals(UTF8_BOM)) {
        bytes = bytes.subarray(3);
        offset += 3;
      }
    }
    let complete = bytes;
    if (encoding === 'utf8') {
      const cut = incompleteTailStart(bytes);
      complete = bytes.subarray(0, cut);
      carry = bytes.subarray(cut);
      if (!isUtf8(complete)) throw badEncoding(offset + firstInvalidUtf8Offset(complete));
    } else {
      carry = Buffer.alloc(0);
    }
    if (complete.length > 0) yield { bytes: complete, byteOffset: offset };
    offset += complete.length;
  }
  if (carry.length > 0) {
    if (atStart && encoding === 'utf8' && carry.equals(UTF8_BOM.subarray(0, carry.length))) {
      if (carry.length < 3) throw badEncoding(offset);
      return;
    }
    // A short file that looked like the start of a BOM, or a UTF-8 sequence cut off by the end of the file.
    const invalidAt = encoding === 'utf8' ? firstInvalidUtf8Offset(carry) : -1;
    if (invalidAt >= 0) throw badEncoding(offset + invalidAt);
    yield { bytes: carry, byteOffset: offset };
  }
}

function badEncoding(byteOffset: number): TabularFormatError {
  return new TabularFormatError('BAD_ENCODING', 'the file is not valid UTF-8', { byteOffset });
}

/** Index where a multi-byte sequence that the buffer's end cuts short begins (the length if none). */
function incompleteTailStart(bytes: Buffer): number {
  const end = bytes.length;
  for (let i = end - 1; i >= Math.max(0, end - 3); i--) {
    const b = bytes[i]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: look further back for its lead
    if (b < 0xc0) return end; // ASCII ends the tail
    const needed = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
    return end - i < needed ? i : end;
  }
  return end;
}

/**
 * Offset of the first ill-formed UTF-8 sequence, or -1 when all are well formed; a sequence cut off
 * by the end counts as ill-formed. The Unicode Standard, Table 3-7 (well-formed UTF-8 byte sequences).
 */
export function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i += 1;
      continue;
    }
    let length: number;
    let low = 0x80;
    let high = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) length = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      length = 3;
      if (b === 0xe0) low = 0xa0; // no overlong forms
      if (b === 0xed) high = 0x9f; // no surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      length = 4;
      if (b === 0xf0) low = 0x90;
      if (b === 0xf4) high = 0x8f; // nothing above U+10FFFF
    } else return i;
    if (i + length > bytes.length) return i;
    const second = bytes[i + 1]!;
    if (second < low || second > high) return i;
    for (let k = 2; k < length; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return i;
    i += length;
  }
  return -1;
}
