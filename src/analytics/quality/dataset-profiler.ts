import { createColumnProfiler, DEFAULT_MISSING_TOKENS, type Cell, type ColumnProfile, type ColumnProfilerOptions } from './column-profiler.js';
import { createHyperLogLog } from './hyperloglog.js';
import { hashLanes, hashNumber, hashString } from './murmur-hash.js';
import { createRowHashSet } from './row-hash-set.js';
import { mulberry32 } from '../seeded-random.js';

/**
 * Profile of a table pushed row by row (or in column chunks) in one pass with bounded memory.
 * Duplicate rows: each row is hashed to 64 bits (murmur-hash.ts lanes folded over the cells);
 * distinct row hashes are kept exactly up to `duplicateLimit` (default 2^20), so the duplicate
 * count is exact up to hash collisions; beyond that it is estimated as rows - HLL(distinct rows),
 * whose standard error is 1.04/√m of the distinct count (`standardError` in the result).
 * Rows are compared as pandas' DataFrame.duplicated() compares them: a missing cell (null, NaN,
 * a missing token, blank) equals every other missing cell of its column, so `duplicateRows` is
 * `df.duplicated().sum()` and `duplicateCompleteRows` is `df.dropna().duplicated().sum()`.
 */

export type DatasetProfilerOptions = Omit<ColumnProfilerOptions, 'random'> & {
  /** Seed of the generator used by the quantile sketches (default 1). */
  seed?: number;
  duplicateLimit?: number;
};

export type DatasetProfile = {
  rows: number;
  columns: ColumnProfile[];
  missingCells: number;
  duplicates: { count: number; rate: number; exact: boolean; standardError: number };
  /** pandas-named row counts: `df.isna().any(axis=1).sum()`, `len(df.dropna())`. */
  rowsWithMissing: number;
  completeRows: number;
  /** `df.duplicated().sum()` (keep='first', missing equal to missing); equals duplicates.count. */
  duplicateRows: number;
  /**
   * `df.dropna().duplicated().sum()`: duplicates among the complete rows; exact up to the same
   * limit, estimated past it as `duplicates.count` is (complete rows minus their estimated distinct
   * count; `duplicates.exact` is false then too: complete rows are some of the rows).
   */
  duplicateCompleteRows: number;
};

/** Chunk of consecutive rows for one column: a Float64Array (NaN = missing) or an array of cells. */
export type ColumnChunk = Float64Array | readonly Cell[];

export function createDatasetProfiler(columns: readonly string[], options: DatasetProfilerOptions = {}) {
  const random = mulberry32(options.seed ?? 1);
  const profilers = columns.map((name) => createColumnProfiler(name, { ...options, random }));
  const duplicateLimit = options.duplicateLimit ?? 1 << 20;
  const hllPrecision = options.hllPrecision ?? 14;
  const rowSet = createRowHashSet(duplicateLimit);
  const completeRowSet = createRowHashSet(duplicateLimit);
  const missingTokens = new Set(options.missingTokens ?? DEFAULT_MISSING_TOKENS);
  // As the column profiler reads a cell: '' is missing as a token (a default one), not as whitespace.
  const isMissing = (v: Cell) => v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v)) || (typeof v === 'string' && (missingTokens.has(v) || (v.length > 0 && v.trim() === '')));
  let rowMissing = false;
  let rowsWithMissing = 0;
  let completeDuplicates = 0;
  let completeOverflowed = false;
  const rowHll = createHyperLogLog(hllPrecision);
  // Past the limit the complete rows' duplicates are estimated from their distinct count; counting
  // stopped there once (a duplicate count frozen at the limit, reported as if exact).
  const completeRowHll = createHyperLogLog(hllPrecision);
  let rows = 0;
  let duplicates = 0;
  let overflowed = false;
  let r0 = 0;
  let r1 = 0;

  const mixCell = (v: Cell, column: number) => {
    if (isMissing(v)) {
      rowMissing = true;
      hashNumber(Number.NaN, 3 + column);
    } else if (typeof v === 'number') hashNumber(v, column);
    else if (typeof v === 'boolean') hashNumber(v ? 1 : 0, 0x100 + column);
    else hashString(v as string, column);
    r0 = Math.imul(((r0 << 5) | (r0 >>> 27)) ^ hashLanes[0]!, 0x9e3779b1);
    r1 = Math.imul(((r1 << 7) | (r1 >>> 25)) ^ hashLanes[1]!, 0x85ebca77);
  };

  const endRow = () => {
    rows++;
    const l0 = (r0 ^ (r0 >>> 15)) >>> 0;
    const l1 = (r1 ^ (r1 >>> 13)) >>> 0;
    rowHll.add(l0, l1);
    if (!overflowed) {
      const added = rowSet.add(l0, l1);
      if (added === false) duplicates++;
      else if (added === undefined) overflowed = true;
    }
    if (rowMissing) rowsWithMissing++;
    else {
      completeRowHll.add(l0, l1);
      if (!completeOverflowed) {
        const added = completeRowSet.add(l0, l1);
        if (added === false) completeDuplicates++;
        else if (added === undefined) completeOverflowed = true;
      }
    }
    rowMissing = false;
  };

  return {
    pushRow(values: readonly Cell[]) {
      r0 = 0x2545f491;
      r1 = 0x6c8e9cf5;
      for (let c = 0; c < profilers.length; c++) {
        const v = values[c];
        profilers[c]!.push(v);
        mixCell(v, c);
      }
      endRow();
    },
    /** Rows [0, length) of every column at once; typed numeric chunks skip per-cell type checks. */
    pushColumns(chunks: readonly ColumnChunk[]) {
      if (chunks.length !== profilers.length) throw new RangeError('one chunk per column expected');
      const length = chunks[0]?.length ?? 0;
      for (let r = 0; r < length; r++) {
        r0 = 0x2545f491;
        r1 = 0x6c8e9cf5;
        for (let c = 0; c < profilers.length; c++) {
          const chunk = chunks[c]!;
          const v = chunk[r];
          if (chunk instanceof Float64Array) profilers[c]!.pushNumber(v as number);
          else profilers[c]!.push(v);
          mixCell(v, c);
        }
        endRow();
      }
    },
    result(): DatasetProfile {
      const columnProfiles = profilers.map((p) => p.result());
      const estimated = Math.max(0, rows - Math.round(rowHll.estimate()));
      const count = overflowed ? estimated : duplicates;
      return {
        rows,
        columns: columnProfiles,
        missingCells: columnProfiles.reduce((s, c) => s + c.missing, 0),
        duplicates: { count, rate: rows > 0 ? count / rows : 0, exact: !overflowed, standardError: overflowed ? rowHll.standardError : 0 },
        rowsWithMissing,
        completeRows: rows - rowsWithMissing,
        duplicateRows: count,
        duplicateCompleteRows: completeOverflowed ? Math.max(0, rows - rowsWithMissing - Math.round(completeRowHll.estimate())) : completeDuplicates,
      };
    },
  };
}
