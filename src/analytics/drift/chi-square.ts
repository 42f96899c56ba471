import { regularizedGammaQ } from './incomplete-gamma.js';

/** Survival function of the χ² distribution with `dof` degrees of freedom: Q(dof/2, x/2). */
export function chiSquareSurvival(x: number, dof: number): number {
  if (!(dof > 0)) return Number.NaN;
  if (x === Number.POSITIVE_INFINITY) return 0;
  return regularizedGammaQ(dof / 2, x / 2);
}

export type ChiSquareResult = { statistic: number; dof: number; pValue: number };

/**
 * Pearson's χ² goodness-of-fit test, as scipy.stats.chisquare(f_obs, f_exp): statistic
 * Σ (O - E)² / E over the k cells, k - 1 degrees of freedom. A cell with E = 0 and O > 0 makes the
 * statistic infinite (p = 0); a cell with E = O = 0 contributes nothing (scipy gives NaN there;
 * such cells are dropped before calling this from the drift test).
 */
export function chiSquareGoodnessOfFit(observed: ArrayLike<number>, expected: ArrayLike<number>): ChiSquareResult {
  if (observed.length !== expected.length) throw new RangeError('observed and expected differ in length');
  let statistic = 0;
  for (let i = 0; i < observed.length; i++) {
    const o = observed[i]!;
    const e = expected[i]!;
    if (e === 0) {
      if (o !== 0) statistic = Number.POSITIVE_INFINITY;
      continue;
    }
    statistic += ((o - e) * (o - e)) / e;
  }
  const dof = observed.length - 1;
  return { statistic, dof, pValue: dof > 0 ? chiSquareSurvival(statistic, dof) : 1 };
}

/**
 * Evidently's categorical drift test ("chisquare", chisquare_stattest.py): over the union of the
 * categories seen in either sample, expected current counts are the reference counts scaled by
 * n_current / n_reference, observed are the current counts. Drift when p < threshold.
 */
export function chiSquareDriftTest(reference: ReadonlyMap<string, number>, current: ReadonlyMap<string, number>): ChiSquareResult {
  const keys = new Set<string>([...reference.keys(), ...current.keys()]);
  let nRef = 0;
  let nCur = 0;
  for (const v of reference.values()) nRef += v;
  for (const v of current.values()) nCur += v;
  const observed = new Float64Array(keys.size);
  const expected = new Float64Array(keys.size);
  const scale = nCur / nRef;
  let i = 0;
  for (const k of keys) {
    observed[i] = current.get(k) ?? 0;
    expected[i] = (reference.get(k) ?? 0) * scale;
    i++;
  }
  return chiSquareGoodnessOfFit(observed, expected);
}
