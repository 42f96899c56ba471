import { describe, expect, it } from 'vitest';
import { createRecordWindow } from '../../../src/analytics/quality/record-window.js';

describe('record window', () => {
  const columns = [
    { name: 'age', kind: 'numeric' as const },
    { name: 'city', kind: 'categorical' as const },
  ];

  it('counts missing cells (absent, null, empty string, NaN) and type errors per column, by hand', () => {
    const window = createRecordWindow(columns);
    window.push({ age: 30, city: 'Oslo' });
    window.push({ age: '41.5', city: 'Bergen' }); // a numeric string is a number
    window.push({ age: null, city: '' }); // both missing
    window.push({ city: 'Oslo' }); // age absent: missing
    window.push({ age: NaN, city: 7 }); // NaN is missing; a number is a category ("7")
    window.push({ age: 'old', city: { name: 'Oslo' } }); // type errors in both
    window.push({ age: '  ', city: ['Oslo'] }); // a blank string is not a number; an array is not a category
    window.push({ age: Infinity, city: true }); // not finite: a type error; a boolean is a category ("true")
    window.push({ age: '-2e3', city: 'Oslo' });
    expect(window.records).toBe(9);
    expect(window.errors).toBe(0);
    const quality = window.quality();
    expect(quality.columns).toEqual([
      { column: 'age', missing: 3, missingRate: 3 / 9, typeErrors: 3 },
      { column: 'city', missing: 1, missingRate: 1 / 9, typeErrors: 2 },
    ]);
    expect(quality.missingRate).toBe(4 / 18);
    expect(quality.typeErrorRate).toBe(5 / 18);
    expect(window.sample(0)).toEqual({ kind: 'numeric', values: Float64Array.of(30, 41.5, -2000) });
    const city = window.sample(1);
    expect(city.kind).toBe('categorical');
    expect(city.kind === 'categorical' && Object.fromEntries(city.counts)).toEqual({ Oslo: 3, Bergen: 1, '7': 1, true: 1 });
  });

  it('counts deliveries that are not JSON objects as errors, not records', () => {
    const window = createRecordWindow(columns);
    for (const delivery of [null, 42, 'text', [1, 2], undefined]) window.push(delivery);
    window.pushError();
    expect(window.records).toBe(0);
    expect(window.errors).toBe(6);
    // No records: rates are 0, not NaN.
    expect(window.quality()).toEqual({
      columns: [
        { column: 'age', missing: 0, missingRate: 0, typeErrors: 0 },
        { column: 'city', missing: 0, missingRate: 0, typeErrors: 0 },
      ],
      missingRate: 0,
      typeErrorRate: 0,
    });
  });

  it('reads only a record’s own keys (not inherited ones like toString)', () => {
    const window = createRecordWindow([{ name: 'toString', kind: 'categorical' }]);
    window.push({});
    window.push(Object.create({ toString: 'inherited' }) as object);
    expect(window.quality().columns[0]).toMatchObject({ missing: 2, typeErrors: 0 });
  });

  it('keeps every numeric value past its initial buffer', () => {
    const window = createRecordWindow([{ name: 'x', kind: 'numeric' }]);
    for (let i = 0; i < 1000; i++) window.push({ x: i });
    const sample = window.sample(0);
    expect(sample.kind === 'numeric' && Array.from(sample.values)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });
});
