import { z } from 'zod';

/**
 * A dataset version's profile, quality issues and rule results as the API answers them: the
 * shapes src/analytics/quality computes (dataset-profiler.ts, column-profiler.ts,
 * quality-issues.ts, quality-rules.ts) and `dataset.profiled` / `quality.validated` record.
 * Statistics that do not exist for the data (the variance of one value: NaN) are null, as JSON
 * writes them; fields marked "absent in earlier profiles" were added to the profiler later, so
 * profiles recorded before lack them.
 */
const statistic = z.number().nullable();
const later = <T extends z.ZodType>(schema: T) => schema.optional().describe('Absent in profiles recorded by earlier versions');

export const qualityIssueSchema = z
  .object({
    code: z.enum(['empty_column', 'high_missing_rate', 'constant_column', 'high_duplicate_rate', 'outliers', 'mixed_types', 'high_cardinality_categorical', 'possible_pii']),
    severity: z.enum(['low', 'medium', 'high']),
    column: z.string().optional().describe('Absent for issues of the whole dataset (duplicates)'),
    value: statistic.describe('The measured value the issue is about (a rate, a count)'),
    message: z.string(),
    recommendation: z.string(),
  })
  .meta({ id: 'QualityIssue' });

const exactCount = z.object({ count: z.number().int(), exact: z.boolean() });

const numericProfile = z.object({
  count: z.number().int(),
  mean: statistic,
  std: statistic.describe('Sample standard deviation (ddof = 1, as pandas)'),
  sampleVariance: later(statistic),
  min: statistic,
  max: statistic,
  sum: statistic,
  quantiles: z.record(z.string(), statistic).describe('By probability ("0.25", "0.5"…)'),
  quantilesExact: z.boolean(),
  rankError: z.number().describe('Normalised rank error of quantiles, histogram and outlier counts (0 when exact)'),
  histogram: z.object({ edges: z.array(statistic), counts: z.array(z.number()), exact: z.boolean() }),
  outliers: z.object({
    iqr: exactCount.extend({ lowerFence: statistic, upperFence: statistic }),
    zScore: exactCount.extend({ threshold: z.number() }),
  }),
});

export const columnProfileSchema = z
  .object({
    name: z.string(),
    count: z.number().int().describe('Every cell, missing ones included'),
    nonMissingCount: later(z.number().int().describe("Non-missing cells: pandas' describe()['count']")),
    missing: z.number().int(),
    missingRate: z.number(),
    distinct: z.number(),
    distinctExact: z.boolean(),
    distinctStandardError: z.number(),
    type: z.enum(['integer', 'number', 'boolean', 'date', 'datetime', 'string', 'empty']),
    nullable: z.boolean(),
    typeCounts: z.record(z.string(), z.number().int()).describe('Non-missing values per value type'),
    mixedTypes: z.boolean(),
    conforming: z.number().int(),
    semantic: z.array(z.enum(['id', 'date', 'category', 'email', 'constant'])),
    numeric: numericProfile.optional(),
    topValues: z.array(z.object({ value: z.string(), count: z.number(), maxError: z.number() })).optional(),
    topValuesExact: z.boolean(),
    strings: z.object({ count: z.number().int(), minLength: z.number(), maxLength: z.number(), meanLength: statistic, emailCount: z.number().int() }).optional(),
  })
  .meta({ id: 'ColumnProfile' });

export const datasetProfileSchema = z
  .object({
    rows: z.number().int(),
    columns: z.array(columnProfileSchema),
    missingCells: z.number().int(),
    duplicates: z.object({ count: z.number(), rate: z.number(), exact: z.boolean(), standardError: z.number() }),
    rowsWithMissing: later(z.number().int()),
    completeRows: later(z.number().int()),
    duplicateRows: later(z.number().int()),
    duplicateCompleteRows: later(z.number().int()),
  })
  .meta({ id: 'DatasetProfile' });

export const ruleResultSchema = z
  .object({
    rule: z.string(),
    type: z.enum(['not_null', 'range', 'regex', 'allowed_values', 'unique', 'expression']),
    checked: z.number().int(),
    passed: z.number().int(),
    failed: z.number().int(),
    failingRows: z.array(z.number().int()).describe('0-based row indexes, capped by maxFailingRows'),
    failingRowsTruncated: z.boolean(),
    errors: z.number().int(),
  })
  .meta({ id: 'QualityRuleResult' });
