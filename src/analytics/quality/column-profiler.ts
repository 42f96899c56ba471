import { hashLanes, hashNumber, hashString } from './murmur-hash.js';
import { createHyperLogLog, type HyperLogLog } from './hyperloglog.js';
import { createQuantileSummary, type QuantileSummary } from './quantile-summary.js';
import type { Random } from '../seeded-random.js';
import { createSpaceSaving, type SpaceSaving } from './space-saving.js';
import { EMAIL, classifyString, emptyTypeCounts, inferColumnType, type ColumnType, type TypeCounts } from './type-inference.js';

/**
 * One-pass, memory-bounded profile of one column (see docs/drift-and-quality.md):
 * count and missing; distinct values exact up to `distinctLimit`, then HyperLogLog; top values with
 * exact counts up to the same bound, then Space-Saving; mean and sample standard deviation by
 * Welford's update (ddof = 1); min and max; quantiles exact up to `exactQuantileLimit` values, then
 * KLL; a fixed-bin histogram over [min, max] read from the quantile summary after the pass;
 * outliers by Tukey's fences (1.5·IQR) and by |z| > 3, counted from the same summary.
 */

export type Cell = string | number | boolean | null | undefined;
type Key = string | number | boolean;

export type ColumnProfilerOptions = {
  random: Random;
  distinctLimit?: number;
  heavyHitterCapacity?: number;
  topValues?: number;
  exactQuantileLimit?: number;
  kllK?: number;
  hllPrecision?: number;
  histogramBins?: number;
  /** Strings read as missing, besides whitespace-only strings. */
  missingTokens?: readonly string[];
  typeDominance?: number;
  categoryMaxDistinct?: number;
};

export const DEFAULT_MISSING_TOKENS: readonly string[] = ['', 'NA', 'N/A', 'n/a', 'NaN', 'nan', 'null', 'NULL', 'None', 'none'];
const QUANTILES = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99] as const;

export type SemanticHint = 'id' | 'date' | 'category' | 'email' | 'constant';

export type NumericProfile = {
  count: number;
  mean: number;
  /** Sample standard deviation (ddof = 1, as pandas' std). */
  std: number;
  /** Sample variance (ddof = 1), pandas' `var()`; NaN with fewer than two values. */
  sampleVariance: number;
  min: number;
  max: number;
  sum: number;
  quantiles: Record<string, number>;
  quantilesExact: boolean;
  /** Normalised rank error of quantiles, histogram and outlier counts (0 when exact). */
  rankError: number;
  histogram: { edges: number[]; counts: number[]; exact: boolean };
  outliers: {
    iqr: { lowerFence: number; upperFence: number; count: number; exact: boolean };
    zScore: { threshold: number; count: number; exact: boolean };
  };
};

export type ColumnProfile = {
  name: string;
  /** Every cell of the column, missing ones included (pandas' `len(df)`). */
  count: number;
  /** Non-missing cells: pandas' `describe()['count']` / `Series.count()`. */
  nonMissingCount: number;
  missing: number;
  missingRate: number;
  distinct: number;
  distinctExact: boolean;
  /** Relative standard error of `distinct` (0 when exact). */
  distinctStandardError: number;
  type: ColumnType;
  nullable: boolean;
  typeCounts: TypeCounts;
  mixedTypes: boolean;
  /** Non-missing values whose type belongs to the column's dominant type family. */
  conforming: number;
  semantic: SemanticHint[];
  numeric?: NumericProfile;
  topValues?: { value: string; count: number; maxError: number }[];
  topValuesExact: boolean;
  strings?: { count: number; minLength: number; maxLength: number; meanLength: number; emailCount: number };
};

/** 10^0 .. 10^15, all exact doubles. */
const POW10 = Array.from({ length: 16 }, (_, k) => 10 ** k);
/** Whether the last string `plainDecimal` accepted had a decimal point. */
let plainDecimalHadPoint = false;

/**
 * The value of a plain decimal string (optional sign, digits, optional point; 1 to 15 digits),
 * or NaN for any other string. Equal to `Number(s)` whenever it is not NaN: the digits make an
 * exact integer m < 10^15 and 10^k is exact, so m / 10^k is the correctly rounded value, as Number()
 * gives (Clinger's fast path). A cheap scan instead of a regular expression test plus Number().
 */
function plainDecimal(s: string): number {
  const n = s.length;
  let c = s.charCodeAt(0);
  const negative = c === 45;
  let i = negative || c === 43 ? 1 : 0;
  let m = 0;
  let digits = 0;
  let point = -1;
  for (; i < n; i++) {
    c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
    } else if (c === 46 && point < 0) point = i;
    else return Number.NaN;
  }
  if (digits === 0 || digits > 15) return Number.NaN;
  plainDecimalHadPoint = point >= 0;
  const x = point >= 0 ? m / POW10[n - 1 - point]! : m;
  return negative ? -x : x;
}

