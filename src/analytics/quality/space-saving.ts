/**
 * Space-Saving heavy hitters (Metwally, Agrawal & El Abbadi 2005): `capacity` counters; an unseen
 * item replaces the smallest counter c_min and starts at c_min + 1 with error c_min. Every reported
 * count over-estimates the true count by at most its `maxError` ≤ n / capacity, and every item
 * with true count > n / capacity is among the counters. Counters sit in a binary min-heap.
 */
export type SpaceSavingEntry<K> = { key: K; count: number; maxError: number };
export type SpaceSaving<K> = {
  offer(key: K, weight?: number): void;
  top(limit: number): SpaceSavingEntry<K>[];
  readonly total: number;
  readonly capacity: number;
};

export function createSpaceSaving<K>(capacity: number): SpaceSaving<K> {
  const keys: K[] = [];
  const counts = new Float64Array(capacity);
  const errors = new Float64Array(capacity);
  const heap = new Int32Array(capacity);
  const position = new Int32Array(capacity);
  const index = new Map<K, number>();
  let size = 0;
  let total = 0;

  const swap = (i: number, j: number) => {
    const a = heap[i]!;
    const b = heap[j]!;
    heap[i] = b;
    heap[j] = a;
    position[b] = i;
    position[a] = j;
  };
  const siftDown = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < size && counts[heap[l]!]! < counts[heap[m]!]!) m = l;
      if (r < size && counts[heap[r]!]! < counts[heap[m]!]!) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  const siftUp = (i: number) => {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (counts[heap[p]!]! <= counts[heap[i]!]!) return;
      swap(i, p);
      i = p;
    }
  };

  return {
    capacity,
    get total() {
      return total;
    },
    offer(key: K, weight = 1) {
      total += weight;
      const slot = index.get(key);
      if (slot !== undefined) {
        counts[slot]! += weight;
        siftDown(position[slot]!);
        return;
      }
      if (size < capacity) {
        const s = size++;
        keys[s] = key;
        counts[s] = weight;
        errors[s] = 0;
        heap[s] = s;
        position[s] = s;
        index.set(key, s);
        siftUp(s);
        return;
      }
      const s = heap[0]!;
      const min = counts[s]!;
      index.delete(keys[s]!);
      keys[s] = key;
      index.set(key, s);
      counts[s] = min + weight;
      errors[s] = min;
      siftDown(0);
    },
    top(limit: number) {
      const order = Array.from({ length: size }, (_, i) => i).sort((x, y) => counts[y]! - counts[x]!);
      return order.slice(0, limit).map((s) => ({ key: keys[s]!, count: counts[s]!, maxError: errors[s]! }));
    },
  };
}
