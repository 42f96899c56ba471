import { z } from 'zod';
import { defineEvent } from '../event-catalogue.js';

/**
 * Fairness results as ledger events (docs/fairness.md defines every number). The shapes mirror
 * the engine's reports (src/analytics/fairness) field for field, so the stored event is the
 * report a regulator sees; the route schemas reuse them for the OpenAPI document.
 */
// The engine's metric names (src/analytics/fairness; events may not import analytics). A published
// event type never changes shape: a new engine metric needs a new schema version here. A test
// checks these lists against the engine's.
export const GROUP_METRIC_NAMES = ['selectionRate', 'accuracy', 'truePositiveRate', 'falsePositiveRate', 'falseNegativeRate', 'precision', 'expectedCalibrationError', 'disparateImpact'] as const;
export const DISPARITY_METRIC_NAMES = [
  'demographicParityDifference',
  'demographicParityRatio',
  'disparateImpactRatio',
  'equalOpportunityDifference',
  'equalizedOddsDifference',
  'predictiveParityDifference',
  'accuracyDifference',
  'falsePositiveRateDifference',
  'calibrationDifference',
] as const;
export const REGRESSION_METRIC_NAMES = ['meanPrediction', 'meanError', 'meanAbsoluteError', 'rootMeanSquaredError'] as const;
const GROUP_METRICS = GROUP_METRIC_NAMES;
const DISPARITY_METRICS = DISPARITY_METRIC_NAMES;
const REGRESSION_METRICS = REGRESSION_METRIC_NAMES;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const count = z.number().nonnegative();

export const confidenceIntervalSchema = z
  .object({ lower: z.number().nullable(), upper: z.number().nullable(), level: z.number(), resamples: z.number().int(), undefinedResamples: z.number().int() })
  .meta({ id: 'FairnessConfidenceInterval', description: 'Bootstrap percentile interval (Efron & Tibshirani 1993, §13.3)' });

export const metricEstimateSchema = z.object({
  value: z.number().nullable(),
  reason: z.string().optional(),
  ci: confidenceIntervalSchema.optional(),
});

const disparitySchema = metricEstimateSchema.extend({ groupsCompared: z.array(z.string()) });

const groupMetrics = z.object(Object.fromEntries(GROUP_METRICS.map((m) => [m, metricEstimateSchema])) as Record<(typeof GROUP_METRICS)[number], typeof metricEstimateSchema>);
const disparityMetrics = z.object(Object.fromEntries(DISPARITY_METRICS.map((m) => [m, disparitySchema])) as Record<(typeof DISPARITY_METRICS)[number], typeof disparitySchema>);
const regressionMetrics = z.object(Object.fromEntries(REGRESSION_METRICS.map((m) => [m, metricEstimateSchema])) as Record<(typeof REGRESSION_METRICS)[number], typeof metricEstimateSchema>);
const regressionDifferences = z.object(Object.fromEntries(REGRESSION_METRICS.map((m) => [m, disparitySchema])) as Record<(typeof REGRESSION_METRICS)[number], typeof disparitySchema>);

const groupShape = {
  group: z.string(),
  levels: z.record(z.string(), z.string()),
  rows: count,
  weight: count,
  smallGroup: z.boolean(),
  includedInComparisons: z.boolean(),
};

// fairlearn / AIF360 parity table (src/analytics/fairness/metric-frame.ts; docs/fairness.md).
export const FRAME_RATE_NAMES = ['baseRate', 'selectionRate', 'truePositiveRate', 'falsePositiveRate', 'trueNegativeRate', 'falseNegativeRate', 'precision', 'negativePredictiveValue', 'accuracy', 'rocAuc'] as const;
const valued = z.object({ value: z.number().nullable(), reason: z.string().optional() });
const frameRow = z
  .object({ group: z.string(), n: z.number().int(), weight: count, tn: count, fp: count, fn: count, tp: count })
  .extend(Object.fromEntries(FRAME_RATE_NAMES.map((r) => [r, valued])) as Record<(typeof FRAME_RATE_NAMES)[number], typeof valued>);
