import { z } from 'zod';
import { defineEvent } from '../event-catalogue.js';

export const EXPORT_KINDS = ['compliance-report', 'audit-log', 'model-card', 'fairness-report', 'drift-report', 'explanation-report', 'dataset-profile', 'timeline'] as const;
export const EXPORT_FORMATS = ['pdf', 'xlsx', 'csv'] as const;
export const EXPORT_DELETION_REASONS = ['requested', 'subject-erased'] as const;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);

export const exportRequested = defineEvent({
  type: 'export.requested',
  schemaVersion: 1,
  schema: z.object({
    exportId: z.uuid(),
    kind: z.enum(EXPORT_KINDS),
    format: z.enum(EXPORT_FORMATS),
    /** What to export, as validated by the route for its kind (model id, audit range, stream…). */
    params: z.record(z.string(), z.json()),
    requesterId: z.string().min(1),
    /** How personal fields appear in the file, fixed when asked: the requester's right to read them then. */
    personalData: z.enum(['clear', 'pseudonymised']),
  }),
  description: 'An export (audit log, model card, report…) was asked for; the exporter renders it and records export.completed or export.failed caused by this event.',
});

export const exportCompleted = defineEvent({
  type: 'export.completed',
  schemaVersion: 1,
  schema: z.object({
    exportId: z.uuid(),
    sha256,
    size: z.number().int().nonnegative(),
    /** Where the file is: content-addressed blob storage, by its SHA-256. */
    blob: z.object({ store: z.enum(['filesystem', 's3']), sha256 }),
    contentType: z.string(),
    filename: z.string(),
    /** The sealed ledger head the export was built from: nothing after it is in the file. */
    ledgerHead: z.object({ position: z.number().int().nonnegative(), hash: sha256 }),
    /** Data subjects whose personal data is in the file in clear (erasing one of them must reach the file). */
    subjects: z.array(z.string()),
    elapsedMs: z.number().nonnegative(),
  }),
  description: 'An export was rendered and stored; its checksum, the ledger head it reflects and the data subjects it shows in clear.',
});

export const exportFailed = defineEvent({
  type: 'export.failed',
  schemaVersion: 1,
  schema: z.object({ exportId: z.uuid(), reason: z.string().max(2000) }),
  description: 'An export could not be rendered; the reason says why.',
});

export const exportDeleted = defineEvent({
  type: 'export.deleted',
  schemaVersion: 1,
  schema: z.object({ exportId: z.uuid(), deletedBy: z.string().min(1), reason: z.enum(EXPORT_DELETION_REASONS), blobRemoved: z.boolean() }),
  description: 'An export file was removed from storage (asked for, or because a data subject it shows was erased); its history stays.',
});

export const exportEvents = [exportRequested, exportCompleted, exportFailed, exportDeleted];
