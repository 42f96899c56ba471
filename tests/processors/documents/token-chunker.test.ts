import { getEncoding } from 'js-tiktoken';
import { describe, expect, it } from 'vitest';
import { chunkByTokens } from '../../../src/processors/documents/token-chunker.js';

// An independent instance of the tokenizer the chunker names (cl100k_base), to check boundaries against.
const enc = getEncoding('cl100k_base');

describe('token chunker', () => {
  const text = Array.from({ length: 400 }, (_, i) => `Sentence ${i} says that governance of model ${i % 7} needs evidence.`).join(' ');
  const ids = enc.encode(text);

  it('cuts windows of chunkTokens with the overlap, each the decoded tokens of its window', () => {
    const { chunks, tokens } = chunkByTokens(text, { chunkTokens: 100, overlapTokens: 20 });
    expect(tokens).toBe(ids.length);
    // Windows start at 0, 80, 160, …; the last one starting before the end reaches it.
    const expectedCount = Math.ceil((ids.length - 100) / 80) + 1;
    expect(chunks).toHaveLength(expectedCount);
    chunks.forEach((c, i) => {
      expect(c.ordinal).toBe(i);
      expect(c.tokenStart).toBe(i * 80);
      expect(c.tokenEnd).toBe(Math.min(i * 80 + 100, ids.length));
      expect(c.text).toBe(enc.decode(ids.slice(c.tokenStart, c.tokenEnd)));
    });
    expect(chunks.at(-1)!.tokenEnd).toBe(ids.length);
    // Consecutive chunks share exactly overlapTokens tokens.
    for (let i = 1; i < chunks.length; i++) expect(chunks[i - 1]!.tokenEnd - chunks[i]!.tokenStart).toBe(20);
  });

  it('gives one chunk to a short text and none to an empty one', () => {
    expect(chunkByTokens('Hello world.', { chunkTokens: 256, overlapTokens: 32 })).toEqual({ chunks: [{ ordinal: 0, text: 'Hello world.', tokenStart: 0, tokenEnd: 3 }], tokens: 3 });
    expect(chunkByTokens(' \n\t ', { chunkTokens: 256, overlapTokens: 32 })).toEqual({ chunks: [], tokens: 0 });
  });

  it('refuses an overlap as long as the chunk', () => {
    expect(() => chunkByTokens('x', { chunkTokens: 10, overlapTokens: 10 })).toThrow(RangeError);
  });
});
