import { describe, expect, it } from 'vitest';
import type { Cell } from '../../../src/analytics/quality/column-profiler.js';
import { createColumnProfiler } from '../../../src/analytics/quality/column-profiler.js';
import { createDatasetProfiler, type DatasetProfilerOptions } from '../../../src/analytics/quality/dataset-profiler.js';
import { mulberry32 } from '../../../src/analytics/seeded-random.js';

// Hand-worked row counts, pandas' definitions (docs/drift-and-quality.md): a missing cell (null,
// undefined, NaN, a missing token, a blank string) equals any other missing cell of its column.
// The one hash-dependent case (past duplicateLimit) was checked with an independent Python
// implementation of the row hash (murmur-hash.ts lanes folded as in dataset-profiler.ts).

const profileRows = (columns: string[], rows: Cell[][], options: DatasetProfilerOptions = {}) => {
  const profiler = createDatasetProfiler(columns, options);
  for (const row of rows) profiler.pushRow(row);
  return profiler.result();
};

describe('rows with missing cells', () => {
  it('counts null, NaN, a missing token and a blank string as missing, and they equal each other', () => {
    const profile = profileRows(
      ['k', 'v'],
      [
        ['a', 1], // complete
        ['a', null],
        ['a', '  '], // blank: repeats row 2
        ['a', 'NA'], // token: repeats row 2
        ['a', Number.NaN], // repeats row 2
        ['b', 1], // complete
        ['a', 1], // complete, repeats row 1
      ],
    );
    expect(profile.rowsWithMissing).toBe(4);
    expect(profile.completeRows).toBe(3);
    expect(profile.duplicateRows).toBe(4);
    expect(profile.duplicates).toEqual({ count: 4, rate: 4 / 7, exact: true, standardError: 0 });
    expect(profile.duplicateCompleteRows).toBe(1);
    expect(profile.missingCells).toBe(4);
  });

  it('does not count a complete first row as missing', () => {
    const profile = profileRows(['k'], [['a'], ['b']]);
    expect(profile).toMatchObject({ rowsWithMissing: 0, completeRows: 2 });
  });
});

describe('row equality by cell kind', () => {
  it('tells different strings, numbers and booleans apart and finds their repeats', () => {
    // Six different values, then 'a', 2 and false again: 3 duplicates.
    const cells: Cell[] = ['a', 'b', 1, 2, true, false, 'a', 2, false];
    const profile = profileRows(
      ['x'],
      cells.map((c) => [c]),
    );
    expect(profile.duplicateRows).toBe(3);
    expect(profile.duplicateCompleteRows).toBe(3);
  });

  it('compares a boolean with a number the same way in every column position', () => {
    // 129 columns: two rows equal but for one cell, true in one and 1 in the other; whether that
    // makes a duplicate must not depend on which column the cell is in (here 0 or 128).
    const verdict = (column: number) => {
      const base: Cell[] = Array.from({ length: 129 }, (_, i) => `c${i}`);
      const withTrue = [...base];
      const withOne = [...base];
      withTrue[column] = true;
      withOne[column] = 1;
      return profileRows(
        base.map((_, i) => `col${i}`),
        [withTrue, withOne],
      ).duplicateRows;
    };
    expect(verdict(128)).toBe(verdict(0));
  });
});

describe('past the duplicate limit', () => {
  it('estimates duplicates as rows − HyperLogLog(distinct rows), with its standard error', () => {
    // duplicateLimit 2: 'c' finds the set full. The rows a, b, c hash to registers 253, 394 and 932
    // of 2^10, so linear counting gives 1024 · ln(1024 / 1021) ≈ 3.004 → 3 and 4 − 3 = 1.
    const profile = profileRows(
      ['k'],
      [['a'], ['b'], ['c'], ['a']],
      { duplicateLimit: 2, hllPrecision: 10 },
    );
    expect(profile.duplicates).toEqual({ count: 1, rate: 0.25, exact: false, standardError: 1.04 / 32 });
    expect(profile.duplicateRows).toBe(1);
  });

  it('estimates the complete rows\' duplicates the same way, instead of freezing their count at the limit', () => {
    // The same three distinct rows (registers 253, 394, 932: an estimate of 3), all complete, five
    // of them: pandas' df.dropna().duplicated().sum() is 2, and 5 − 3 = 2. Counting stopped at
    // the full set used to report 0 here (the repeats of a and b come after 'c' found it full).
    const profile = profileRows(['k'], [['a'], ['b'], ['c'], ['a'], ['b']], { duplicateLimit: 2, hllPrecision: 10 });
    expect(profile.duplicateRows).toBe(2);
    expect(profile.duplicateCompleteRows).toBe(2);
    expect(profile.duplicates.exact).toBe(false);
    // A row with a missing cell is not among the complete rows: 4 complete rows, 3 distinct, 1 duplicate.
    const withMissing = profileRows(['k'], [['a'], ['b'], ['c'], ['a'], [null]], { duplicateLimit: 2, hllPrecision: 10 });
    expect(withMissing.duplicateCompleteRows).toBe(1);
  });
});

