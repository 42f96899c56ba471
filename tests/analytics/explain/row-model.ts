import type { BatchPredict } from '../../../src/analytics/explain/model-contract.js';

/** A batch predict applying `f` to each row of `m` features, recording the rows of each call. */
export function rowModel(m: number, f: (x: ArrayLike<number>) => number): { predict: BatchPredict; calls: number[] } {
  const calls: number[] = [];
  const predict: BatchPredict = (X, n) => {
    calls.push(n);
    return Float64Array.from({ length: n }, (_, i) => f(X.subarray(i * m, (i + 1) * m)));
  };
  return { predict, calls };
}
