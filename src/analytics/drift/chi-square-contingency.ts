import { chiSquareSurvival, type ChiSquareResult } from './chi-square.js';

/**
 * scipy.stats.chi2_contingency on the 2 × k table (reference counts; current counts) over the
 * union of categories: expected = row total × column total / N, dof = k − 1, and with
 * `correction` (scipy's default) Yates' continuity correction when dof = 1: each observed count
 * moves towards its expected one by min(0.5, |E − O|) (scipy gh-13875).
 */
export function chiSquareContingency(reference: ReadonlyMap<string, number>, current: ReadonlyMap<string, number>, correction = true): ChiSquareResult & { correction: boolean; expected: { reference: number[]; current: number[] } } {
  const keys = [...new Set([...reference.keys(), ...current.keys()])];
  const rows = [keys.map((k) => reference.get(k) ?? 0), keys.map((k) => current.get(k) ?? 0)];
  const rowTotals = rows.map((r) => r.reduce((a, b) => a + b, 0));
  const n = rowTotals[0]! + rowTotals[1]!;
  const columnTotals = keys.map((_, j) => rows[0]![j]! + rows[1]![j]!);
  const expected = rows.map((_, i) => columnTotals.map((c) => (rowTotals[i]! * c) / n));
  const dof = keys.length - 1;
  if (dof === 0) return { statistic: 0, dof: 0, pValue: 1, correction: false, expected: { reference: expected[0]!, current: expected[1]! } };
  const corrected = correction && dof === 1;
  let statistic = 0;
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < keys.length; j++) {
      const e = expected[i]![j]!;
      let o = rows[i]![j]!;
      if (corrected) o += Math.sign(e - o) * Math.min(0.5, Math.abs(e - o));
      statistic += ((o - e) * (o - e)) / e;
    }
  }
  return { statistic, dof, pValue: chiSquareSurvival(statistic, dof), correction: corrected, expected: { reference: expected[0]!, current: expected[1]! } };
}
