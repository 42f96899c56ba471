import canonicalize from 'canonicalize';
import { describe, expect, it } from 'vitest';
import { isDeepStrictEqual } from 'node:util';
import { canonicalJson, canonicalJsonOf } from '../../src/events/canonical-json.js';

describe('canonical JSON (RFC 8785)', () => {
  it('matches the canonicalize reference implementation on tricky values', () => {
    const values: unknown[] = [
      { b: 1, a: [true, false, null], c: { z: 'é', y: 'a"b\\c\n\u2028' } },
      { '\u00e9': 1, e: 2, '\ud83d\ude00': 'emoji', '\u20ac': 3, '\r': 4, '1': 5, '10': 6, A: 7 },
      { numbers: [0, -0, 1, -1, 0.1, 1e21, 1e-7, 123456789012345680000, 4.5, 2 ** 53, -1.7976931348623157e308, 5e-324] },
      [[], {}, [{}], { a: [] }],
      { when: new Date('2026-11-22T10:00:00Z') },
    ];
    for (const v of values) expect(canonicalJson(v)).toBe(canonicalize(v));
  });

  it('writes lone surrogates as \\u escapes (canonicalize refuses them as invalid Unicode), so validation can find them; pairs stay as they are', () => {
    // RFC 8785 needs valid Unicode; the reference refuses a lone surrogate, we escape it as JSON.stringify does and the append refuses it.
    const lone: [unknown, string][] = [
      [{ s: '\ud800' }, '{"s":"\\ud800"}'],
      [{ s: 'a\udfffb' }, '{"s":"a\\udfffb"}'],
      [['\udc00\ud800'], '["\\udc00\\ud800"]'],
      [{ broken: '\ude00\ud83d' }, '{"broken":"\\ude00\\ud83d"}'],
    ];
    for (const [value, text] of lone) {
      expect(() => canonicalize(value)).toThrow(/surrogate/i);
      expect(canonicalJson(value)).toBe(text);
    }
    const pairs: unknown[] = [{ pair: '\ud83d\ude00' }, { '\ud83d\ude00': ['\udbff\udfff'] }];
    for (const value of pairs) expect(canonicalJson(value)).toBe(canonicalize(value));
  });

  it('follows JSON.stringify for what JSON cannot hold, so parsing the text gives the stored value', () => {
    const input = { keep: 1, gone: undefined, fn: () => 1, list: [undefined, () => 1, NaN, Infinity], big: -Infinity };
    const text = canonicalJson(input)!;
    expect(text).toBe('{"big":null,"keep":1,"list":[null,null,null,null]}');
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(input)));
    expect(canonicalJson(JSON.parse(text))).toBe(text);
    expect(() => canonicalJson({ n: 10n })).toThrow(TypeError);
    expect(canonicalJson(undefined)).toBeUndefined();
  });

  it('says a value is already JSON exactly when parsing its text gives an equal value with the same prototypes', () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    const plain = [{ a: 1, b: [true, null, 'x', { c: -1.5, d: [] }], e: {} }, { nested: { deeper: { list: [1, 2, 3] } } }];
    const altered = [
      { when: new Date('2026-12-03T12:00:00Z') },
      { gone: undefined },
      { fn: () => 1 },
      { list: [1, , 3] }, // eslint-disable-line no-sparse-arrays -- a hole is what it checks
      { list: [undefined] },
      { n: NaN },
      { n: Infinity },
      { n: -0 },
      { m: new Map([['a', 1]]) },
      { p: new Point(1, 2) },
      { bare: Object.assign(Object.create(null) as object, { k: 'v' }) },
      { boxed: new Number(1) },
      { custom: { toJSON: () => 'x' } },
    ];
    for (const v of [...plain, ...altered]) {
      const { text, isJsonValue } = canonicalJsonOf(v);
      expect(isJsonValue, text).toBe(isDeepStrictEqual(v, JSON.parse(text!)));
    }
    expect(plain.every((v) => canonicalJsonOf(v).isJsonValue)).toBe(true);
    expect(altered.some((v) => canonicalJsonOf(v).isJsonValue)).toBe(false);
  });
});
