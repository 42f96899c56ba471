import { z } from 'zod';
import { defineEvent } from '../event-catalogue.js';

const scheduleId = z.uuid();
const datasetRef = z.object({ datasetId: z.uuid(), version: z.number().int().positive().optional() });

export const driftScheduleOptions = z.object({
  columns: z.array(z.string()).min(1).max(1000).optional(),
  driftShare: z.number().gt(0).max(1),
  tests: z.record(z.string(), z.enum(['ks', 'wasserstein', 'chisquare', 'z', 'jensenshannon', 'psi'])),
  thresholds: z.record(z.string(), z.number().positive()),
});

export const driftScheduleSet = defineEvent({
  type: 'drift.schedule-set',
  schemaVersion: 1,
  schema: z.object({
    scheduleId,
    /** The model whose training data is the reference when `reference` is null; named in every report. */
    modelId: z.uuid().nullable(),
    /** A fixed reference (a version, or the latest at each run); null: the model's training data. */
    reference: datasetRef.nullable(),
    /** Every run compares this dataset's latest version. */
    currentDatasetId: z.uuid(),
    /** node-cron syntax (five fields, or six with seconds first); the decider checks it parses. */
    cron: z.string().min(1).max(200),
    options: driftScheduleOptions,
  }),
  description: 'A drift check to run on a schedule: the latest version of a dataset against a reference (or a model\'s training data). Each new pair of versions is checked once.',
});

export const driftScheduleRemoved = defineEvent({
  type: 'drift.schedule-removed',
  schemaVersion: 1,
  schema: z.object({ scheduleId }),
  description: 'A drift schedule was removed; it runs no more.',
});

export const driftEvents = [driftScheduleSet, driftScheduleRemoved];