/** `Number(s)`, with a fast path for plain decimals such as "42", "-3.5" or "66694.47". */
export function numberFromText(s: string): number {
  const x = plainDecimal(s);
  return x === x ? x : Number(s);
}

const ID_NAME = /(?:^|[_\-\s])(?:id|uuid|guid|key)$|^(?:id|uuid|guid)(?:[_\-\s]|$)|[a-z](?:Id|ID|Uuid|Key)$/;

export type ColumnProfiler = { push(v: Cell): void; pushNumber(x: number): void; readonly count: number; result(): ColumnProfile };

export function createColumnProfiler(name: string, options: ColumnProfilerOptions): ColumnProfiler {
  const distinctLimit = options.distinctLimit ?? 10_000;
  const missingTokens = new Set(options.missingTokens ?? DEFAULT_MISSING_TOKENS);
  // First characters of the missing tokens, so that most values skip the set lookup (hashing a fresh string).
  const tokenStarts = new Uint8Array(128);
  let nonAsciiTokenStart = false;
  for (const token of missingTokens) {
    const c = token.charCodeAt(0);
    if (c < 128) tokenStarts[c] = 1;
    else if (c >= 128) nonAsciiTokenStart = true;
  }
  const typeCounts = emptyTypeCounts();
  let count = 0;
  let missing = 0;
  // Welford (1962) running mean and sum of squared deviations.
  let n = 0;
  let mean = 0;
  let m2 = 0;
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let quantiles: QuantileSummary | undefined;
  let exactCounts: Map<Key, number> | undefined = new Map();
  let hll: HyperLogLog | undefined;
  let heavy: SpaceSaving<Key> | undefined;
  let strCount = 0;
  let strMin = Number.POSITIVE_INFINITY;
  let strMax = 0;
  let strSum = 0;
  let emailCount = 0;

  const numeric = (x: number) => {
    n++;
    sum += x;
    const d = x - mean;
    mean += d / n;
    m2 += d * (x - mean);
    if (x < min) min = x;
    if (x > max) max = x;
    (quantiles ??= createQuantileSummary(options.random, { exactLimit: options.exactQuantileLimit, k: options.kllK })).push(x);
  };

  const hashKey = (key: Key) => {
    if (typeof key === 'number') hashNumber(key);
    else if (typeof key === 'boolean') hashNumber(key ? 1 : 0, 2);
    else hashString(key);
  };

  const overflow = () => {
    const map = exactCounts!;
    hll = createHyperLogLog(options.hllPrecision ?? 14);
    let numericKeys = 0;
    for (const key of map.keys()) {
      hashKey(key);
      hll.add(hashLanes[0]!, hashLanes[1]!);
      if (typeof key === 'number') numericKeys++;
    }
    // Heavy hitters of a continuous column mean little; they are tracked for mostly non-numeric keys.
    if (numericKeys * 2 < map.size) {
      const capacity = options.heavyHitterCapacity ?? 1000;
      heavy = createSpaceSaving<Key>(capacity);
      // Seeding with the largest exact counts keeps Space-Saving's bound: every dropped count ≤ the smallest kept.
      const top = [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, capacity);
      for (const [key, c] of top) heavy.offer(key, c);
    }
    exactCounts = undefined;
  };

  const distinct = (key: Key) => {
    if (exactCounts) {
      const c = exactCounts.get(key);
      if (c !== undefined) {
        exactCounts.set(key, c + 1);
        return;
      }
      if (exactCounts.size < distinctLimit) {
        exactCounts.set(key, 1);
        return;
      }
      overflow();
    }
    hashKey(key);
    hll!.add(hashLanes[0]!, hashLanes[1]!);
    heavy?.offer(key);
  };

  const pushNumber = (x: number) => {
    count++;
    if (Number.isNaN(x)) {
      missing++;
      return;
    }
    if (Number.isInteger(x)) typeCounts.integer++;
    else typeCounts.number++;
    numeric(x);
    distinct(x);
  };

  const push = (v: Cell) => {
    if (typeof v === 'number') return pushNumber(v);
    count++;
    if (v === null || v === undefined) {
      missing++;
      return;
    }
    if (typeof v === 'boolean') {
      typeCounts.boolean++;
      distinct(v);
      return;
    }
    const c0 = v.charCodeAt(0); // NaN for ''
    const mayBeToken = c0 < 128 ? tokenStarts[c0] === 1 : c0 >= 128 ? nonAsciiTokenStart : true;
    // Whitespace-only as `trim` sees it (the dataset profiler's test too): the first character is
    // ASCII whitespace or beyond ASCII (U+00A0, U+3000, U+FEFF...). '' is missing only as a token.
    if ((mayBeToken && missingTokens.has(v)) || ((c0 <= 32 || c0 >= 0xa0) && v.trim() === '')) {
      missing++;
      return;
    }
    if (c0 <= 57 && (c0 >= 48 || c0 === 45 || c0 === 43 || c0 === 46)) {
      // Plain decimals classify as classifyString would (integer without a point, number with one).
      const x = plainDecimal(v);
      if (x === x) {
        if (plainDecimalHadPoint) typeCounts.number++;
        else typeCounts.integer++;
        numeric(x);
        distinct(x);
        return;
      }
    }
    const t = classifyString(v);
    typeCounts[t]++;
    if (t === 'integer' || t === 'number') {
      const x = Number(v);
      numeric(x);
      distinct(x);
      return;
    }
    if (t === 'boolean') {
      distinct(v.toLowerCase() === 'true');
      return;
    }
    if (t === 'string') {
      strCount++;
      const len = v.length;
      strSum += len;
      if (len < strMin) strMin = len;
      if (len > strMax) strMax = len;
      if (v.includes('@') && EMAIL.test(v)) emailCount++;
    }
    distinct(v);
  };

  const numericProfile = (): NumericProfile | undefined => {
    if (!quantiles || n === 0) return undefined;
    const q = quantiles;
    const qs: Record<string, number> = {};
    for (const p of QUANTILES) qs[`p${Math.round(p * 100)}`] = q.quantile(p);
    const std = n > 1 ? Math.sqrt(m2 / (n - 1)) : Number.NaN;
    const q1 = q.quantile(0.25);
    const q3 = q.quantile(0.75);
    const lowerFence = q1 - 1.5 * (q3 - q1);
    const upperFence = q3 + 1.5 * (q3 - q1);
    const outside = (lo: number, hi: number) => Math.round(n * (q.rankBelow(lo) + 1 - q.rank(hi)));
    const bins = options.histogramBins ?? 20;
    const width = (max - min) / bins;
    const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? max : min + i * width));
    const counts: number[] = [];
    let prev = 0;
    for (let i = 1; i <= bins; i++) {
      const f = i === bins ? 1 : q.rankBelow(edges[i]!);
      counts.push(Math.round(n * (f - prev)));
      prev = f;
    }
    return {
      count: n,
      mean,
      std,
      sampleVariance: n > 1 ? m2 / (n - 1) : Number.NaN,
      min,
      max,
      sum,
      quantiles: qs,
      quantilesExact: q.exact,
      rankError: q.rankError,
      histogram: { edges: max > min ? edges : [min, max], counts: max > min ? counts : [n], exact: q.exact },
      outliers: {
        iqr: { lowerFence, upperFence, count: outside(lowerFence, upperFence), exact: q.exact },
        zScore: { threshold: 3, count: std > 0 ? outside(mean - 3 * std, mean + 3 * std) : 0, exact: q.exact },
      },
    };
  };

  const result = (): ColumnProfile => {
    const nonMissing = count - missing;
    const distinctCount = exactCounts ? exactCounts.size : Math.round(hll!.estimate());
    const inference = inferColumnType(typeCounts, options.typeDominance ?? 0.9);
    const semantic: SemanticHint[] = [];
    if (exactCounts && nonMissing > 0 && distinctCount === nonMissing && missing === 0 && ID_NAME.test(name)) semantic.push('id');
    if (inference.type === 'date' || inference.type === 'datetime') semantic.push('date');
    if (strCount > 0 && emailCount >= 0.9 * nonMissing) semantic.push('email');
    if (nonMissing > 0 && distinctCount === 1) semantic.push('constant');
    else if (
      (inference.type === 'string' || inference.type === 'boolean' || inference.type === 'integer') &&
      !semantic.includes('id') &&
      !semantic.includes('email') &&
      distinctCount <= (options.categoryMaxDistinct ?? 50) &&
      distinctCount * 2 <= nonMissing
    )
      semantic.push('category');
    const limit = options.topValues ?? 10;
    let topValues: ColumnProfile['topValues'];
    if (exactCounts)
      topValues = [...exactCounts.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, limit)
        .map(([k, c]) => ({ value: String(k), count: c, maxError: 0 }));
    else if (heavy) topValues = heavy.top(limit).map((e) => ({ value: String(e.key), count: e.count, maxError: e.maxError }));
    return {
      name,
      count,
      nonMissingCount: count - missing,
      missing,
      missingRate: count > 0 ? missing / count : 0,
      distinct: distinctCount,
      distinctExact: exactCounts !== undefined,
      distinctStandardError: hll ? hll.standardError : 0,
      type: inference.type,
      nullable: missing > 0,
      typeCounts: { ...typeCounts },
      mixedTypes: inference.mixedTypes,
      conforming: inference.conforming,
      semantic,
      ...(n > 0 ? { numeric: numericProfile() } : {}),
      ...(topValues ? { topValues } : {}),
      topValuesExact: exactCounts !== undefined,
      ...(strCount > 0 ? { strings: { count: strCount, minLength: strMin, maxLength: strMax, meanLength: strSum / strCount, emailCount } } : {}),
    };
  };

  return {
    push,
    pushNumber,
    get count() {
      return count;
    },
    result,
  };
}
