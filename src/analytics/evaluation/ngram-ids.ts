/**
 * Exact integer ids for n-grams, so that n-gram counting compares numbers instead of building
 * substring keys: the id of the n-gram at position i is the dictionary id of the pair
 * (id of the (n-1)-gram at i, unit at i + n - 1), with the empty gram as id 0. Two n-grams get the
 * same id exactly when their units are equal. Units are code points or interned token numbers
 * (< 0x110000); ids of one dictionary are shared by every string that uses it, so the hypothesis
 * and its references are compared through one dictionary.
 */
const UNIT_LIMIT = 0x110000;

export class NgramDictionary {
  private readonly ids = new Map<number, number>();
  private readonly tokens = new Map<string, number>();

  /** Number of ids handed out so far plus one (ids start at 1): the size a counting array needs. */
  get size(): number {
    return this.ids.size + 1;
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

  /** ids[n - 1][i]: id of the n-gram of units[i .. i+n-1], for n = 1..maxOrder. */
  ngramIds(units: ArrayLike<number>, maxOrder: number): Int32Array[] {
    const L = units.length;
    const out: Int32Array[] = [];
    let previous: Int32Array | null = null;
    for (let n = 1; n <= maxOrder; n++) {
      const count = Math.max(0, L - n + 1);
      const current = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const key = (previous ? previous[i]! : 0) * UNIT_LIMIT + units[i + n - 1]!;
        let id = this.ids.get(key);
        if (id === undefined) {
          id = this.ids.size + 1;
          this.ids.set(key, id);
        }
        current[i] = id;
      }
      out.push(current);
      previous = current;
    }
    return out;
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
