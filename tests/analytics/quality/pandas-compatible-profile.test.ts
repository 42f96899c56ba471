import { describe, expect, it } from 'vitest';
import { createDatasetProfiler } from '../../../src/analytics/quality/dataset-profiler.js';

// What pandas answers for this frame (written out by hand from pandas' documented semantics):
//   df.duplicated().sum() == 3 (rows 2 and 3 repeat row 1: missing equals missing; row 5 repeats row 4)
//   df.isna().any(axis=1).sum() == 4 (rows 1, 2, 3 and 6, whose 'NA' reads as missing), len(df.dropna()) == 3
//   df.dropna().duplicated().sum() == 1 (row 5)
//   df.describe()['a']['count'] == 7, df['c'].count() == 4, df['a'].var() == 4/7 (ddof 1)
const rows: (number | string | null)[][] = [
  [1, 'x', null],
  [1, 'x', null],
  [1, 'x', Number.NaN],
  [2, 'y', 3],
  [2, 'y', 3],
  [2, 'NA', 3],
  [3, 'z', 4],
];

describe('pandas-compatible profile fields', () => {
  const profiler = createDatasetProfiler(['a', 'b', 'c']);
  for (const row of rows) profiler.pushRow(row);
  const profile = profiler.result();

  it('counts duplicate rows as DataFrame.duplicated() does, and duplicates among complete rows', () => {
    expect(profile.duplicateRows).toBe(3);
    expect(profile.duplicates.count).toBe(3);
    expect(profile.duplicateCompleteRows).toBe(1);
  });

  it('counts rows with any missing value and complete rows', () => {
    expect(profile.rowsWithMissing).toBe(4);
    expect(profile.completeRows).toBe(3);
  });

  it('names the non-missing count (describe’s count) apart from all cells, and gives the sample variance', () => {
    const [a, b, c] = profile.columns;
    expect(a).toMatchObject({ count: 7, nonMissingCount: 7 });
    expect(b).toMatchObject({ count: 7, nonMissingCount: 6, missing: 1 });
    expect(c).toMatchObject({ count: 7, nonMissingCount: 4, missing: 3 });
    expect(a!.numeric!.sampleVariance).toBeCloseTo(4 / 7, 14);
    expect(a!.numeric!.std).toBeCloseTo(Math.sqrt(4 / 7), 14);
    expect(c!.numeric!.sampleVariance).toBeCloseTo(0.25, 14); // 3 3 3 4: mean 3.25, (3 * 0.0625 + 0.5625) / 3
  });

  it('gives the same counts when pushed as column chunks', () => {
    const chunked = createDatasetProfiler(['a', 'b', 'c']);
    chunked.pushColumns([Float64Array.from(rows, (r) => r[0] as number), rows.map((r) => r[1]!), rows.map((r) => r[2] ?? null)]);
    const p = chunked.result();
    expect([p.duplicateRows, p.duplicateCompleteRows, p.rowsWithMissing, p.completeRows]).toEqual([3, 1, 4, 3]);
  });
});
