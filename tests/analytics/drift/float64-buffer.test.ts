import { describe, expect, it } from 'vitest';
import { createFloat64Buffer } from '../../../src/analytics/drift/float64-buffer.js';

describe('Float64 buffer', () => {
  it('grows past its capacity and keeps every value in order', () => {
    const buffer = createFloat64Buffer(1);
    for (let i = 0; i < 100; i++) buffer.push(i / 2);
    expect(buffer.length).toBe(100);
    expect(Array.from(buffer.view())).toEqual(Array.from({ length: 100 }, (_, i) => i / 2));
    // A requested capacity below 16 still leaves room to grow from.
    const zero = createFloat64Buffer(0);
    for (const x of [1, 2, 3]) zero.push(x);
    expect(Array.from(zero.view())).toEqual([1, 2, 3]);
    const empty = createFloat64Buffer();
    expect(empty.length).toBe(0);
    expect(empty.view()).toHaveLength(0);
    empty.push(NaN);
    expect(Array.from(empty.view())).toEqual([NaN]);
  });
});
