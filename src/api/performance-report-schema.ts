import { z } from 'zod';

/**
 * A model's measured performance as the API answers it: src/analytics/performance's
 * PerformanceReport (scikit-learn's definitions), classification or regression.
 */
export const metricValueSchema = z
  .object({ value: z.number().nullable(), reason: z.string().optional().describe('Why the data cannot define the metric, when value is null') })
  .meta({ id: 'MetricValue' });

const classificationPerformance = z.object({
  task: z.enum(['binary', 'multiclass']),
  rows: z.number().int(),
  classes: z.array(z.string()),
  averaging: z.enum(['binary', 'macro']).describe('binary: precision, recall and F1 of classes[1]; macro: their unweighted mean over the classes that occur'),
  accuracy: metricValueSchema,
  precision: metricValueSchema,
  recall: metricValueSchema,
  f1: metricValueSchema,
  rocAuc: metricValueSchema,
  logLoss: metricValueSchema,
  confusionMatrix: z.array(z.array(z.number().int())).describe('confusionMatrix[true][predicted], classes in `classes` order'),
  perClass: z.array(z.object({ label: z.string(), support: z.number().int(), precision: metricValueSchema, recall: metricValueSchema, f1: metricValueSchema })),
  outcomesNotAClass: z.number().int().describe('Recorded outcomes that name no class of the version (left out)'),
});

const regressionPerformance = z.object({
  task: z.literal('regression'),
  rows: z.number().int(),
  mse: metricValueSchema,
  rmse: metricValueSchema,
  mae: metricValueSchema,
  r2: metricValueSchema,
  mape: metricValueSchema.describe("A fraction, not a percentage (scikit-learn's convention)"),
});

export const performanceReportSchema = z.union([classificationPerformance, regressionPerformance]).meta({ id: 'PerformanceReport' });