const disparityPair = z.object({ difference: valued, ratio: valued });
const byMethod = z.object({ betweenGroups: disparityPair, toOverall: disparityPair });
const aggregated = z.object({ worstCase: valued, mean: valued });
const fairlearnMetrics = z.object({
  demographicParityDifference: valued,
  demographicParityRatio: valued,
  equalizedOddsDifference: aggregated,
  equalizedOddsRatio: aggregated,
  equalOpportunityDifference: valued,
  equalOpportunityRatio: valued,
  predictiveParityDifference: valued,
  predictiveParityRatio: valued,
  accuracyParityDifference: valued,
  accuracyParityRatio: valued,
});
export const AIF360_METRIC_NAMES = [
  'statisticalParityDifference',
  'disparateImpact',
  'equalOpportunityDifference',
  'averageOddsDifference',
  'averageAbsOddsDifference',
  'falsePositiveRateDifference',
  'falseNegativeRateDifference',
  'predictiveParityDifference',
  'errorRateDifference',
] as const;
const aif360Metrics = z.object(Object.fromEntries(AIF360_METRIC_NAMES.map((m) => [m, valued])) as Record<(typeof AIF360_METRIC_NAMES)[number], typeof valued>);
export const metricFrameSchema = z
  .object({
    overall: frameRow,
    byGroup: z.array(frameRow),
    disparities: z.object(Object.fromEntries(FRAME_RATE_NAMES.map((r) => [r, byMethod])) as Record<(typeof FRAME_RATE_NAMES)[number], typeof byMethod>),
    fairlearn: z.object({ betweenGroups: fairlearnMetrics, toOverall: fairlearnMetrics }),
    aif360: z
      .object({
        privilegedGroup: z.string(),
        privilegedRule: z.enum(['given', 'highest-selection-rate']),
        versus: z.array(aif360Metrics.extend({ unprivileged: z.string() })),
        restVersusPrivileged: aif360Metrics,
      })
      .nullable(),
  })
  .meta({ id: 'FairnessLibraryMetrics', description: "Every group, and overall, as fairlearn's MetricFrame and AIF360's ClassificationMetric report them" });

export const classificationReportSchema = z
  .object({
    task: z.literal('binary'),
    rows: z.number().int(),
    totalWeight: count,
    weighted: z.boolean(),
    hasScores: z.boolean(),
    calibrationBins: z.number().int(),
    minGroupSize: z.number().int(),
    groupings: z.array(
      z.object({
        name: z.string(),
        attributes: z.array(z.string()),
        referenceGroup: z.string().nullable(),
        referenceRule: z.enum(['highest-selection-rate', 'given']),
        includesSmallGroups: z.boolean(),
        smallGroups: z.array(z.string()),
        groups: z.array(z.object({ ...groupShape, isReference: z.boolean(), metrics: groupMetrics })),
        disparities: disparityMetrics,
        fourFifthsRule: z.object({ threshold: z.number(), ratio: z.number().nullable(), passed: z.boolean().nullable() }),
        /** Added after schema version 1 was published: absent from earlier events. */
        libraryMetrics: metricFrameSchema.optional(),
      }),
    ),
    bootstrap: z
      .object({ method: z.literal('percentile'), resampling: z.literal('multinomial-over-cells'), resamples: z.number().int(), level: z.number(), effectiveRows: z.number() })
      .nullable(),
  })
  .meta({ id: 'FairnessClassificationReport' });

export const regressionReportSchema = z
  .object({
    task: z.literal('regression'),
    rows: z.number().int(),
    groupings: z.array(
      z.object({
        name: z.string(),
        attributes: z.array(z.string()),
        includesSmallGroups: z.boolean(),
        smallGroups: z.array(z.string()),
        groups: z.array(z.object({ ...groupShape, metrics: regressionMetrics })),
        differences: regressionDifferences,
      }),
    ),
    bootstrap: z.object({ method: z.literal('percentile'), resampling: z.literal('rows'), resamples: z.number().int(), level: z.number() }).nullable(),
  })
  .meta({ id: 'FairnessRegressionReport' });

const ruleSchema = z.object({ metric: z.string(), threshold: z.number(), bound: z.enum(['upper', 'lower']) });

export const biasPolicySchema = z
  .object({
    rules: z.array(ruleSchema),
    groupings: z.array(z.string()).nullable(),
    severity: z.object({ upper: z.object({ medium: z.number(), high: z.number() }), lower: z.object({ medium: z.number(), high: z.number() }) }),
  })
  .meta({ id: 'BiasPolicy' });

export const biasCheckSchema = z.object({
  /** Stable name of the check, as listed in `failedChecks`: `<metric>[<grouping>]`. */
  id: z.string(),
  metric: z.string(),
  grouping: z.string(),
  attributes: z.array(z.string()),
  value: z.number().nullable(),
  ci: confidenceIntervalSchema.nullable(),
  threshold: z.number(),
  bound: z.enum(['upper', 'lower']),
  passed: z.boolean().nullable(),
  severity: z.enum(['none', 'low', 'medium', 'high']).nullable(),
  conclusive: z.boolean().nullable(),
  groupsCompared: z.array(z.string()),
  smallGroupsExcluded: z.array(z.string()),
  reason: z.string().optional(),
  recommendations: z.array(z.string()),
});

export const biasChecksSchema = z
  .object({
    policy: biasPolicySchema,
    passed: z.boolean(),
    failed: z.number().int(),
    undetermined: z.number().int(),
    highestSeverity: z.enum(['none', 'low', 'medium', 'high']),
    checks: z.array(biasCheckSchema),
  })
  .meta({ id: 'BiasChecks' });

export const assessmentOptionsSchema = z
  .object({
    minGroupSize: z.number().int(),
    includeSmallGroups: z.boolean(),
    intersections: z.union([z.enum(['none', 'pairwise-and-all', 'all']), z.array(z.array(z.string()))]),
    referenceGroups: z.record(z.string(), z.string()),
    calibrationBins: z.number().int(),
    /** AIF360's privileged group per grouping; absent from events before it was added. */
    privilegedGroups: z.record(z.string(), z.string()).optional(),
    /** Decisions are score ≥ this; null: the model's own decisions (or the given yPred). */
    decisionThreshold: z.number().nullable(),
    bootstrap: z.object({ resamples: z.number().int(), level: z.number(), seed: z.number().int() }).nullable(),
  })
  .meta({ id: 'FairnessOptions' });

