import { validate, version } from 'uuid';
import { describe, expect, it } from 'vitest';
import { timeOrderedUuidBatch } from '../../src/platform/time-ordered-uuid-batch.js';

const at = new Date('2026-12-07T15:30:01.234Z');
const bitOf = (bytes: Buffer, i: number, bit: number) => (bytes[16 * i + (bit >> 3)]! >> (7 - (bit & 7))) & 1;
/** Bits `from`..`to` (inclusive, 0 = most significant) of id i, as a number. */
const bitsOf = (bytes: Buffer, i: number, from: number, to: number) => {
  let v = 0;
  for (let bit = from; bit <= to; bit++) v = v * 2 + bitOf(bytes, i, bit);
  return v;
};

describe('a batch of time-ordered UUIDs', () => {
  it('are version 7 UUIDs (RFC 9562 variant) whose bytes are the text, all distinct', () => {
    const { text, bytes } = timeOrderedUuidBatch(5000, at);
    expect(text).toHaveLength(5000);
    expect(bytes).toHaveLength(16 * 5000);
    for (let i = 0; i < text.length; i++) {
      expect(validate(text[i]!) && version(text[i]!)).toBe(7);
      expect(text[i]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(bytes.subarray(16 * i, 16 * (i + 1)).toString('hex')).toBe(text[i]!.replace(/-/g, ''));
    }
    expect(new Set(text).size).toBe(5000);
  });

  it('carry the batch time in their first 48 bits (Unix milliseconds, big-endian), as RFC 9562 reads it', () => {
    const { text } = timeOrderedUuidBatch(3, at);
    // RFC 9562 §5.7: unix_ts_ms is the first 12 hex digits.
    for (const id of text) expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(at.getTime());
    // A time past 2^32 ms in its high 16 bits too (2^40 ms is in 2004).
    const later = timeOrderedUuidBatch(1, new Date(2 ** 40 + 5)).text[0]!;
    expect(later.slice(0, 13)).toBe('01000000-0005');
  });

  it('count up through the batch (each id sorts after the one before), and a later batch sorts after', () => {
    const first = timeOrderedUuidBatch(10_000, at);
    const counter = (i: number) => bitsOf(first.bytes, i, 52, 63) * 2 ** 18 + bitsOf(first.bytes, i, 66, 83);
    for (let i = 1; i < 10_000; i++) {
      expect(counter(i)).toBe(counter(i - 1) + 1);
      expect(first.text[i]! > first.text[i - 1]!).toBe(true);
    }
    expect(counter(0)).toBeLessThan(2 ** 29);
    const second = timeOrderedUuidBatch(10_000, new Date(at.getTime() + 1));
    expect(second.text[0]! > first.text[9_999]!).toBe(true);
  });

  it('draws the 44 bits after the counter at random, and the counter start at random for each batch', () => {
    const { bytes } = timeOrderedUuidBatch(5000, at);
    for (let bit = 84; bit < 128; bit++) {
      let set = 0;
      for (let i = 0; i < 5000; i++) set += bitOf(bytes, i, bit);
      // Binomial(5000, 1/2): mean 2500, sd 35.4; 6 sd either side.
      expect(Math.abs(set - 2500), `bit ${bit}`).toBeLessThan(213);
    }
    // 200 batches' counter starts: every one of the 29 bits set in about half (Binomial(200, 1/2), sd 7.1, 6 sd).
    const starts = Array.from({ length: 200 }, () => {
      const b = timeOrderedUuidBatch(1, at).bytes;
      return bitsOf(b, 0, 52, 63) * 2 ** 18 + bitsOf(b, 0, 66, 83);
    });
    for (let bit = 0; bit < 29; bit++) {
      const set = starts.filter((s) => Math.floor(s / 2 ** bit) % 2 === 1).length;
      expect(Math.abs(set - 100), `counter bit ${bit}`).toBeLessThan(43);
    }
  });
});
