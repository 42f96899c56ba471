import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../src/events/envelope.js';
import { checkExpectedVersion, DuplicateEventConflict, InvalidEvent, jsonContains, narrowingFilter, WrongExpectedVersion } from '../../src/events/event-store.js';

// Expected values follow PostgreSQL's documentation of jsonb containment (§8.14.3, "jsonb
// Containment and Existence"): a container holds another when every object key of the contained
// value is present with a contained value, every element of a contained array is contained in some
// element of the containing array (order and duplicates ignored), and scalars are equal. Each row
// was also checked by hand against `SELECT '<container>'::jsonb @> '<contained>'` on the loopback PostgreSQL 15.
const cases: [container: JsonValue, contained: JsonValue, holds: boolean, why: string][] = [
  // Scalars: by equality, no conversion between types.
  ['foo', 'foo', true, 'equal strings'],
  ['foo', 'bar', false, 'different strings'],
  [1, 1, true, 'equal numbers'],
  [1, 2, false, 'different numbers'],
  ['1', 1, false, 'a string never equals a number'],
  [true, true, true, 'equal booleans'],
  [false, null, false, 'false is not null'],
  [null, null, true, 'null contains null'],
  // Objects: every contained key present, with a contained value; extra keys ignored.
  [{ a: 1, b: 2 }, { a: 1 }, true, 'a subset of keys'],
  [{ a: 1, b: 2 }, { a: 1, b: 2 }, true, 'the same object'],
  [{ a: 1 }, { a: 1, b: 2 }, false, 'a key missing from the container'],
  [{ a: 1, b: 2 }, { a: 2 }, false, 'a key present with another value'],
  [{ a: 1 }, {}, true, 'the empty object is contained in any object'],
  [{ a: null }, { a: null }, true, 'a key whose value is null'],
  [{}, { a: null }, false, 'an absent key is not a null one'],
  [{ a: 1, b: 2 }, { a: 1, c: 3 }, false, 'one of two keys missing: every key must hold'],
  // Nested objects: containment applies at every level.
  [{ p: { name: 'Ada', city: 'London' }, q: 1 }, { p: { city: 'London' } }, true, 'a nested subset'],
  [{ p: { name: 'Ada' } }, { p: { name: 'Ada', city: 'London' } }, false, 'a nested key missing'],
  // Keys that every JavaScript object inherits are no keys of a JSON object (PostgreSQL: '{"a":1}' @> '{"__proto__":{}}' is false).
  [{ a: 1 }, JSON.parse('{"__proto__":{}}') as JsonValue, false, 'a __proto__ key the container does not hold'],
  [{ a: 1 }, { constructor: {} }, false, 'a constructor key the container does not hold'],
  [JSON.parse('{"__proto__":{"x":1},"a":1}') as JsonValue, JSON.parse('{"__proto__":{"x":1}}') as JsonValue, true, 'a __proto__ key the container holds'],
  // Arrays: by membership, order and duplicates ignored.
  [[1, 2, 3], [3, 1], true, 'members in another order'],
  [[1, 2, 3], [1, 1], true, 'duplicates in the contained array'],
  [[1, 2, 3], [1, 4], false, 'one member missing: every member must be found'],
  [[1, 2], [], true, 'the empty array is contained in any array'],
  [[], [1], false, 'nothing is a member of the empty array'],
  [[[1, 2, 3]], [[1, 3]], true, 'a nested array contained in a nested array'],
  [[{ a: 1, b: 2 }, { c: 3 }], [{ a: 1 }], true, 'an object contained in one member'],
  [[{ a: 1 }, { b: 2 }], [{ a: 1, b: 2 }], false, 'one member must contain the whole object, not two members between them'],
  [{ tags: ['x', 'y', 'z'] }, { tags: ['z', 'x'] }, true, 'an array inside an object'],
  // Type mismatches: an object never contains an array or the reverse; a nested array never contains a bare scalar.
  [{ a: 1 }, [], false, 'an object does not contain an array'],
  [[], {}, false, 'an array does not contain an object'],
  [[{ a: 1 }], { a: 1 }, false, 'an array does not contain an object, even one of its members'],
  ['foo', ['foo'], false, 'a scalar does not contain an array'],
  [null, {}, false, 'null does not contain an object'],
  [null, [], false, 'null does not contain an array'],
  [{ a: ['x'] }, { a: 'x' }, false, 'below the top level, an array does not contain a bare scalar'],
  [[['x']], ['x'], false, 'a scalar member is not found inside a nested array'],
  [['x'], [['x']], false, 'a nested array is not found among scalar members'],
  [{ a: { b: 1 } }, { a: 1 }, false, 'an object value does not contain a scalar'],
  [{ a: 1 }, { a: { b: 1 } }, false, 'a scalar value does not contain an object'],
];

