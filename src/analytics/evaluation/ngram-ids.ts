/**
 * Exact integer ids for n-grams, so that n-gram counting compares numbers instead of building
 * substring keys: the id of the n-gram at position i is the dictionary id of the pair
 * (id of the (n-1)-gram at i, unit at i + n - 1), with the empty gram as id 0. Two n-grams get the
 * same id exactly when their units are equal. Units are code points or interned token numbers
 * (< 0x110000); ids of one dictionary are shared by every string that uses it, so the hypothesis
 * and its references are compared through one dictionary.
 */
const UNIT_LIMIT = 0x110000;

/**
 * Pair ids live in an open-addressing table (linear probing, at most half full) of slots of four
 * integers side by side, so a probe touches one cache line: the slot's epoch, prefix id, unit and
 * id. A `Map` keyed by prefix · 0x110000 + unit hashed heap numbers once keys passed 2³¹, which made
 * it the largest cost of chrF. A slot belongs to the current use when its epoch is the
 * dictionary's, so `reset` empties the table without touching it (see `withNgramDictionary`).
 */
const SLOT = 4;
const hashOf = (prefix: number, unit: number) => Math.imul(prefix, 0x9e3779b1) ^ Math.imul(unit, 0x85ebca77);

export class NgramDictionary {
  private readonly tokens = new Map<string, number>();
  private table: Int32Array;
  private epoch = 1;
  private mask: number;
  private count = 0;

  /** `expectedIds`: about how many distinct n-grams will be seen, so the table rarely has to grow. */
  constructor(expectedIds = 128) {
    let slots = 64;
    while (slots < expectedIds * 2) slots *= 2;
    this.table = new Int32Array(slots * SLOT);
    this.mask = slots - 1;
  }

  /** Number of ids handed out so far plus one (ids start at 1): the size a counting array needs. */
  get size(): number {
    return this.count + 1;
  }

  get slots(): number {
    return this.mask + 1;
  }

  /** Forgets every token and n-gram; ids handed out before keep their meaning only for what was compared then. */
  reset(): void {
    this.tokens.clear();
    this.count = 0;
    if (this.epoch === 0x7fffffff) {
      this.table.fill(0);
      this.epoch = 0;
    }
    this.epoch++;
  }

  /** Interns a token as a unit. */
  token(text: string): number {
    let unit = this.tokens.get(text);
    if (unit === undefined) {
      unit = this.tokens.size;
      if (unit >= UNIT_LIMIT) throw new RangeError('too many distinct tokens in one comparison');
      this.tokens.set(text, unit);
    }
    return unit;
  }

  private grow(): void {
    const old = this.table;
    const epoch = this.epoch;
    const slots = (this.mask + 1) * 2;
    const table = new Int32Array(slots * SLOT);
    const mask = slots - 1;
    for (let o = 0; o < old.length; o += SLOT) {
      if (old[o] !== epoch) continue;
      let at = (hashOf(old[o + 1]!, old[o + 2]!) & mask) * SLOT;
      while (table[at] === epoch) at = (at + SLOT) & (mask * SLOT + SLOT - 1);
      table.set(old.subarray(o, o + SLOT), at);
    }
    this.table = table;
    this.mask = mask;
  }

  /** ids[n - 1][i]: id of the n-gram of units[i .. i+n-1], for n = 1..maxOrder. */
  ngramIds(units: ArrayLike<number>, maxOrder: number): Int32Array[] {
    const L = units.length;
    const out: Int32Array[] = [];
    const epoch = this.epoch;
    let table = this.table;
    let wrap = this.mask * SLOT + SLOT - 1; // slot offsets are multiples of SLOT: & wrap keeps them in the table
    let previous: Int32Array | null = null;
    // One buffer for every order, handed out as views: a typed array of its own per order cost a
    // backing store each (about fifty per scored item), which showed as garbage-collection time.
    let total = 0;
    for (let n = 1; n <= maxOrder; n++) total += Math.max(0, L - n + 1);
    const ids = new Int32Array(total);
    let offset = 0;
    for (let n = 1; n <= maxOrder; n++) {
      const count = Math.max(0, L - n + 1);
      const current = ids.subarray(offset, offset + count);
      offset += count;
      for (let i = 0; i < count; i++) {
        const prefix = previous ? previous[i]! : 0;
        const unit = units[i + n - 1]!;
        let at = (hashOf(prefix, unit) * SLOT) & wrap;
        let id = 0;
        while (table[at] === epoch) {
          if (table[at + 1] === prefix && table[at + 2] === unit) {
            id = table[at + 3]!;
            break;
          }
          at = (at + SLOT) & wrap;
        }
        if (id === 0) {
          id = ++this.count;
          table[at] = epoch;
          table[at + 1] = prefix;
          table[at + 2] = unit;
          table[at + 3] = id;
          if (this.count * 2 > this.mask) {
            this.grow();
            table = this.table;
            wrap = this.mask * SLOT + SLOT - 1;
          }
        }
        current[i] = id;
      }
      out.push(current);
      previous = current;
    }
    return out;
  }
}

// Scoring compares one item at a time, synchronously: one dictionary is reused (reset, not reallocated) unless a use is nested.
let idle: NgramDictionary | null = null;
const MAX_POOLED_SLOTS = 1 << 16;

/** Runs `use` with an empty dictionary; what `use` returns must not need the dictionary afterwards (ids and sizes are plain numbers). */
export function withNgramDictionary<T>(use: (dictionary: NgramDictionary) => T): T {
  const dictionary = idle ?? new NgramDictionary(1024);
  idle = null;
  try {
    return use(dictionary);
  } finally {
    dictionary.reset();
    if (dictionary.slots <= MAX_POOLED_SLOTS) idle = dictionary;
  }
}

let scratch = new Int32Array(1024);

/** A zeroed counting array with at least `size` entries; callers must zero what they touched before the next use. */
export function countingScratch(size: number): Int32Array {
  if (scratch.length < size) scratch = new Int32Array(Math.max(size, scratch.length * 2));
  return scratch;
}

/** Σ over n-grams of min(count in a, count in b), for id lists of one order. Leaves the scratch zeroed. */
export function clippedMatches(a: Int32Array, b: Int32Array, dictionarySize: number): number {
  const counts = countingScratch(dictionarySize);
  for (let i = 0; i < b.length; i++) counts[b[i]!]!++;
  let matches = 0;
  for (let i = 0; i < a.length; i++) {
    const id = a[i]!;
    if (counts[id]! > 0) {
      matches++;
      counts[id]!--;
    }
  }
  for (let i = 0; i < b.length; i++) counts[b[i]!] = 0;
  return matches;
}
