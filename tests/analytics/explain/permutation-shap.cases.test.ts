import { describe, expect, it } from 'vitest';
import { permutationShap } from '../../../src/analytics/explain/permutation-shap.js';
import type { FeatureMatrix } from '../../../src/analytics/explain/model-contract.js';
import { rowModel } from './row-model.js';
import { mulberry32, shuffleInPlace } from '../../../src/analytics/seeded-random.js';

function randomMatrix(nRows: number, nFeatures: number, seed: number): FeatureMatrix {
  const random = mulberry32(seed);
  return { data: Float64Array.from({ length: nRows * nFeatures }, () => random() * 4 - 2), nRows, nFeatures };
}

const coef = [2, -1, 0.5, 3];
const linear = (x: ArrayLike<number>) => 1 + coef.reduce((s, c, j) => s + c * x[j]!, 0);

/** Shapley values of a linear model under the interventional game: c_j (x_j - mean_b z_bj). */
function linearShapley(rows: FeatureMatrix, background: FeatureMatrix): number[] {
  const m = rows.nFeatures;
  const out: number[] = [];
  for (let r = 0; r < rows.nRows; r++) {
    for (let j = 0; j < m; j++) {
      let mean = 0;
      for (let b = 0; b < background.nRows; b++) mean += background.data[b * m + j]! / background.nRows;
      out.push(coef[j]! * (rows.data[r * m + j]! - mean));
    }
  }
  return out;
}

describe('permutation SHAP: its options', () => {
  it('defaults to 10 seeded permutations: 10 x (2M + 1) coalitions per row, exact for a linear model', async () => {
    const background = randomMatrix(3, 4, 1);
    const rows = randomMatrix(2, 4, 2);
    const { predict, calls } = rowModel(4, linear);
    const result = await permutationShap(predict, rows, background);
    const expected = linearShapley(rows, background);
    expected.forEach((e, i) => expect(result.values[i]).toBeCloseTo(e, 12));
    // f(rows), f(background), then per row 10 x 9 coalitions x 3 background rows in one call.
    expect(calls).toEqual([2, 3, 270, 270]);
  });

  it('evaluates nPermutations x (2M + 1) coalitions per row, in calls of at most maxBatchRows rows', async () => {
    const background = randomMatrix(2, 4, 3);
    const rows = randomMatrix(3, 4, 4);
    const { predict, calls } = rowModel(4, linear);
    const result = await permutationShap(predict, rows, background, { nPermutations: 3, random: mulberry32(5) });
    linearShapley(rows, background).forEach((e, i) => expect(result.values[i]).toBeCloseTo(e, 12));
    // 3 x 9 = 27 coalitions x 2 background rows = 54 rows for each of the 3 rows.
    expect(calls).toEqual([3, 2, 54, 54, 54]);
    const chunked = rowModel(4, linear);
    await permutationShap(chunked.predict, rows, background, { nPermutations: 3, random: mulberry32(5), maxBatchRows: 20 });
    // 20 rows = 10 coalitions per call: 27 coalitions in 10 + 10 + 7 (as 20, 20, 14 rows), per row.
    expect(chunked.calls).toEqual([3, 2, 20, 20, 14, 20, 20, 14, 20, 20, 14]);
  });

  it('walks the order the supplied generator gives, forwards and backwards', async () => {
    // Fisher-Yates with random() = 0 swaps positions 2 and 0, then 1 and 0: (0,1,2) -> (2,1,0) -> (1,2,0).
    const zero = () => 0;
    expect(Array.from(shuffleInPlace(Int32Array.from([0, 1, 2]), zero))).toEqual([1, 2, 0]);
    let draws = 0;
    const counting = () => {
      draws++;
      return 0;
    };
    // f = x0 x1 x2 + x0 at x = (1,1,1), background (0,0,0): v(S) = [0 in S] + [S = all].
    const f = (x: ArrayLike<number>) => x[0]! * x[1]! * x[2]! + x[0]!;
    const { predict } = rowModel(3, f);
    const result = await permutationShap(predict, { data: Float64Array.of(1, 1, 1), nRows: 1, nFeatures: 3 }, { data: Float64Array.of(0, 0, 0), nRows: 1, nFeatures: 3 }, { nPermutations: 1, random: counting });
    expect(draws).toBe(2);
    // Forward order 1, 2, 0: feature 1 adds v({1}) - v({}) = 0, feature 2 adds v({1,2}) - v({1}) = 0,
    // feature 0 adds v(all) - v({1,2}) = 2. Backward (removing 1, then 2, then 0 from all):
    // feature 1 adds v(all) - v({0,2}) = 1, feature 2 adds v({0,2}) - v({0}) = 0, feature 0 adds
    // v({0}) - v({}) = 1. Averages: (1.5, 0.5, 0). (Exact Shapley would be (4/3, 1/3, 1/3).)
    expect(Array.from(result.values)).toEqual([1.5, 0.5, 0]);
    expect(result.baseValue).toBe(0);
    expect(result.outputs[0]).toBe(2);
  });
});
