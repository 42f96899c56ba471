/** A growable Float64Array (amortised doubling) so pushed numeric values stay unboxed. */
export type Float64Buffer = { push(x: number): void; readonly length: number; view(): Float64Array };

export function createFloat64Buffer(initialCapacity = 1024): Float64Buffer {
  let data = new Float64Array(Math.max(16, initialCapacity));
  let length = 0;
  return {
    push(x: number) {
      if (length === data.length) {
        const next = new Float64Array(data.length * 2);
        next.set(data);
        data = next;
      }
      data[length++] = x;
    },
    get length() {
      return length;
    },
    view() {
      return data.subarray(0, length);
    },
  };
}
