import { z } from 'zod';
import { jsonValue } from '../events/json-value.js';

/**
 * Drift reports, alerts and schedules as the API answers them: the shapes of `drift.detected`,
 * `drift.alert-raised` and `drift.schedule-set` data, which src/analytics/drift computes
 * (column-drift.ts, dataset-drift.ts, drift-test-suite.ts) and src/processors/drift-detection.ts
 * records. Numbers a test could not compute (an empty sample: NaN; an unbounded PSI bin: ±∞) are
 * null, as JSON writes them.
 */
const DRIFT_METHODS = ['ks', 'wasserstein', 'chisquare', 'z', 'jensenshannon', 'psi'] as const;
const computed = z.number().nullable();

const psiBin = z.object({ lower: computed.describe('null: unbounded below'), upper: computed.describe('null: unbounded above'), reference: z.number(), current: z.number(), contribution: computed });
const psiCategory = z.object({ category: z.string(), reference: z.number(), current: z.number(), contribution: computed });

export const driftTestOutcomeSchema = z
  .object({
    method: z.enum(DRIFT_METHODS),
    parameters: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).describe('Every parameter the test ran with, defaults filled in'),
    statistic: computed,
    pValue: computed,
    score: computed.describe('The p-value for tests, else the distance: what threshold is compared with'),
    scoreKind: z.enum(['p_value', 'distance']),
    threshold: computed,
    drifted: z.boolean().nullable().describe('null when no threshold applies (raw Wasserstein without one)'),
    details: z.record(z.string(), z.union([z.string(), z.number(), z.null()])).optional(),
  })
  .meta({ id: 'DriftTestOutcome' });

export const driftColumnResultSchema = z
  .object({
    column: z.string(),
    kind: z.enum(['numeric', 'categorical']),
    test: z.enum(DRIFT_METHODS).describe('The test that decides whether the column drifted'),
    scoreKind: z.enum(['p_value', 'distance']).describe('p_value: drift when score is below the threshold; distance: drift when score is at or above it'),
    score: computed,
    statistic: computed.describe('The statistic behind a p-value (KS D, χ², z), else equal to score'),
    threshold: z.number(),
    drifted: z.boolean(),
    referenceSize: z.number().int(),
    currentSize: z.number().int(),
    referenceMissing: z.number().int(),
    currentMissing: z.number().int(),
    distinctValues: z.number().int(),
    psi: computed,
    psiBins: z.array(psiBin).optional(),
    psiCategories: z.array(psiCategory).optional(),
    skipped: z.string().optional().describe('Why no test ran (an empty sample)'),
    tests: z.array(driftTestOutcomeSchema).optional().describe('The additional tests asked for this column'),
  })
  .meta({ id: 'DriftColumnResult' });

const datasetVersion = z.object({ datasetId: z.uuid(), version: z.number().int() });

export const driftAlertSchema = z
  .object({
    alertId: z.uuid(),
    reportId: z.uuid(),
    modelId: z.uuid().nullable(),
    datasetId: z.uuid(),
    severity: z.enum(['low', 'medium', 'high']),
    driftedColumns: z.array(z.string()),
    driftShare: z.number(),
    message: z.string(),
  })
  .meta({ id: 'DriftAlert' });

const requestShaped = (what: string) => jsonValue.optional().describe(`${what} as the request gave it (the request schema of POST /drift/detect describes it)`);

export const driftReportSchema = z
  .object({
    reportId: z.uuid(),
    modelId: z.uuid().nullable(),
    modelVersion: z.number().int().nullable(),
    reference: datasetVersion,
    current: datasetVersion,
    options: z.object({
      driftShare: z.number(),
      tests: z.record(z.string(), z.string()),
      thresholds: z.record(z.string(), z.number()),
      columns: z.array(z.string()),
      defaults: requestShaped('defaults'),
      columnOptions: requestShaped('columnOptions'),
      additionalTests: requestShaped('additionalTests'),
      columnTests: requestShaped('columnTests'),
    }),
    result: z.object({
      columns: z.array(driftColumnResultSchema),
      numberOfColumns: z.number().int(),
      numberOfDriftedColumns: z.number().int(),
      shareOfDriftedColumns: z.number(),
      driftShare: z.number(),
      datasetDrift: z.boolean(),
    }),
    datasetDrift: z.boolean(),
    driftShare: z.number().describe('The share of drifted columns'),
    elapsedMs: z.number(),
    codeVersion: z.string(),
  })
  .meta({ id: 'DriftReport' });

/** Where a report or alert was recorded in the ledger. */
const recorded = { eventId: z.string(), position: z.number().int(), detectedAt: z.string() };
export const recordedDriftReportSchema = driftReportSchema.extend(recorded).meta({ id: 'RecordedDriftReport' });
export const recordedDriftAlertSchema = driftAlertSchema.extend(recorded).meta({ id: 'RecordedDriftAlert' });

export const driftScheduleSchema = z
  .object({
    scheduleId: z.uuid(),
    modelId: z.uuid().nullable(),
    reference: z.object({ datasetId: z.uuid(), version: z.number().int().optional() }).nullable(),
    currentDatasetId: z.uuid(),
    cron: z.string(),
    options: z.object({ columns: z.array(z.string()).optional(), driftShare: z.number(), tests: z.record(z.string(), z.string()), thresholds: z.record(z.string(), z.number()) }),
    eventId: z.string(),
    setAt: z.string(),
  })
  .meta({ id: 'DriftSchedule' });
