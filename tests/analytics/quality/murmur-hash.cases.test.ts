import { describe, expect, it } from 'vitest';
import { hashLanes, hashNumber, hashString } from '../../../src/analytics/quality/murmur-hash.js';

// Expected lanes come from an independent Python implementation written from the MurmurHash3
// reference (smhasher MurmurHash3.cpp) and from the file's doc comment, not from this code:
// - MurmurHash3_x86_32 itself, checked against the published vectors ("" seed 0 → 0, "" seed 1 →
//   0x514E28B7, "hello" seed 0 → 0x248BFA47, "The quick brown fox jumps over the lazy dog" seed 0 →
//   0x2E4FF723, and the smhasher 1-, 2-, 3- and 4-byte vectors).
// - Lane 0 is exactly MurmurHash3_x86_32 (seed 0x9747b28c ^ tag) of the UTF-16LE bytes of a string
//   of even length, and of the 8 little-endian IEEE-754 bytes of a number: the Python script asserts
//   that equality before printing the values below.
// - Lane 1 runs the same blocks with c1 = 0x85ebca77, c2 = 0xc2b2ae3d, rotations 16 and 17,
//   n = 5·h + 0x561ccd1b, seed 0x5bd1e995 ^ tag.
// - An odd last UTF-16 unit u is one more full block u | 0x10000 (not Murmur's byte tail), and
//   both lanes end with fmix32(h ^ byte length), the byte length being 2 per UTF-16 unit.

const lanesOfString = (s: string, tag?: number) => {
  hashString(s, tag);
  return [hashLanes[0], hashLanes[1]];
};
const lanesOfNumber = (x: number, tag?: number) => {
  hashNumber(x, tag);
  return [hashLanes[0], hashLanes[1]];
};

describe('hashString against the reference lanes', () => {
  it('hashes the empty string to fmix32 of each seed (no block, length 0)', () => {
    expect(lanesOfString('')).toEqual([0xebb6c228, 0xd9aaf7d3]);
  });

  it('hashes one, two, three and four UTF-16 units: odd lengths end in a marked block', () => {
    // 'a': one tail block 0x10061, length 2 bytes.
    expect(lanesOfString('a')).toEqual([0x9109bba7, 0xe34fdeea]);
    // 'ab': one full block 0x00620061, no tail.
    expect(lanesOfString('ab')).toEqual([0x15eb70bc, 0xf657aaab]);
    // 'abc': block 0x00620061, then tail block 0x10063, length 6 bytes.
    expect(lanesOfString('abc')).toEqual([0x4ed46927, 0x0c2af152]);
    // 'abcd': two full blocks, length 8 bytes.
    expect(lanesOfString('abcd')).toEqual([0xaa4ec2d3, 0x93a90a40]);
  });

  it('reads UTF-16 code units: a non-ASCII unit, a surrogate pair, and longer texts of odd length', () => {
    // 'é' is the single unit 0x00e9 (tail block 0x100e9).
    expect(lanesOfString('\u00e9')).toEqual([0x0097a2ac, 0x3b9f3e3d]);
    // '😀' is the pair d83d de00: one full block 0xde00d83d.
    expect(lanesOfString('\u{1F600}')).toEqual([0xdd00a002, 0xcb30f628]);
    expect(lanesOfString('h\u00e9llo')).toEqual([0xc2040dfe, 0xc01585ef]);
    expect(lanesOfString('hello')).toEqual([0xf514464f, 0xb6f674c9]);
    // 43 units: 21 blocks and a tail.
    expect(lanesOfString('The quick brown fox jumps over the lazy dog')).toEqual([0x7b6a461f, 0x28db4a86]);
  });

  it('xors the tag into both seeds', () => {
    expect(lanesOfString('ab', 7)).toEqual([0x07094307, 0xbf03e305]);
    expect(lanesOfString('abc', 7)).toEqual([0x6439ccbe, 0x8d48bc39]);
  });
});

describe('hashNumber against the reference lanes', () => {
  it('hashes the IEEE-754 bits as two blocks (low word first), tag 1 by default', () => {
    // 1 = 0x3ff00000_00000000: blocks 0x00000000 then 0x3ff00000.
    expect(lanesOfNumber(1)).toEqual([0xe9c12fd2, 0xdad472c0]);
    expect(lanesOfNumber(1, 2)).toEqual([0xe65bd6e7, 0xe9d6631d]);
    expect(lanesOfNumber(1.5)).toEqual([0xfc450006, 0x4a7a3be9]);
    expect(lanesOfNumber(42)).toEqual([0x92cd5ab4, 0xc1e227e0]);
    expect(lanesOfNumber(Number.NEGATIVE_INFINITY)).toEqual([0xb678dd35, 0xc3d2fe56]);
  });

  it('hashes −0 as +0 and every NaN as the canonical NaN 0x7ff80000_00000000', () => {
    expect(lanesOfNumber(0)).toEqual([0xd40b9626, 0xf9c3f2d7]);
    expect(lanesOfNumber(-0)).toEqual([0xd40b9626, 0xf9c3f2d7]);
    expect(lanesOfNumber(0, 2)).toEqual([0xb8d1e487, 0x74ec5e85]);
    // A NaN with another payload (0x7ff00000_00000001) folds into the canonical one.
    const otherNaN = new Float64Array(Uint32Array.of(1, 0x7ff00000).buffer)[0]!;
    expect(otherNaN).toBeNaN();
    expect(lanesOfNumber(otherNaN)).toEqual([0xea30a9a1, 0x01d6b216]);
    expect(lanesOfNumber(Number.NaN)).toEqual([0xea30a9a1, 0x01d6b216]);
    expect(lanesOfNumber(Number.NaN, 3)).toEqual([0x5d92b9f6, 0x176e9d25]);
  });
});
