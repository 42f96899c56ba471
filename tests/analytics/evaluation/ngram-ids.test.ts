import { describe, expect, it } from 'vitest';
import { NgramDictionary, withNgramDictionary } from '../../../src/analytics/evaluation/ngram-ids.js';
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

  it('a reused dictionary starts empty each time, even after a use that threw; a nested use gets its own', () => {
    const first = withNgramDictionary((d) => {
      const ids = d.ngramIds(Int32Array.of(d.token('x'), d.token('y')), 2);
      // Nested: a different dictionary, whose ids do not disturb the outer one's.
      const nested = withNgramDictionary((inner) => {
        expect(inner).not.toBe(d);
        return inner.ngramIds(Int32Array.of(inner.token('y'), inner.token('z')), 1)[0]!;
      });
      expect(Array.from(nested)).toEqual([1, 2]);
      expect(d.ngramIds(Int32Array.of(d.token('x')), 1)[0]![0]).toBe(ids[0]![0]);
      return { ids: ids.map((a) => Array.from(a)), size: d.size };
    });
    expect(first).toEqual({ ids: [[1, 2], [3]], size: 4 });
    expect(() => withNgramDictionary((d) => {
      d.ngramIds(Int32Array.of(d.token('q')), 1);
      throw new Error('boom');
    })).toThrow('boom');
    withNgramDictionary((d) => {
      expect(d.size).toBe(1);
      // 'y' is the first token of this use: unit 0, first id 1.
      expect(d.token('y')).toBe(0);
      expect(Array.from(d.ngramIds(Int32Array.of(0, 0, 0), 2)[1]!)).toEqual([2, 2]);
    });
  });
});
