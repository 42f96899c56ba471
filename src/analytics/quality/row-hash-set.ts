/**
 * Set of 64-bit row hashes (two 32-bit lanes) in open addressing with linear probing over typed
 * arrays: 9 bytes a slot, load factor ≤ 1/2, no per-row objects. It accepts at most `limit`
 * distinct hashes; after that `add` answers undefined and the caller falls back to an estimate.
 * Two distinct rows share a 64-bit hash with probability ≈ n²/2⁶⁵ (≈ 3·10⁻⁸ for 10⁶ rows).
 */
export type RowHashSet = { add(lane0: number, lane1: number): boolean | undefined; readonly size: number; readonly full: boolean };

export function createRowHashSet(limit: number): RowHashSet {
  let cap = 1;
  while (cap < limit * 2) cap <<= 1;
  const mask = cap - 1;
  const l0 = new Uint32Array(cap);
  const l1 = new Uint32Array(cap);
  const used = new Uint8Array(cap);
  let size = 0;
  return {
    get size() {
      return size;
    },
    get full() {
      return size >= limit;
    },
    add(lane0: number, lane1: number) {
      let i = (lane0 ^ Math.imul(lane1, 0x9e3779b1)) & mask;
      while (used[i] === 1) {
        if (l0[i] === lane0 && l1[i] === lane1) return false;
        i = (i + 1) & mask;
      }
      if (size >= limit) return undefined;
      used[i] = 1;
      l0[i] = lane0;
      l1[i] = lane1;
      size++;
      return true;
    },
  };
}
