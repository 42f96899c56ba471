import { getEncoding, type Tiktoken } from 'js-tiktoken';

/** The tokenizer chunks are counted in: OpenAI's cl100k_base, whose vocabulary ships inside js-tiktoken. */
export const CHUNK_TOKENIZER = 'cl100k_base';

export type TextChunk = { ordinal: number; text: string; tokenStart: number; tokenEnd: number };

let encoding: Tiktoken | null = null;
/** Loaded once (about a second: the vocabulary is parsed from the package). */
export const chunkTokenizer = (): Tiktoken => (encoding ??= getEncoding(CHUNK_TOKENIZER));

/**
 * Cuts text into windows of `chunkTokens` tokens, each starting `chunkTokens - overlapTokens`
 * after the previous one, the last one shorter; a window's text is its tokens decoded. Empty or
 * whitespace-only text gives no chunk.
 */
export function chunkByTokens(text: string, options: { chunkTokens: number; overlapTokens: number }): { chunks: TextChunk[]; tokens: number } {
  const { chunkTokens, overlapTokens } = options;
  if (!(chunkTokens > 0) || !(overlapTokens >= 0) || overlapTokens >= chunkTokens) throw new RangeError('need 0 <= overlapTokens < chunkTokens');
  if (text.trim() === '') return { chunks: [], tokens: 0 };
  const enc = chunkTokenizer();
  const ids = enc.encode(text);
  const stride = chunkTokens - overlapTokens;
  const chunks: TextChunk[] = [];
  for (let start = 0; ; start += stride) {
    const end = Math.min(start + chunkTokens, ids.length);
    chunks.push({ ordinal: chunks.length, text: enc.decode(ids.slice(start, end)), tokenStart: start, tokenEnd: end });
    if (end >= ids.length) break;
  }
  return { chunks, tokens: ids.length };
}
