/**
 * Holm's step-down adjustment (Holm 1979), as statsmodels multipletests(method='holm'): with the
 * m p-values sorted ascending p(1) <= ... <= p(m), adjusted p(i) = max over j <= i of
 * min(1, (m - j + 1)·p(j)), returned in the input order. NaN p-values are left NaN and not counted in m.
 */
export function holmAdjust(pValues: readonly number[]): number[] {
  const indices = pValues.map((_, i) => i).filter((i) => !Number.isNaN(pValues[i]!));
  indices.sort((i, j) => pValues[i]! - pValues[j]! || i - j);
  const m = indices.length;
  const adjusted = pValues.map(() => Number.NaN);
  let running = 0;
  indices.forEach((index, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * pValues[index]!));
    adjusted[index] = running;
  });
  return adjusted;
}
