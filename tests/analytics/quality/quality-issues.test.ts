import { describe, expect, it } from 'vitest';
import type { ColumnProfile } from '../../../src/analytics/quality/column-profiler.js';
import type { DatasetProfile } from '../../../src/analytics/quality/dataset-profiler.js';
import { qualityIssues } from '../../../src/analytics/quality/quality-issues.js';
import { DEFAULT_QUALITY_WEIGHTS, qualityScore } from '../../../src/analytics/quality/quality-score.js';
import { emptyTypeCounts } from '../../../src/analytics/quality/type-inference.js';

// Profiles written by hand (the input of qualityIssues and qualityScore), one finding at a time.

function column(overrides: Partial<ColumnProfile> & { name: string }): ColumnProfile {
  return {
    count: 100,
    nonMissingCount: 100,
    missing: 0,
    missingRate: 0,
    distinct: 10,
    distinctExact: true,
    distinctStandardError: 0,
    type: 'string',
    nullable: false,
    typeCounts: emptyTypeCounts(),
    mixedTypes: false,
    conforming: 100,
    semantic: [],
    topValuesExact: true,
    ...overrides,
  };
}

function numericColumn(name: string, outliers: number, count = 100, type: ColumnProfile['type'] = 'number'): ColumnProfile {
  return column({
    name,
    type,
    numeric: {
      count,
      mean: 0,
      std: 1,
      sampleVariance: 1,
      min: -1,
      max: 1,
      sum: 0,
      quantiles: {},
      quantilesExact: true,
      rankError: 0,
      histogram: { edges: [], counts: [], exact: true },
      outliers: { iqr: { lowerFence: -2.5, upperFence: 2.5, count: outliers, exact: true }, zScore: { threshold: 3, count: 0, exact: true } },
    },
  });
}

const profile = (columns: ColumnProfile[], duplicateRate = 0, rows = 100): DatasetProfile => ({
  rows,
  columns,
  missingCells: columns.reduce((s, c) => s + c.missing, 0),
  duplicates: { count: duplicateRate * rows, rate: duplicateRate, exact: true, standardError: 0 },
  rowsWithMissing: 0,
  completeRows: rows,
  duplicateRows: duplicateRate * rows,
  duplicateCompleteRows: duplicateRate * rows,
});

const codes = (p: DatasetProfile) => qualityIssues(p).map((i) => `${i.code}:${i.column ?? ''}:${i.severity}`);

