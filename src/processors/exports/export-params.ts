import { z } from 'zod';

const position = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const isoTime = z.iso.datetime({ offset: true });
const eventType = z.string().regex(/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/, 'must be an event type like model.registered');
const modelVersion = z.number().int().positive();

/** What each kind of export takes, as the routes validate it and the exporter reads it back from `export.requested`. */
export const exportParamSchemas = {
  'audit-log': z.strictObject({
    /** Exclusive lower bound on positions (as the audit API's `after`), inclusive upper bound. */
    after: position.optional(),
    to: position.optional(),
    types: z.array(eventType).max(50).optional(),
    streamId: z.string().min(1).max(200).optional(),
    streamCategory: z.string().regex(/^[A-Za-z0-9_]+$/).optional(),
    actorId: z.string().min(1).max(200).optional(),
    correlationId: z.uuid().optional(),
    from: isoTime.optional(),
    until: isoTime.optional(),
  }),
  timeline: z.strictObject({ streamId: z.string().min(1).max(200) }),
  'model-card': z.strictObject({ modelId: z.uuid() }),
  'fairness-report': z.strictObject({ modelId: z.uuid(), version: modelVersion.optional() }),
  'explanation-report': z.strictObject({ modelId: z.uuid(), version: modelVersion.optional() }),
  'drift-report': z
    .strictObject({ modelId: z.uuid().optional(), datasetId: z.uuid().optional() })
    .refine((p) => p.modelId !== undefined || p.datasetId !== undefined, { message: 'name modelId or datasetId', path: ['modelId'] }),
  'dataset-profile': z.strictObject({ datasetId: z.uuid(), version: z.number().int().positive().optional() }),
  'compliance-report': z.strictObject({ modelId: z.uuid(), version: modelVersion }),
} as const;

export type ExportParams = { [K in keyof typeof exportParamSchemas]: z.infer<(typeof exportParamSchemas)[K]> };

/** The body of the export routes: a kind and its parameters. */
export const exportRequestBody = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('audit-log'), params: exportParamSchemas['audit-log'].default({}) }),
  z.strictObject({ kind: z.literal('timeline'), params: exportParamSchemas.timeline }),
  z.strictObject({ kind: z.literal('model-card'), params: exportParamSchemas['model-card'] }),
  z.strictObject({ kind: z.literal('fairness-report'), params: exportParamSchemas['fairness-report'] }),
  z.strictObject({ kind: z.literal('explanation-report'), params: exportParamSchemas['explanation-report'] }),
  z.strictObject({ kind: z.literal('drift-report'), params: exportParamSchemas['drift-report'] }),
  z.strictObject({ kind: z.literal('dataset-profile'), params: exportParamSchemas['dataset-profile'] }),
  z.strictObject({ kind: z.literal('compliance-report'), params: exportParamSchemas['compliance-report'] }),
]);
