import { describe, expect, it } from 'vitest';
import { NgramDictionary } from '../../../src/analytics/evaluation/ngram-ids.js';
import { mulberry32, randomInt } from '../../../src/analytics/seeded-random.js';

describe('n-gram ids', () => {
  it('two n-grams share an id exactly when their units are equal, across table growth', () => {
    const random = mulberry32(5);
    // A small starting table so it grows several times; units span the whole code point range.
    const dictionary = new NgramDictionary(4);
    const idOf = new Map<string, number>();
    const ids = new Set<number>();
    for (let s = 0; s < 40; s++) {
      const units = Int32Array.from({ length: randomInt(random, 120) }, () => (randomInt(random, 4) === 0 ? randomInt(random, 0x110000) : 97 + randomInt(random, 3)));
      const grams = dictionary.ngramIds(units, 4);
      for (let n = 1; n <= 4; n++) {
        expect(grams[n - 1]!.length).toBe(Math.max(0, units.length - n + 1));
        grams[n - 1]!.forEach((id, i) => {
          const key = Array.from(units.subarray(i, i + n)).join(',');
          const known = idOf.get(key);
          if (known === undefined) {
            expect(ids.has(id)).toBe(false); // a new n-gram never reuses an id
            idOf.set(key, id);
            ids.add(id);
          } else expect(id).toBe(known);
        });
      }
    }
    // Ids are 1..size-1, handed out densely.
    expect(dictionary.size).toBe(idOf.size + 1);
    expect(Math.max(...ids)).toBe(idOf.size);
  });
});