describe('quality issues', () => {
  it('grades the duplicate rate: none to 1 %, low to 5 %, medium to 20 %, high above', () => {
    expect(codes(profile([], 0.01))).toEqual([]);
    expect(codes(profile([], 0.011))).toEqual(['high_duplicate_rate::low']);
    expect(codes(profile([], 0.05))).toEqual(['high_duplicate_rate::low']);
    expect(codes(profile([], 0.051))).toEqual(['high_duplicate_rate::medium']);
    expect(codes(profile([], 0.2))).toEqual(['high_duplicate_rate::medium']);
    expect(codes(profile([], 0.21))).toEqual(['high_duplicate_rate::high']);
    expect(qualityIssues(profile([], 0.125))[0]).toEqual({
      code: 'high_duplicate_rate',
      severity: 'medium',
      value: 0.125,
      message: '12.5% of rows are duplicates',
      recommendation: 'Check the extraction for repeated loads or joins; drop exact duplicates or add a key.',
    });
  });

  it('reports an empty column alone, and nothing for a column without rows', () => {
    const empty = column({ name: 'e', missing: 100, missingRate: 1, distinct: 0, type: 'empty', conforming: 0, mixedTypes: true });
    expect(qualityIssues(profile([empty]))).toEqual([
      { code: 'empty_column', severity: 'high', column: 'e', value: 1, message: 'e has no values', recommendation: 'Drop the column or fix its source.' },
    ]);
    expect(codes(profile([column({ name: 'none', count: 0, distinct: 0, conforming: 0 })], 0, 0))).toEqual([]);
  });

  it('grades the missing rate: none to 5 %, medium to 30 %, high above', () => {
    const missing = (rate: number) => column({ name: 'm', missing: rate * 100, missingRate: rate, conforming: 100 - rate * 100 });
    expect(codes(profile([missing(0.05)]))).toEqual([]);
    expect(codes(profile([missing(0.06)]))).toEqual(['high_missing_rate:m:medium']);
    expect(codes(profile([missing(0.3)]))).toEqual(['high_missing_rate:m:medium']);
    expect(codes(profile([missing(0.31)]))).toEqual(['high_missing_rate:m:high']);
    expect(qualityIssues(profile([missing(0.25)]))[0]).toEqual({
      code: 'high_missing_rate',
      severity: 'medium',
      column: 'm',
      value: 0.25,
      message: '25.0% of m is missing',
      recommendation: 'Find why values are missing; impute (median/mode or model-based) or add a missing indicator.',
    });
  });

  it('reports a constant column of more than one row', () => {
    expect(qualityIssues(profile([column({ name: 'k', distinct: 1 })]))).toEqual([
      { code: 'constant_column', severity: 'medium', column: 'k', value: 1, message: 'k holds a single value', recommendation: 'A constant carries no information for a model; drop it.' },
    ]);
    expect(codes(profile([column({ name: 'k', distinct: 1, count: 1, conforming: 1 })]))).toEqual([]);
    expect(codes(profile([column({ name: 'k', distinct: 2 })]))).toEqual([]);
  });

  it('grades mixed types by the share of the dominant type among non-missing values', () => {
    // 80 non-missing, 72 conforming: 90 % → medium; 71: below 90 % → high.
    const mixed = (conforming: number) => column({ name: 'x', missing: 20, missingRate: 0.2, mixedTypes: true, conforming });
    expect(qualityIssues(profile([mixed(72)])).find((i) => i.code === 'mixed_types')).toEqual({
      code: 'mixed_types',
      severity: 'medium',
      column: 'x',
      value: 1 - 72 / 80,
      message: '10.0% of x is not of its dominant type',
      recommendation: 'Normalise the values (parse numbers and dates, map sentinels such as "unknown" to missing).',
    });
    expect(codes(profile([mixed(71)]))).toContain('mixed_types:x:high');
    expect(codes(profile([column({ name: 'x', conforming: 50 })]))).toEqual([]);
  });

  it('grades IQR outliers of numeric columns: none to 1 %, low to 5 %, medium above', () => {
    expect(codes(profile([numericColumn('v', 1)]))).toEqual([]);
    expect(codes(profile([numericColumn('v', 2)]))).toEqual(['outliers:v:low']);
    expect(codes(profile([numericColumn('v', 5)]))).toEqual(['outliers:v:low']);
    expect(codes(profile([numericColumn('v', 6)]))).toEqual(['outliers:v:medium']);
    // The rate is over the numeric values, not the rows: 3 of 50.
    expect(qualityIssues(profile([numericColumn('v', 3, 50, 'integer')]))).toEqual([
      {
        code: 'outliers',
        severity: 'medium',
        column: 'v',
        value: 0.06,
        message: "6.0% of v lies outside Tukey's fences [-2.5, 2.5]",
        recommendation: 'Verify units and entry errors; cap, transform (log) or use robust models.',
      },
    ]);
    // A column typed string (numbers a minority) is not checked for outliers.
    expect(codes(profile([numericColumn('v', 50, 100, 'string')]))).toEqual([]);
  });

  it('reports a high-cardinality string column unless it is an id or e-mail', () => {
    const many = (distinct: number, extra: Partial<ColumnProfile> = {}) => column({ name: 's', distinct, ...extra });
    expect(qualityIssues(profile([many(51)]))).toEqual([
      {
        code: 'high_cardinality_categorical',
        severity: 'low',
        column: 's',
        value: 51,
        message: 's has 51 distinct values',
        recommendation: 'Group rare categories, hash or target-encode, or treat as free text.',
      },
    ]);
    expect(codes(profile([many(50)]))).toEqual([]);
    // Reported above needs more than half of the non-missing values distinct too: 51 of 102 is not.
    expect(codes(profile([many(51, { count: 102, conforming: 102 })]))).toEqual([]);
    expect(codes(profile([many(80, { semantic: ['id'] })]))).toEqual([]);
    expect(codes(profile([many(80, { type: 'integer' })]))).toEqual([]);
  });

  it('flags personal data by e-mail values (high) or by the column name (medium)', () => {
    const emails = column({ name: 'contact', semantic: ['email'], strings: { count: 100, minLength: 5, maxLength: 20, meanLength: 12, emailCount: 95 } });
    expect(qualityIssues(profile([emails]))).toEqual([
      {
        code: 'possible_pii',
        severity: 'high',
        column: 'contact',
        value: 0.95,
        message: 'contact holds e-mail addresses',
        recommendation: 'Confirm a lawful basis; drop, pseudonymise or restrict access before training.',
      },
    ]);
    for (const name of ['email', 'E-Mail', 'phone_number', 'mobile', 'ssn', 'social_security', 'passport', 'national id', 'IBAN', 'credit-card', 'home_address', 'birth_date', 'dob']) {
      const [issue] = qualityIssues(profile([column({ name })]));
      expect(issue, name).toMatchObject({ code: 'possible_pii', severity: 'medium', value: 0, message: `${name} may hold personal data (by its name)` });
    }
    expect(codes(profile([column({ name: 'country' })]))).toEqual([]);
  });
});

