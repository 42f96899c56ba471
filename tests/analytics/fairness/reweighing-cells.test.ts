import { describe, expect, it } from 'vitest';
import { FairnessInputError } from '../../../src/analytics/fairness/fairness-input.js';
import { reweigh } from '../../../src/analytics/fairness/reweighing.js';

function reasonsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(FairnessInputError);
    return (error as FairnessInputError).reasons;
  }
  throw new Error('expected a FairnessInputError');
}

describe('reweigh with sample weights, hand-computed', () => {
  // A: y=1 weight 2, y=0 weight 1; B: y=1 weight 1, y=0 weights 1 and 1. M = 6, m_y=1 = 3, m_A = m_B = 3.
  // w(g, y) = m_g·m_y / (M·m_gy): w(A,1) = 9/12, w(A,0) = 9/6, w(B,1) = 9/6, w(B,0) = 9/12.
  const yTrue = Uint8Array.of(1, 0, 1, 0, 0);
  const attributes = [{ name: 'g', codes: Int32Array.of(0, 0, 1, 1, 1), labels: ['A', 'B'] }];
  // Computed inside each test (not once here) so that mutation testing sees which tests run the code.
  const weighted = () => reweigh(yTrue, attributes, Float64Array.of(2, 1, 1, 1, 1));

  it('gives each cell its weight, rows and mass', () => {
    expect(weighted().cells).toEqual([
      { group: 'A', levels: { g: 'A' }, label: 0, rows: 1, mass: 1, weight: 1.5 },
      { group: 'A', levels: { g: 'A' }, label: 1, rows: 1, mass: 2, weight: 0.75 },
      { group: 'B', levels: { g: 'B' }, label: 0, rows: 2, mass: 2, weight: 0.75 },
      { group: 'B', levels: { g: 'B' }, label: 1, rows: 1, mass: 1, weight: 1.5 },
    ]);
    expect(weighted().attribute).toBe('g');
    expect(weighted().baseRate).toBe(0.5);
  });

  it('multiplies each row’s own weight by its cell weight', () => {
    expect(Array.from(weighted().rowWeights)).toEqual([1.5, 1.5, 1.5, 0.75, 0.75]);
  });

  it('names intersections and their levels', () => {
    const both = reweigh(Uint8Array.of(1, 0, 0, 1), [
      { name: 'sex', codes: Int32Array.of(0, 0, 1, 1), labels: ['F', 'M'] },
      { name: 'age', codes: Int32Array.of(0, 0, 0, 0), labels: ['young', 'old'] },
    ]);
    expect(both.attribute).toBe('sex × age');
    expect(both.cells.map((c) => [c.group, c.levels, c.label])).toEqual([
      ['sex=F, age=young', { sex: 'F', age: 'young' }, 0],
      ['sex=F, age=young', { sex: 'F', age: 'young' }, 1],
      ['sex=M, age=young', { sex: 'M', age: 'young' }, 0],
      ['sex=M, age=young', { sex: 'M', age: 'young' }, 1],
    ]);
    // Every cell has one row of four, P(g) = 1/2, P(y) = 1/2, P(g, y) = 1/4: weight 1.
    expect(both.cells.every((c) => c.weight === 1)).toBe(true);
  });
});

describe('reweigh input checks', () => {
  const attributes = [{ name: 'g', codes: Int32Array.of(0, 1), labels: ['A', 'B'] }];

  it('names each defect', () => {
    expect(reasonsOf(() => reweigh(Uint8Array.of(1, 0), attributes, Float64Array.of(1)))).toEqual(['sampleWeight has 1 entries for 2 rows']);
    expect(reasonsOf(() => reweigh(Uint8Array.of(1, 2), attributes))).toEqual(['yTrue row 1 is 2; labels must be 0 or 1']);
    expect(reasonsOf(() => reweigh(Uint8Array.of(1, 0, 1), attributes))).toEqual(['attribute g has 2 codes for 3 rows']);
    expect(reasonsOf(() => reweigh(Uint8Array.of(1, 0), attributes, Float64Array.of(0, 0)))).toEqual(['total sample weight is zero']);
  });

  it('accepts labels 0 and 1 only up to the first bad row', () => {
    expect(reasonsOf(() => reweigh(Uint8Array.of(3, 2), attributes))).toEqual(['yTrue row 0 is 3; labels must be 0 or 1']);
    expect(reweigh(Uint8Array.of(1, 1), attributes).baseRate).toBe(1);
  });
});
