import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { reweigh } from '../../../src/analytics/fairness/reweighing.js';
import { createRandom } from '../../../src/analytics/fairness/seeded-random.js';

describe('reweigh (Kamiran & Calders 2012)', () => {
  it('gives w(g, y) = P(g)P(y)/P(g, y) on a hand-computed example', () => {
    // A: 3 positives, 1 negative; B: 1 positive, 4 negatives. N = 9, P(y=1) = 4/9.
    const yTrue = Uint8Array.of(1, 1, 1, 0, 1, 0, 0, 0, 0);
    const codes = Int32Array.of(0, 0, 0, 0, 1, 1, 1, 1, 1);
    const result = reweigh(yTrue, [{ name: 'g', codes, labels: ['A', 'B'] }]);
    // w(A,1) = (4/9)(4/9)/(3/9) = 16/27; w(A,0) = (4/9)(5/9)/(1/9) = 20/9;
    // w(B,1) = (5/9)(4/9)/(1/9) = 20/9;  w(B,0) = (5/9)(5/9)/(4/9) = 25/36.
    const weight = (group: string, label: 0 | 1) => result.cells.find((c) => c.group === group && c.label === label)!.weight;
    expect(weight('A', 1)).toBeCloseTo(16 / 27, 12);
    expect(weight('A', 0)).toBeCloseTo(20 / 9, 12);
    expect(weight('B', 1)).toBeCloseTo(20 / 9, 12);
    expect(weight('B', 0)).toBeCloseTo(25 / 36, 12);
    expect(result.rowWeights[0]).toBeCloseTo(16 / 27, 12);
    expect(result.rowWeights[8]).toBeCloseTo(25 / 36, 12);
    expect(result.baseRate).toBeCloseTo(4 / 9, 12);
  });

  it('returns null for an empty cell', () => {
    const result = reweigh(Uint8Array.of(1, 1, 0), [{ name: 'g', codes: Int32Array.of(0, 0, 1), labels: ['A', 'B'] }]);
    expect(result.cells.find((c) => c.group === 'A' && c.label === 0)!.weight).toBeNull();
  });

  it('makes the weighted base rate equal across groups and intersections (with or without sample weights)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 20, max: 300 }), fc.integer(), fc.boolean(), (rows, seed, weighted) => {
        const random = createRandom(seed);
        const a = Int32Array.from({ length: rows }, () => Math.floor(random() * 3));
        const b = Int32Array.from({ length: rows }, () => Math.floor(random() * 2));
        const yTrue = Uint8Array.from(a, (g) => (random() < 0.2 + 0.25 * g ? 1 : 0));
        const sampleWeight = weighted ? Float64Array.from(a, () => 0.5 + random()) : undefined;
        const result = reweigh(
          yTrue,
          [
            { name: 'a', codes: a, labels: ['x', 'y', 'z'] },
            { name: 'b', codes: b, labels: ['p', 'q'] },
          ],
          sampleWeight,
        );
        const positive = new Float64Array(6);
        const total = new Float64Array(6);
        for (let i = 0; i < rows; i++) {
          total[a[i]! * 2 + b[i]!]! += result.rowWeights[i]!;
          if (yTrue[i] === 1) positive[a[i]! * 2 + b[i]!]! += result.rowWeights[i]!;
        }
        for (let g = 0; g < 6; g++) {
          if (total[g] === 0) continue;
          // A group with only one label cannot be rebalanced (P(g, other) = 0); skip it.
          const cellsOfGroup = result.cells.filter((c) => c.levels.a === ['x', 'y', 'z'][g >> 1] && c.levels.b === ['p', 'q'][g & 1]);
          if (cellsOfGroup.some((c) => c.weight === null)) continue;
          expect(positive[g]! / total[g]!).toBeCloseTo(result.baseRate, 10);
        }
        // Total weight is preserved: Σ_g,y m_gy · m_g m_y / (M m_gy) = M when no cell is empty.
        if (result.cells.every((c) => c.weight !== null)) {
          const before = sampleWeight ? sampleWeight.reduce((s, w) => s + w, 0) : rows;
          expect(result.rowWeights.reduce((s, w) => s + w, 0)).toBeCloseTo(before, 8);
        }
      }),
      { numRuns: 100 },
    );
  });
});