describe('quality score by hand', () => {
  it('weighs completeness, uniqueness, validity and consistency 0.4 / 0.2 / 0.3 / 0.1', () => {
    // 2 columns × 100 rows, 20 cells missing → completeness 0.9; duplicates 10 % → uniqueness 0.9;
    // non-missing 180, conforming 171 → validity 0.95; one numeric column with 4 of 80 outliers → consistency 0.95.
    const a = column({ name: 'a', missing: 20, missingRate: 0.2, conforming: 76 });
    const b = { ...numericColumn('b', 4, 80, 'integer'), conforming: 95 };
    const score = qualityScore(profile([a, b], 0.1));
    expect(score.components.completeness).toBeCloseTo(0.9, 15);
    expect(score.components.uniqueness).toBeCloseTo(0.9, 15);
    expect(score.components.validity).toBeCloseTo(171 / 180, 15);
    expect(score.components.consistency).toBeCloseTo(0.95, 15);
    expect(score.score).toBeCloseTo(100 * (0.4 * 0.9 + 0.2 * 0.9 + 0.3 * (171 / 180) + 0.1 * 0.95), 12);
    expect(score.weights).toEqual({ completeness: 0.4, uniqueness: 0.2, validity: 0.3, consistency: 0.1 });
    expect(DEFAULT_QUALITY_WEIGHTS).toEqual(score.weights);
  });

  it('normalises by the sum of the weights given', () => {
    const a = column({ name: 'a', missing: 50, missingRate: 0.5, conforming: 50 });
    // Completeness 0.5 only: weights 2, 0, 0, 0 → 50.
    expect(qualityScore(profile([a]), { completeness: 2, uniqueness: 0, validity: 0, consistency: 0 }).score).toBeCloseTo(50, 12);
    // Validity only: conforming 50 of 50 non-missing → 100.
    expect(qualityScore(profile([a]), { completeness: 0, uniqueness: 0, validity: 3, consistency: 0 }).score).toBeCloseTo(100, 12);
    expect(qualityScore(profile([a], 0.3), { completeness: 0, uniqueness: 1, validity: 0, consistency: 0 }).score).toBeCloseTo(70, 12);
    // Clamped to [0, 100] whatever the weights: 100 · (3 · 0.5 − 2 · 1) = −50 and 100 · (−0.5 + 2) = 150.
    expect(qualityScore(profile([a]), { completeness: 3, uniqueness: -2, validity: 0, consistency: 0 }).score).toBe(0);
    expect(qualityScore(profile([a]), { completeness: -1, uniqueness: 2, validity: 0, consistency: 0 }).score).toBe(100);
  });

  it('averages the outlier rate over numeric columns only, and treats an empty profile as perfect', () => {
    const x = numericColumn('x', 10, 100, 'number');
    const y = numericColumn('y', 30, 100, 'integer');
    const s = numericColumn('s', 90, 100, 'string');
    expect(qualityScore(profile([x, y, s])).components.consistency).toBeCloseTo(0.8, 15);
    const empty = qualityScore(profile([], 0, 0));
    expect(empty.components).toEqual({ completeness: 1, uniqueness: 1, validity: 1, consistency: 1 });
    expect(empty.score).toBeCloseTo(100, 12);
    // No non-missing value: validity 1.
    const blank = column({ name: 'b', missing: 100, missingRate: 1, conforming: 0 });
    expect(qualityScore(profile([blank])).components.validity).toBe(1);
  });
});