export const FAIRNESS_SOURCES = ['model-rows', 'prediction-log', 'dataset'] as const;

export const fairnessAssessed = defineEvent({
  type: 'fairness.assessed',
  schemaVersion: 1,
  schema: z.object({
    /** null for a prediction log not tied to a registered model. */
    modelId: z.uuid().nullable(),
    modelVersion: z.number().int().positive().nullable(),
    source: z.enum(FAIRNESS_SOURCES),
    datasetId: z.string().nullable(),
    /** SHA-256 of the canonical JSON (RFC 8785) of the inputs: rows, labels, protected attributes. */
    inputsHash: sha256,
    /** SHA-256 of model, version, inputsHash, options and policy: identical requests share it. */
    requestHash: sha256,
    options: assessmentOptionsSchema,
    codeVersion: z.string(),
    report: z.discriminatedUnion('task', [classificationReportSchema, regressionReportSchema]),
    biasChecks: biasChecksSchema,
    /** Ids of the failed checks; empty when every check passed (what the deploy gate reads). */
    failedChecks: z.array(z.string()),
    elapsedMs: z.number().nonnegative(),
  }),
  description: 'Fairness metrics (per group, per intersection, disparities with bootstrap intervals) and bias checks against a policy, for a model version or a prediction log.',
});

const outcomeSummarySchema = z.object({
  accuracy: z.number(),
  demographicParityDifference: z.number().nullable(),
  equalizedOddsDifference: z.number().nullable(),
  groups: z.array(
    z.object({ group: z.string(), rows: z.number(), selectionRate: z.number(), truePositiveRate: z.number().nullable(), falsePositiveRate: z.number().nullable(), accuracy: z.number() }),
  ),
});

export const thresholdArtifactSchema = z
  .object({
    kind: z.literal('raia.fairness.threshold-optimizer'),
    version: z.literal(1),
    constraint: z.enum(['demographic_parity', 'equalized_odds']),
    tolerance: z.number(),
    attribute: z.string(),
    labels: z.array(z.string()),
    decision: z.literal('predict 1 when score >= threshold'),
    groups: z.array(
      z.object({
        code: z.number().int(),
        group: z.string(),
        thresholdHigh: z.number(),
        thresholdLow: z.number(),
        probabilityLow: z.number(),
        probabilityConstant: z.number(),
        constantRate: z.number(),
        expected: z.object({ selectionRate: z.number(), truePositiveRate: z.number().nullable(), falsePositiveRate: z.number().nullable() }),
      }),
    ),
  })
  .meta({ id: 'ThresholdArtifact' });

export const groupBaseRatesSchema = z.array(z.object({ group: z.string(), rows: z.number().int(), baseRateBefore: z.number(), baseRateAfter: z.number() }));

export const reweighingResultSchema = z
  .object({
    method: z.literal('reweighing'),
    attribute: z.string(),
    baseRate: z.number(),
    cells: z.array(z.object({ group: z.string(), levels: z.record(z.string(), z.string()), label: z.union([z.literal(0), z.literal(1)]), rows: z.number(), mass: z.number(), weight: z.number().nullable() })),
    /** P(y = 1 | group) before (unweighted) and after (weighted by the new weights). */
    groups: groupBaseRatesSchema,
  })
  .meta({ id: 'ReweighingResult' });

export const thresholdOptimizerResultSchema = z
  .object({
    method: z.literal('threshold-optimizer'),
    artifact: thresholdArtifactSchema,
    before: outcomeSummarySchema,
    afterExpected: outcomeSummarySchema,
    afterRealised: outcomeSummarySchema,
    accuracyCost: z.number(),
    constraintMet: z.boolean(),
  })
  .meta({ id: 'ThresholdOptimizerResult' });

export const fairnessMitigationComputed = defineEvent({
  type: 'fairness.mitigation-computed',
  schemaVersion: 1,
  schema: z.object({
    modelId: z.uuid(),
    modelVersion: z.number().int().positive(),
    source: z.enum(FAIRNESS_SOURCES),
    datasetId: z.string().nullable(),
    inputsHash: sha256,
    requestHash: sha256,
    options: z.object({ attributes: z.array(z.string()), constraint: z.enum(['demographic_parity', 'equalized_odds']).nullable(), tolerance: z.number().nullable() }),
    codeVersion: z.string(),
    result: z.discriminatedUnion('method', [reweighingResultSchema, thresholdOptimizerResultSchema]),
    elapsedMs: z.number().nonnegative(),
  }),
  description: 'A bias mitigation computed for a model version: reweighing sample weights (Kamiran & Calders 2012) or per-group thresholds (Hardt et al. 2016), with before/after metrics.',
});

export const fairnessEvents = [fairnessAssessed, fairnessMitigationComputed];
