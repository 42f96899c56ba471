/**
 * Chunks of a batch claimed by several threads from shared memory, so that a thread the OS leaves
 * waiting does not hold back the batch: the calling thread takes chunks from the front, worker
 * threads from the back (never below `workerFloor`: only rows from there on were made readable to
 * them), each chunk exactly once. State: one Int32, next front chunk in the low 16 bits and the
 * first chunk already taken from the back in the high 15 bits, changed by compare-and-swap.
 */
export const MAX_CHUNKS = 1 << 15;

export function newChunkClaims(nChunks: number): Int32Array {
  if (!(nChunks >= 1 && nChunks < MAX_CHUNKS)) throw new RangeError(`between 1 and ${MAX_CHUNKS - 1} chunks, not ${nChunks}`);
  const state = new Int32Array(new SharedArrayBuffer(4));
  state[0] = nChunks << 16;
  return state;
}

/** The next chunk from the front, or -1 when none is left. */
export function claimFront(state: Int32Array): number {
  for (;;) {
    const s = Atomics.load(state, 0);
    const front = s & 0xffff;
    const back = s >>> 16;
    if (front >= back) return -1;
    if (Atomics.compareExchange(state, 0, s, (front + 1) | (back << 16)) === s) return front;
  }
}

/** The next chunk from the back not below `floor`, or -1 when none is left. */
export function claimBack(state: Int32Array, floor: number): number {
  for (;;) {
    const s = Atomics.load(state, 0);
    const front = s & 0xffff;
    const chunk = (s >>> 16) - 1;
    if (chunk < front || chunk < floor) return -1;
    if (Atomics.compareExchange(state, 0, s, front | (chunk << 16)) === s) return chunk;
  }
}
