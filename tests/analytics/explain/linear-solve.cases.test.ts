import { describe, expect, it } from 'vitest';
import { solveLinearSystem } from '../../../src/analytics/explain/linear-solve.js';

/** Solves a copy (the solver overwrites A and b), so a case can be checked against the original. */
function solve(A: number[][], b: number[], tolerance?: number): number[] {
  const n = b.length;
  return Array.from(solveLinearSystem(Float64Array.from(A.flat()), Float64Array.from(b), n, tolerance));
}

/** b = A x by the naive row-times-column loop: integer cases stay exact in doubles. */
function times(A: number[][], x: number[]): number[] {
  return A.map((row) => row.reduce((s, a, k) => s + a * x[k]!, 0));
}

describe('solveLinearSystem: non-singular systems with known solutions', () => {
  it('returns x for the identity (no row may be swapped in for a zero below the diagonal)', () => {
    expect(solve([[1, 0], [0, 1]], [3, -4])).toEqual([3, -4]);
  });

  it('solves symmetric positive definite systems exactly built from integer solutions', () => {
    // A = [[4,1,2],[1,3,0],[2,0,5]] (diagonally dominant, SPD); x = (1, -2, 3): b = A x.
    const A = [[4, 1, 2], [1, 3, 0], [2, 0, 5]];
    const x = [1, -2, 3];
    expect(times(A, x)).toEqual([8, -5, 17]); // 4 - 2 + 6, 1 - 6 + 0, 2 + 0 + 15
    solve(A, [8, -5, 17]).forEach((v, i) => expect(v).toBeCloseTo(x[i]!, 12));
    // A 5 x 5 normal-equations matrix B^T B + I (B has small integer entries), as KernelSHAP and LIME build.
    const B = [[1, 2, 0, -1, 3], [0, 1, 4, 2, -2], [2, -1, 1, 0, 1], [3, 0, -2, 1, 1], [-1, 1, 1, 2, 0], [1, 1, 1, 1, 1]];
    const normal = Array.from({ length: 5 }, (_, i) => Array.from({ length: 5 }, (_, k) => B.reduce((s, row) => s + row[i]! * row[k]!, 0) + (i === k ? 1 : 0)));
    const x5 = [2, -1, 0.5, 3, -4];
    solve(normal, times(normal, x5)).forEach((v, i) => expect(Math.abs(v - x5[i]!)).toBeLessThan(1e-12));
  });

  it('pivots a zero diagonal away (symmetric indefinite 2 x 2)', () => {
    // [[0, 2], [2, 1]] (x, y) = (4, 7): 2y = 4 -> y = 2; 2x + y = 7 -> x = 2.5.
    expect(solve([[0, 2], [2, 1]], [4, 7])).toEqual([2.5, 2]);
  });

  it('pivots in the first and in the second column of a symmetric indefinite 3 x 3', () => {
    // A = [[2,1,4],[1,1,2],[4,2,0]], det = -8. Column 0 pivots on row 2 (|4|); after eliminating,
    // the rows below are [0, 0.5, 2] and [0, 0, 2] (2 - (2/4) 2 = 0 in column 1), so column 1
    // must pivot on 0.5, not on a zero. x = (1, -2, 3): b = (2 - 2 + 12, 1 - 2 + 6, 4 - 4 + 0).
    const A = [[2, 1, 4], [1, 1, 2], [4, 2, 0]];
    const x = [1, -2, 3];
    expect(times(A, x)).toEqual([12, 5, 0]);
    solve(A, [12, 5, 0]).forEach((v, i) => expect(v).toBeCloseTo(x[i]!, 12));
  });

  it('swaps in the row with the largest pivot, so a tiny leading entry does not wreck the solution', () => {
    // [[1e-20, 1], [1, 1]] (x, y) = (1, 2): x = 1 / (1 - 1e-20) and y = (1 - 2e-20) / (1 - 1e-20),
    // both 1 to double precision. Kept in place, the 1e-20 pivot would fall below the tolerance
    // (1e-12 x 1) and x would be reported as unidentified (0).
    const x = solve([[1e-20, 1], [1, 1]], [1, 2]);
    expect(x[0]).toBeCloseTo(1, 12);
    expect(x[1]).toBeCloseTo(1, 12);
  });

  it('a 4 x 4 that needs a swap in column 0 (rows beyond the pivot keep their own entries)', () => {
    // Column 0 = (1, 5, 2, 3): pivot row 1. x = (1, 2, -1, 0.5).
    const A = [[1, 5, 2, 3], [5, 2, 1, 0], [2, 1, 6, 1], [3, 0, 1, 4]];
    const x = [1, 2, -1, 0.5];
    solve(A, times(A, x)).forEach((v, i) => expect(Math.abs(v - x[i]!)).toBeLessThan(1e-12));
  });
});

describe('solveLinearSystem: unidentified directions get coefficient 0 (as documented)', () => {
  it('a zero row and column: that coefficient is 0, the rest are solved', () => {
    // [[1,0],[0,0]] (x, y) = (3, 0): y is not identified -> 0.
    expect(solve([[1, 0], [0, 0]], [3, 0])).toEqual([3, 0]);
    // Same in the middle of a 3 x 3: [[2,0,1],[0,0,0],[1,0,2]] (x, z) = (1, 1) from b = (3, 0, 3).
    const x = solve([[2, 0, 1], [0, 0, 0], [1, 0, 2]], [3, 0, 3]);
    expect(x[1]).toBe(0);
    expect(x[0]).toBeCloseTo(1, 12);
    expect(x[2]).toBeCloseTo(1, 12);
  });

  it('a column that repeats an earlier one gets 0 and the earlier one the whole effect, even with tolerance 0', () => {
    // [[1,1],[1,1]] (x, y) = (2, 2): eliminating leaves a pivot of exactly 0 in column 1, which is
    // "below" any tolerance including 0, so y = 0 and x = 2; the result still solves A x = b.
    for (const tolerance of [1e-12, 0]) {
      const x = solve([[1, 1], [1, 1]], [2, 2], tolerance);
      expect(x).toEqual([2, 0]);
      expect(times([[1, 1], [1, 1]], x)).toEqual([2, 2]);
    }
  });

  it('measures the tolerance against the largest diagonal entry', () => {
    // diag(1e6, 1e-7): 1e-7 <= 1e-12 * 1e6 = 1e-6, so the second direction is unidentified -> 0.
    expect(solve([[1e6, 0], [0, 1e-7]], [1e6, 1])).toEqual([1, 0]);
    // Same with the large entry second: the scale is the largest diagonal, wherever it is.
    expect(solve([[1e-7, 0], [0, 1e6]], [1, 1e6])).toEqual([0, 1]);
    // With a tolerance of 1e-14 (threshold 1e-8), 1e-7 is a genuine pivot: 1 / 1e-7 = 1e7.
    const x = solve([[1e6, 0], [0, 1e-7]], [1e6, 1], 1e-14);
    expect(x[0]).toBe(1);
    expect(x[1]).toBeCloseTo(1e7, 3);
  });

  it('falls back to an absolute tolerance when the diagonal is all zero', () => {
    // [[0, 1e-13], [1e-13, 0]]: the largest diagonal is 0, so the threshold is 1e-12 * 1 and both
    // pivots (1e-13, then 0) are below it: nothing is identified.
    expect(solve([[0, 1e-13], [1e-13, 0]], [1, 1])).toEqual([0, 0]);
    // A zero diagonal with an off-diagonal above the threshold is solved: (x, y) = (3, 5).
    expect(solve([[0, 1], [1, 0]], [5, 3])).toEqual([3, 5]);
  });
});
