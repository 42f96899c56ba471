import { validate, version } from 'uuid';
import { describe, expect, it } from 'vitest';
import { randomUuidBatch } from '../../src/platform/random-uuid-batch.js';

describe('a batch of random UUIDs', () => {
  it('are version 4 UUIDs (RFC 9562 variant) whose bytes are the text, all distinct', () => {
    const { text, bytes } = randomUuidBatch(5000);
    expect(text).toHaveLength(5000);
    expect(bytes).toHaveLength(16 * 5000);
    for (let i = 0; i < text.length; i++) {
      expect(validate(text[i]!) && version(text[i]!)).toBe(4);
      expect(text[i]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(bytes.subarray(16 * i, 16 * (i + 1)).toString('hex')).toBe(text[i]!.replace(/-/g, ''));
    }
    expect(new Set(text).size).toBe(5000);
  });

  it('draws every one of the 122 random bits: each bit is set in about half of 5,000 ids', () => {
    const { bytes } = randomUuidBatch(5000);
    const fixed = new Set([48, 49, 50, 51, 64, 65]); // version nibble (0100), variant bits (10)
    for (let bit = 0; bit < 128; bit++) {
      let set = 0;
      for (let i = 0; i < 5000; i++) set += (bytes[16 * i + (bit >> 3)]! >> (7 - (bit & 7))) & 1;
      if (fixed.has(bit)) continue;
      // Binomial(5000, 1/2): mean 2500, sd 35.4; 6 sd either side.
      expect(Math.abs(set - 2500), `bit ${bit}`).toBeLessThan(213);
    }
  });
});
