import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { JsonObject } from '../../events/envelope.js';
import { PROFILE_CODE_VERSION, profileDatasetFile } from '../../processors/dataset-files.js';
import type { Runtime } from '../../runtime.js';
import { problemSchema } from '../problem-details.js';
import { datasetVersion, existingDataset, runDatasetCommand } from './dataset-commands.js';
import { latestProfile, qualityRuleSchema } from './datasets.routes.js';
import { idempotencyKeyHeaders } from '../idempotency-keys.js';
import { datasetProfileSchema, qualityIssueSchema, ruleResultSchema } from '../dataset-profile-schemas.js';
type QualityIssue = z.infer<typeof qualityIssueSchema>;

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema, 422: problemSchema };
const datasetParams = z.strictObject({ datasetId: z.uuid() });
const versionQuery = z.strictObject({ version: z.coerce.number().int().positive().optional() });

/** Data quality: score and issues from the one-pass profile, rule sets, and reports. */
export function dataQualityRoutes(runtime: Runtime): FastifyPluginAsyncZod {
  return async (app) => {
    /** The version's profile, computing (and recording) it when it has none yet. */
    const profileOf = async (request: Parameters<typeof runDatasetCommand>[1], datasetId: string, version: number | undefined) => {
      const v = await datasetVersion(runtime, datasetId, version);
      const existing = await latestProfile(runtime, datasetId, v.version);
      if (existing) return { v, event: existing, computed: false };
      const profiled = await profileDatasetFile(runtime.blobs, v.sha256, v.format);
      await runDatasetCommand(runtime, request, datasetId, { type: 'RecordProfile', version: v.version, profile: JSON.parse(JSON.stringify(profiled.profile)) as JsonObject, qualityScore: profiled.qualityScore, issues: JSON.parse(JSON.stringify(profiled.issues)) as JsonObject[], elapsedMs: profiled.elapsedMs, codeVersion: PROFILE_CODE_VERSION });
      return { v, event: (await latestProfile(runtime, datasetId, v.version))!, computed: true };
    };
    const assessment = z.object({ datasetId: z.uuid(), version: z.number().int(), qualityScore: z.number(), issues: z.array(qualityIssueSchema), assessedAt: z.string(), eventId: z.string(), computed: z.boolean() });

    app.post('/api/v1/data-quality/assess/:datasetId', {
      config: { permission: 'assessments:run' },
      schema: { tags: ['data-quality'], summary: 'Quality score (documented formula) and issues of a version, from its profile', params: datasetParams, body: versionQuery.optional(), response: { 200: assessment, ...errors } },
    }, async (request) => {
      const { v, event, computed } = await profileOf(request, request.params.datasetId, request.body?.version);
      return { datasetId: v.datasetId, version: v.version, qualityScore: Number(event.data.qualityScore), issues: event.data.issues as unknown as QualityIssue[], assessedAt: event.occurredAt.toISOString(), eventId: event.id, computed };
    });

    app.get('/api/v1/data-quality/report/:datasetId', {
      config: { permission: 'datasets:read' },
      schema: {
        tags: ['data-quality'],
        summary: 'The quality report of a version: score, issues, column summary and the latest rule checks',
        params: datasetParams,
        querystring: versionQuery,
        response: {
          200: assessment.extend({
            columns: z.array(z.object({ name: z.string(), type: z.string(), missingRate: z.number(), distinct: z.number(), hints: z.array(z.string()) })),
            rows: z.number().int(),
            duplicates: datasetProfileSchema.shape.duplicates,
            validations: z.array(z.object({ eventId: z.string(), at: z.string(), ruleSetId: z.uuid().nullable(), passed: z.boolean(), results: z.array(ruleResultSchema) })),
          }),
          ...errors,
        },
      },
    }, async (request) => {
      const { v, event, computed } = await profileOf(request, request.params.datasetId, request.query.version);
      const profile = event.data.profile as unknown as z.infer<typeof datasetProfileSchema>;
      const validations = (await runtime.store.readStream(`dataset-${v.datasetId}`)).filter((e) => e.type === 'quality.validated' && e.data.version === v.version).map((e) => ({ eventId: e.id, at: e.occurredAt.toISOString(), ruleSetId: e.data.ruleSetId as string | null, passed: e.data.passed as boolean, results: e.data.results as unknown as z.infer<typeof ruleResultSchema>[] }));
      return {
        datasetId: v.datasetId,
        version: v.version,
        qualityScore: Number(event.data.qualityScore),
        issues: event.data.issues as unknown as QualityIssue[],
        assessedAt: event.occurredAt.toISOString(),
        eventId: event.id,
        computed,
        rows: profile.rows,
        duplicates: profile.duplicates,
        columns: profile.columns.map((c) => ({ name: c.name, type: c.type, missingRate: c.missingRate, distinct: c.distinct, hints: c.semantic })),
        validations,
      };
    });

    app.get('/api/v1/data-quality/issues/:datasetId', {
      config: { permission: 'datasets:read' },
      schema: { tags: ['data-quality'], summary: 'Quality issues of a version with severity and recommendations', params: datasetParams, querystring: versionQuery.extend({ severity: z.enum(['low', 'medium', 'high']).optional() }), response: { 200: z.object({ datasetId: z.uuid(), version: z.number().int(), issues: z.array(qualityIssueSchema) }), ...errors } },
    }, async (request) => {
      const { v, event } = await profileOf(request, request.params.datasetId, request.query.version);
      const issues = (event.data.issues as unknown as QualityIssue[]).filter((i) => !request.query.severity || i.severity === request.query.severity);
      return { datasetId: v.datasetId, version: v.version, issues };
    });

    app.post('/api/v1/data-quality/rules', {
      config: { permission: 'datasets:write', idempotent: true },
      schema: {
        tags: ['data-quality'],
        headers: idempotencyKeyHeaders,
        summary: 'Define a named rule set for a dataset (not null, range, regex, allowed values, unique, row expressions)',
        body: z.strictObject({ datasetId: z.uuid(), name: z.string().trim().min(1).max(200), rules: z.array(qualityRuleSchema).min(1).max(200) }),
        response: { 201: z.object({ ruleSetId: z.uuid(), datasetId: z.uuid(), position: z.number().int() }), ...errors },
      },
    }, async (request, reply) => {
      const { datasetId, name, rules } = request.body;
      await existingDataset(runtime, datasetId);
      const ruleSetId = randomUUID();
      const result = await runDatasetCommand(runtime, request, datasetId, { type: 'DefineQualityRules', ruleSetId, name, rules: JSON.parse(JSON.stringify(rules)) as JsonObject[] });
      void reply.status(201);
      return { ruleSetId, datasetId, position: result.position };
    });
  };
}
