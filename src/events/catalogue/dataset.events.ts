import { z } from 'zod';
import { defineEvent } from '../event-catalogue.js';

const datasetId = z.uuid();
const version = z.number().int().positive();
const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const name = z.string().min(1).max(200);

export const DATASET_FORMATS = ['csv', 'tsv', 'json', 'ndjson', 'parquet'] as const;

export const datasetRegistered = defineEvent({
  type: 'dataset.registered',
  schemaVersion: 1,
  schema: z.object({ datasetId, name, description: z.string().max(5000), tags: z.array(z.string().max(50)).max(50), ownerId: z.string() }),
  description: 'A dataset was registered by its owner; its content arrives as versions.',
});

export const columnSchema = z.object({
  name: z.string(),
  type: z.string(),
  nullable: z.boolean(),
  /** Semantic hints from profiling: id, date, category, email, personal… */
  hints: z.array(z.string()),
});

export const datasetVersionUploaded = defineEvent({
  type: 'dataset.version-uploaded',
  schemaVersion: 1,
  schema: z.object({
    datasetId,
    version,
    /** The stored file, content-addressed: rows never enter the ledger. */
    blob: z.object({ sha256, size: z.number().int().nonnegative() }),
    format: z.enum(DATASET_FORMATS),
    filename: z.string().max(300).nullable(),
    rowCount: z.number().int().nonnegative(),
    columns: z.array(columnSchema),
    /** Personal columns, stored sealed under the key of each row's subject (`subjectColumn`). */
    personal: z.object({ columns: z.array(z.string()).min(1), subjectColumn: z.string() }).nullable().optional(),
  }),
  description: 'A new version of a dataset: its file (by SHA-256), format, row count and inferred schema; personal columns are sealed per data subject in the file.',
});

export const datasetProfiled = defineEvent({
  type: 'dataset.profiled',
  schemaVersion: 1,
  schema: z.object({ datasetId, version, profile: z.record(z.string(), z.json()), qualityScore: z.number().min(0).max(100), issues: z.array(z.record(z.string(), z.json())), elapsedMs: z.number().nonnegative(), codeVersion: z.string() }),
  description: 'The one-pass profile of a dataset version (per-column statistics, duplicates, outliers), its quality score and issues.',
});

export const datasetDeleted = defineEvent({
  type: 'dataset.deleted',
  schemaVersion: 1,
  schema: z.object({ datasetId, reason: z.string().max(500), blobsRemoved: z.array(sha256) }),
  description: 'The dataset was withdrawn and the files no other dataset uses were removed; its history stays.',
});

export const qualityRulesDefined = defineEvent({
  type: 'quality.rules-defined',
  schemaVersion: 1,
  schema: z.object({ ruleSetId: z.uuid(), datasetId, name, rules: z.array(z.record(z.string(), z.json())).min(1) }),
  description: 'A named set of data-quality rules for a dataset (not null, range, regex, allowed values, unique, row expressions).',
});

export const qualityValidated = defineEvent({
  type: 'quality.validated',
  schemaVersion: 1,
  schema: z.object({ datasetId, version, ruleSetId: z.uuid().nullable(), results: z.array(z.record(z.string(), z.json())), passed: z.boolean(), elapsedMs: z.number().nonnegative() }),
  description: 'A dataset version was checked against data-quality rules; failing rows are listed by index (capped).',
});

const datasetRef = z.object({ datasetId, version });

export const driftDetected = defineEvent({
  type: 'drift.detected',
  schemaVersion: 1,
  schema: z.object({
    reportId: z.uuid(),
    modelId: z.uuid().nullable(),
    modelVersion: z.number().int().positive().nullable(),
    reference: datasetRef,
    current: datasetRef,
    options: z.record(z.string(), z.json()),
    result: z.record(z.string(), z.json()),
    datasetDrift: z.boolean(),
    driftShare: z.number().min(0).max(1),
    elapsedMs: z.number().nonnegative(),
    codeVersion: z.string(),
  }),
  description: 'Data drift between a reference and a current dataset version, per column with the test used, and for the dataset.',
});

export const driftAlertRaised = defineEvent({
  type: 'drift.alert-raised',
  schemaVersion: 1,
  schema: z.object({ alertId: z.uuid(), reportId: z.uuid(), modelId: z.uuid().nullable(), datasetId, severity: z.enum(['low', 'medium', 'high']), driftedColumns: z.array(z.string()), driftShare: z.number(), message: z.string() }),
  description: 'Drift beyond the alerting threshold was found; severity from the share of drifted columns.',
});

export const datasetEvents = [datasetRegistered, datasetVersionUploaded, datasetProfiled, datasetDeleted, qualityRulesDefined, qualityValidated, driftDetected, driftAlertRaised];