describe('options, column chunks and empty input', () => {
  it('gives the column profilers its options', () => {
    const profile = profileRows(
      ['k'],
      [['a'], ['b'], ['b'], ['c']],
      { distinctLimit: 2, topValues: 1 },
    );
    expect(profile.columns[0]).toMatchObject({ distinctExact: false, topValuesExact: false });
    expect(profile.columns[0]!.topValues).toHaveLength(1);
    const exact = profileRows(['k'], [['a'], ['b'], ['b'], ['c']], { topValues: 1 });
    expect(exact.columns[0]!.topValues).toEqual([{ value: 'b', count: 2, maxError: 0 }]);
  });

  it('seeds the quantile sketches with `seed` (default 1)', () => {
    // Past exactQuantileLimit the KLL sketch draws from mulberry32(seed): the dataset's column must
    // match a column profiler fed the same values with that generator.
    const values = Array.from({ length: 300 }, (_, i) => (i * 7919) % 300);
    const sketchOptions = { exactQuantileLimit: 16, kllK: 8 };
    const viaDataset = (seed?: number) => {
      const p = createDatasetProfiler(['x'], { ...sketchOptions, ...(seed === undefined ? {} : { seed }) });
      for (const v of values) p.pushRow([v]);
      return p.result().columns[0]!.numeric!.quantiles;
    };
    const viaColumn = (seed: number) => {
      const p = createColumnProfiler('x', { random: mulberry32(seed), ...sketchOptions });
      for (const v of values) p.push(v);
      return p.result().numeric!.quantiles;
    };
    // The sketch is seed-sensitive on this input, so the comparisons below can tell seeds apart.
    expect(viaColumn(7)).not.toEqual(viaColumn(1));
    expect(viaDataset(7)).toEqual(viaColumn(7));
    expect(viaDataset()).toEqual(viaColumn(1));
  });

  it('rejects a chunk count that differs from the column count', () => {
    const profiler = createDatasetProfiler(['x', 'y']);
    expect(() => profiler.pushColumns([Float64Array.of(1)])).toThrow(new RangeError('one chunk per column expected'));
  });

  it('accepts no chunks for no columns and reports zero rows with a zero duplicate rate', () => {
    const profiler = createDatasetProfiler([]);
    profiler.pushColumns([]);
    expect(profiler.result()).toEqual({
      rows: 0,
      columns: [],
      missingCells: 0,
      duplicates: { count: 0, rate: 0, exact: true, standardError: 0 },
      rowsWithMissing: 0,
      completeRows: 0,
      duplicateRows: 0,
      duplicateCompleteRows: 0,
    });
  });

  it('profiles a cell-array chunk by its cells, not as numbers', () => {
    const profiler = createDatasetProfiler(['n', 's']);
    profiler.pushColumns([Float64Array.of(1.5, 2.5), ['ab', 'cde']]);
    const [n, s] = profiler.result().columns;
    expect(n).toMatchObject({ type: 'number', typeCounts: { number: 2, string: 0 } });
    expect(s).toMatchObject({ type: 'string', typeCounts: { integer: 0, number: 0, string: 2 } });
    expect(s!.numeric).toBeUndefined();
    expect(s!.strings).toEqual({ count: 2, minLength: 2, maxLength: 3, meanLength: 2.5, emailCount: 0 });
  });
});
