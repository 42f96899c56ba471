import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/analytics/seeded-random.js';
import { claimBack, claimFront, newChunkClaims } from '../../src/processors/row-chunk-claims.js';

describe('row chunk claims (front for the calling thread, back for workers)', () => {
  it('hands out every chunk exactly once in any interleaving, and never one below the floor from the back', () => {
    const random = mulberry32(18);
    for (let trial = 0; trial < 200; trial++) {
      const nChunks = 1 + Math.floor(random() * 40);
      const floor = Math.floor(random() * (nChunks + 2));
      const claims = newChunkClaims(nChunks);
      const seen: number[] = [];
      const fromBack: number[] = [];
      let frontDone = false;
      let backDone = false;
      while (!frontDone) {
        if (!backDone && random() < 0.5) {
          const c = claimBack(claims, floor);
          if (c < 0) backDone = true;
          else {
            fromBack.push(c);
            seen.push(c);
          }
        } else {
          const c = claimFront(claims);
          if (c < 0) frontDone = true;
          else seen.push(c);
        }
      }
      expect(claimBack(claims, 0)).toBe(-1);
      expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: nChunks }, (_, i) => i));
      for (const c of fromBack) expect(c).toBeGreaterThanOrEqual(floor);
      // from the back in descending order: nChunks - 1, nChunks - 2, ...
      expect(fromBack).toEqual(fromBack.map((_, i) => nChunks - 1 - i));
    }
  });

  it('refuses a chunk count the state word cannot hold', () => {
    expect(() => newChunkClaims(0)).toThrow(RangeError);
    expect(() => newChunkClaims(1 << 15)).toThrow(RangeError);
  });
});
