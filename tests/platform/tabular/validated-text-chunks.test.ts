import { describe, expect, it } from 'vitest';
import { TabularFormatError } from '../../../src/platform/tabular/tabular-format-error.js';
import { firstInvalidUtf8Offset, validatedTextChunks } from '../../../src/platform/tabular/validated-text-chunks.js';

async function* asAsync(chunks: Buffer[]): AsyncGenerator<Buffer> {
  yield* chunks;
}

async function collect(chunks: Buffer[], encoding: 'utf8' | 'latin1' = 'utf8'): Promise<{ text: Buffer; offsets: number[] }> {
  const parts: Buffer[] = [];
  const offsets: number[] = [];
  for await (const chunk of validatedTextChunks(asAsync(chunks), encoding)) {
    parts.push(chunk.bytes);
    offsets.push(chunk.byteOffset);
  }
  return { text: Buffer.concat(parts), offsets };
}

async function offsetOfError(chunks: Buffer[]): Promise<number | undefined> {
  const error = await collect(chunks).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TabularFormatError);
  expect((error as TabularFormatError).code).toBe('BAD_ENCODING');
  return (error as TabularFormatError).byteOffset;
}

describe('validatedTextChunks', () => {
  it('passes valid UTF-8 through unchanged when every character is split across chunks', async () => {
    const bytes = Buffer.from('aé€𝄞z');
    for (let cut = 1; cut < bytes.length; cut++) {
      const { text } = await collect([bytes.subarray(0, cut), bytes.subarray(cut)]);
      expect(text.toString('utf8')).toBe('aé€𝄞z');
    }
  });

  it('drops a byte-order mark, even one split across chunks, and counts it in offsets', async () => {
    const { text, offsets } = await collect([Buffer.from([0xef]), Buffer.from([0xbb, 0xbf, 0x61]), Buffer.from('b')]);
    expect(text.toString()).toBe('ab');
    expect(offsets).toEqual([3, 4]);
  });

  it('reports the file offset of the first invalid byte, across chunk boundaries', async () => {
    expect(await offsetOfError([Buffer.from('abc'), Buffer.from([0x64, 0xff, 0x65])])).toBe(4);
    // a lead byte at the end of one chunk followed by a non-continuation byte in the next
    expect(await offsetOfError([Buffer.from([0x61, 0x62, 0xe2]), Buffer.from([0x82, 0x41])])).toBe(2);
    // a sequence cut off by the end of the file
    expect(await offsetOfError([Buffer.from([0x61, 0xf0, 0x9f, 0x98])])).toBe(1);
  });

  it('accepts any bytes in latin1 mode', async () => {
    const { text } = await collect([Buffer.from([0xff, 0xfe, 0x41])], 'latin1');
    expect([...text]).toEqual([0xff, 0xfe, 0x41]);
  });

  it('finds overlong forms, surrogates and code points above U+10FFFF (Unicode Table 3-7)', () => {
    expect(firstInvalidUtf8Offset(Buffer.from('ok é'))).toBe(-1);
    expect(firstInvalidUtf8Offset(Buffer.from([0x41, 0xc0, 0xaf]))).toBe(1);
    expect(firstInvalidUtf8Offset(Buffer.from([0x41, 0x42, 0xed, 0xa0, 0x80]))).toBe(2);
    expect(firstInvalidUtf8Offset(Buffer.from([0xf4, 0x90, 0x80, 0x80]))).toBe(0);
    expect(firstInvalidUtf8Offset(Buffer.from([0xe0, 0x80, 0x80]))).toBe(0);
  });
});
