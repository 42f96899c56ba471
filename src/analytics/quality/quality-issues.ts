import type { DatasetProfile } from './dataset-profiler.js';

/** Findings drawn from a profile, each with a severity and a recommendation; thresholds below. */
export type QualityIssueCode =
  | 'empty_column'
  | 'high_missing_rate'
  | 'constant_column'
  | 'high_duplicate_rate'
  | 'outliers'
  | 'mixed_types'
  | 'high_cardinality_categorical'
  | 'possible_pii';
export type Severity = 'low' | 'medium' | 'high';
export type QualityIssue = { code: QualityIssueCode; severity: Severity; column?: string; value: number; message: string; recommendation: string };

const PII_NAME = /e-?mail|phone|mobile|ssn|social.?security|passport|national.?id|iban|credit.?card|address|birth|dob/i;
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export function qualityIssues(profile: DatasetProfile): QualityIssue[] {
  const issues: QualityIssue[] = [];
  const dup = profile.duplicates.rate;
  if (dup > 0.01)
    issues.push({
      code: 'high_duplicate_rate',
      severity: dup > 0.2 ? 'high' : dup > 0.05 ? 'medium' : 'low',
      value: dup,
      message: `${pct(dup)} of rows are duplicates`,
      recommendation: 'Check the extraction for repeated loads or joins; drop exact duplicates or add a key.',
    });
  for (const c of profile.columns) {
    const nonMissing = c.count - c.missing;
    if (c.count > 0 && nonMissing === 0) {
      issues.push({ code: 'empty_column', severity: 'high', column: c.name, value: 1, message: `${c.name} has no values`, recommendation: 'Drop the column or fix its source.' });
      continue;
    }
    if (c.missingRate > 0.05)
      issues.push({
        code: 'high_missing_rate',
        severity: c.missingRate > 0.3 ? 'high' : 'medium',
        column: c.name,
        value: c.missingRate,
        message: `${pct(c.missingRate)} of ${c.name} is missing`,
        recommendation: 'Find why values are missing; impute (median/mode or model-based) or add a missing indicator.',
      });
    if (c.distinct === 1 && c.count > 1)
      issues.push({ code: 'constant_column', severity: 'medium', column: c.name, value: 1, message: `${c.name} holds a single value`, recommendation: 'A constant carries no information for a model; drop it.' });
    if (c.mixedTypes) {
      const share = c.conforming / nonMissing;
      issues.push({
        code: 'mixed_types',
        severity: share < 0.9 ? 'high' : 'medium',
        column: c.name,
        value: 1 - share,
        message: `${pct(1 - share)} of ${c.name} is not of its dominant type`,
        recommendation: 'Normalise the values (parse numbers and dates, map sentinels such as "unknown" to missing).',
      });
    }
    const out = c.numeric?.outliers.iqr;
    if (out && c.numeric && (c.type === 'integer' || c.type === 'number')) {
      const rate = out.count / c.numeric.count;
      if (rate > 0.01)
        issues.push({
          code: 'outliers',
          severity: rate > 0.05 ? 'medium' : 'low',
          column: c.name,
          value: rate,
          message: `${pct(rate)} of ${c.name} lies outside Tukey's fences [${out.lowerFence}, ${out.upperFence}]`,
          recommendation: 'Verify units and entry errors; cap, transform (log) or use robust models.',
        });
    }
    if (c.type === 'string' && !c.semantic.includes('id') && !c.semantic.includes('email') && c.distinct > 50 && c.distinct > 0.5 * nonMissing)
      issues.push({
        code: 'high_cardinality_categorical',
        severity: 'low',
        column: c.name,
        value: c.distinct,
        message: `${c.name} has ${c.distinct} distinct values`,
        recommendation: 'Group rare categories, hash or target-encode, or treat as free text.',
      });
    if (c.semantic.includes('email') || PII_NAME.test(c.name))
      issues.push({
        code: 'possible_pii',
        severity: c.semantic.includes('email') ? 'high' : 'medium',
        column: c.name,
        value: c.strings ? c.strings.emailCount / nonMissing : 0,
        message: c.semantic.includes('email') ? `${c.name} holds e-mail addresses` : `${c.name} may hold personal data (by its name)`,
        recommendation: 'Confirm a lawful basis; drop, pseudonymise or restrict access before training.',
      });
  }
  return issues;
}
