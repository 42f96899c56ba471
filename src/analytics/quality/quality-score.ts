import type { DatasetProfile } from './dataset-profiler.js';

/**
 * Data quality score in [0, 100]:
 *   score = 100 · (w_c·completeness + w_u·uniqueness + w_v·validity + w_k·consistency) / Σw
 * completeness = 1 - missing cells / cells;
 * uniqueness   = 1 - duplicate rows / rows;
 * validity     = non-missing values of their column's dominant type family / non-missing values;
 * consistency  = 1 - mean over numeric columns of the IQR-outlier rate (1 without numeric columns).
 * Default weights 0.4, 0.2, 0.3, 0.1 (completeness and validity weigh most, as in the ISO/IEC 25012
 * "inherent" characteristics; the weights are ours).
 */
export type QualityWeights = { completeness: number; uniqueness: number; validity: number; consistency: number };
export const DEFAULT_QUALITY_WEIGHTS: Readonly<QualityWeights> = { completeness: 0.4, uniqueness: 0.2, validity: 0.3, consistency: 0.1 };

export type QualityScore = { score: number; components: QualityWeights; weights: QualityWeights };

export function qualityScore(profile: DatasetProfile, weights: QualityWeights = DEFAULT_QUALITY_WEIGHTS): QualityScore {
  const cells = profile.rows * profile.columns.length;
  const completeness = cells > 0 ? 1 - profile.missingCells / cells : 1;
  const uniqueness = profile.rows > 0 ? 1 - profile.duplicates.rate : 1;
  let nonMissing = 0;
  let conforming = 0;
  let outlierRateSum = 0;
  let numericColumns = 0;
  for (const c of profile.columns) {
    nonMissing += c.count - c.missing;
    conforming += c.conforming;
    if (c.numeric && (c.type === 'integer' || c.type === 'number')) {
      numericColumns++;
      outlierRateSum += c.numeric.outliers.iqr.count / c.numeric.count;
    }
  }
  const validity = nonMissing > 0 ? conforming / nonMissing : 1;
  const consistency = numericColumns > 0 ? 1 - outlierRateSum / numericColumns : 1;
  const components = { completeness, uniqueness, validity, consistency };
  const total = weights.completeness + weights.uniqueness + weights.validity + weights.consistency;
  const score =
    (100 * (weights.completeness * completeness + weights.uniqueness * uniqueness + weights.validity * validity + weights.consistency * consistency)) / total;
  return { score: Math.min(100, Math.max(0, score)), components, weights };
}