describe('jsonContains follows jsonb @>', () => {
  it.each(cases)('%j @> %j is %s (%s)', (container, contained, holds) => {
    expect(jsonContains(container, contained)).toBe(holds);
  });
});

describe('narrowingFilter', () => {
  it('is undefined without a filter, for an empty one and for one whose criteria are all unset', () => {
    expect(narrowingFilter(undefined)).toBeUndefined();
    expect(narrowingFilter({})).toBeUndefined();
    // An empty list of types leaves no event out (the documented `types: []`).
    expect(narrowingFilter({ types: [] })).toBeUndefined();
    // An API query's unset parameters arrive as keys holding undefined.
    expect(narrowingFilter({ types: [], streamId: undefined, actorId: undefined, dataContains: undefined })).toBeUndefined();
  });

  it('returns the filter itself as soon as one criterion is set', () => {
    const byType = { types: ['model.registered'] };
    expect(narrowingFilter(byType)).toBe(byType);
    // One criterion set among unset ones still narrows.
    const oneOfMany = { types: [], streamId: 'model-1', actorId: undefined, correlationId: undefined };
    expect(narrowingFilter(oneOfMany)).toBe(oneOfMany);
    const byData = { dataContains: {} };
    expect(narrowingFilter(byData)).toBe(byData);
    const since = { from: new Date('2026-01-01T00:00:00Z') };
    expect(narrowingFilter(since)).toBe(since);
  });
});

describe('checkExpectedVersion', () => {
  it('accepts what each expectation allows', () => {
    expect(() => checkExpectedVersion('s', 'any', null)).not.toThrow();
    expect(() => checkExpectedVersion('s', 'any', 7)).not.toThrow();
    expect(() => checkExpectedVersion('s', 'no_stream', null)).not.toThrow();
    expect(() => checkExpectedVersion('s', 'stream_exists', 0)).not.toThrow();
    expect(() => checkExpectedVersion('s', 3, 3)).not.toThrow();
    expect(() => checkExpectedVersion('s', 0, 0)).not.toThrow();
  });

  it.each([
    ['no_stream', 0, 'stream model-1: expected version no_stream, actual 0'],
    ['stream_exists', null, 'stream model-1: expected version stream_exists, actual no stream'],
    [3, 4, 'stream model-1: expected version 3, actual 4'],
    [3, null, 'stream model-1: expected version 3, actual no stream'],
    [0, null, 'stream model-1: expected version 0, actual no stream'],
  ] as const)('refuses expected %s at %s with a WrongExpectedVersion saying so', (expected, actual, message) => {
    let thrown: unknown;
    try {
      checkExpectedVersion('model-1', expected, actual);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(WrongExpectedVersion);
    const error = thrown as WrongExpectedVersion;
    expect(error.message).toBe(message);
    expect(error.code).toBe('WRONG_EXPECTED_VERSION');
    expect(error.name).toBe('WrongExpectedVersion');
    expect([error.streamId, error.expected, error.actual]).toEqual(['model-1', expected, actual]);
  });
});

describe('store errors', () => {
  it('DuplicateEventConflict names every conflicting id, comma-separated', () => {
    const error = new DuplicateEventConflict(['e1', 'e2', 'e3']);
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toBe('event ids already stored in a different append: e1, e2, e3');
    expect(error.code).toBe('DUPLICATE_EVENT_CONFLICT');
    expect(error.name).toBe('DuplicateEventConflict');
    expect(error.eventIds).toEqual(['e1', 'e2', 'e3']);
    expect(String(error)).toBe('DuplicateEventConflict: event ids already stored in a different append: e1, e2, e3');
  });

  it('InvalidEvent keeps the message it is given', () => {
    const error = new InvalidEvent('model.registered v1: data.name is required');
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toBe('model.registered v1: data.name is required');
    expect(error.code).toBe('INVALID_EVENT');
    expect(error.name).toBe('InvalidEvent');
    expect(String(error)).toBe('InvalidEvent: model.registered v1: data.name is required');
  });
});
