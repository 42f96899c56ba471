import canonicalize from 'canonicalize';
import { isDeepStrictEqual } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { canonicalJson, canonicalJsonOf } from '../../src/events/canonical-json.js';

type BigIntWithToJson = { toJSON?: (this: bigint) => unknown };
const bigIntPrototype = BigInt.prototype as BigIntWithToJson;

afterEach(() => {
  delete bigIntPrototype.toJSON;
});

describe('canonicalJsonOf: zeros', () => {
  it('keeps +0 as a plain JSON value, and only -0 as converted', () => {
    // JSON.parse('0') is +0, so {n: 0} round-trips exactly while {n: -0} does not (Object.is(-0, 0) is false).
    for (const v of [{ n: 0 }, { list: [0, 0.0, 1] }, { z: 0, a: -1 }]) {
      const { text, isJsonValue } = canonicalJsonOf(v);
      expect(text).toBe(canonicalize(v));
      expect(isJsonValue, text).toBe(true);
      expect(isDeepStrictEqual(JSON.parse(text!), v)).toBe(true);
    }
    expect(canonicalJsonOf({ n: -0 })).toEqual({ text: '{"n":0}', isJsonValue: false });
  });
});

describe('canonicalJsonOf: BigInt', () => {
  it('refuses a BigInt as JSON.stringify does when BigInt has no toJSON', () => {
    // JSON.stringify(10n) throws a TypeError ("Do not know how to serialize a BigInt").
    expect(() => JSON.stringify({ n: 10n })).toThrow(TypeError);
    expect(() => canonicalJson({ n: 10n })).toThrow(new TypeError('BigInt values cannot be serialised as JSON'));
  });

  it("writes a BigInt through BigInt.prototype.toJSON when one is installed, as JSON.stringify does, and reports the value as converted", () => {
    bigIntPrototype.toJSON = function () {
      return this.toString();
    };
    const value = { n: 10n, list: [1n] };
    // JSON.stringify honours the installed toJSON; with sorted keys that is the canonical text.
    expect(JSON.stringify({ list: value.list, n: value.n })).toBe('{"list":["1"],"n":"10"}');
    expect(canonicalJsonOf(value)).toEqual({ text: '{"list":["1"],"n":"10"}', isJsonValue: false });
  });
});
