import { performance } from 'node:perf_hooks';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { performanceMetrics } from '../../analytics/performance/performance-metrics.js';
import type { JsonValue } from '../../events/envelope.js';
import { findModel, findModelVersion, type ModelVersionRecord } from '../../projections/model-registry.projection.js';
import type { Runtime } from '../../runtime.js';
import { principalOf } from '../auth/access-control.js';
import { resolveScoringVersion } from './model-read.js';
import { instanceBatchValidatorCompiler, type OtherFields } from './instance-batch-validator.js';
import { ScannedInstanceBatch, scanInstanceBatch, scannedMatrix } from './instance-batch-scanner.js';
import { columnRowsMatrix, instanceMatrix, instancesOf, type Instance } from './instance-rows.js';
import { sendJsonText } from '../json-text-reply.js';
import { answerAndLog } from './prediction-answer.js';
import { invalidFields, notFound, problemSchema } from '../problem-details.js';
import { performanceReportSchema } from '../performance-report-schema.js';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema, 422: problemSchema };
const MAX_INSTANCES = 10_000;
const BATCH_BODY_LIMIT = 32 * 1024 * 1024;

const featureValue = z.union([z.number(), z.boolean(), z.null()]);

/** The body of `POST /models/:id/predict`: instances as objects, or as rows under their column names. */
export const predictBody = z
  .strictObject({
    instances: z.array(z.record(z.string().max(200), featureValue)).min(1).max(MAX_INSTANCES).optional().describe('Instances as objects keyed by feature name (or send `columns` and `rows`).'),
    columns: z.array(z.string().max(200)).min(1).max(MAX_INSTANCES).optional().describe('With `rows`: the feature each position of a row holds (every feature of the input schema, in any order).'),
    rows: z.array(z.array(featureValue).max(MAX_INSTANCES)).min(1).max(MAX_INSTANCES).optional().describe('With `columns`: instances as arrays of values, each as long as `columns`. Half the JSON of `instances` for the same batch, and less to parse.'),
    version: z.number().int().positive().optional(),
    subjectId: z.string().trim().min(1).max(200).optional(),
  })
  .superRefine((body, ctx) => {
    const problem = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (body.instances !== undefined) {
      if (body.rows !== undefined) problem(['rows'], 'cannot be sent with instances');
      if (body.columns !== undefined) problem(['columns'], 'cannot be sent with instances');
      return;
    }
    if (body.rows === undefined && body.columns === undefined) return problem(['instances'], 'is required (or columns and rows)');
    if (body.rows === undefined) return problem(['rows'], 'is required with columns');
    if (body.columns === undefined) return problem(['columns'], 'is required with rows');
    const width = body.columns.length;
    body.rows.forEach((row, i) => row.length !== width && problem(['rows', i], `must hold ${width} values, one per column`));
  });

/** `predictBody`'s fields beside the batch, checked as its schema does them (for the direct checks below). */
const predictOtherFields: OtherFields = {
  version: (v) => (typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? { value: v } : null),
  subjectId: (v) => {
    if (typeof v !== 'string') return null;
    const trimmed = v.trim();
    return trimmed.length >= 1 && trimmed.length <= 200 ? { value: trimmed } : null;
  },
};

/** The same checks as `predictBody`, done directly for a well-formed batch (instance-batch-validator.ts). */
export const predictBodyValidatorCompiler = instanceBatchValidatorCompiler(MAX_INSTANCES, predictOtherFields);

const PREDICT_URL = '/api/v1/models/:id/predict';

type PlainBatch = { instances?: Instance[]; columns?: string[]; rows?: (number | boolean | null)[][] };

/** Scoring with a registered model, its prediction log, ground truth and measured performance. */
export function modelPredictionRoutes(runtime: Runtime): FastifyPluginAsyncZod {
  return async (app) => {
    const knex = runtime.db.knex;

    // A predict body is read from its bytes into a matrix when it is a well-formed batch
    // (instance-batch-scanner.ts); anything else, and every other route here, is parsed as usual.
    const defaultJsonParser = app.getDefaultJsonParser('error', 'error');
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
      const scanned = request.routeOptions.url === PREDICT_URL ? scanInstanceBatch(body as Buffer, MAX_INSTANCES, predictOtherFields) : null;
      if (scanned) done(null, scanned);
      else defaultJsonParser(request, (body as Buffer).toString('utf8'), done);
    });

    app.post(PREDICT_URL, {
      config: { permission: 'models:predict' },
      // Batches of up to 10,000 instances are several MB of JSON; other routes keep the 1 MB limit.
      bodyLimit: BATCH_BODY_LIMIT,
      validatorCompiler: predictBodyValidatorCompiler,
      schema: {
        tags: ['models'],
        summary: 'Score one or more instances (default: with the deployed version); each prediction is logged',
        description: 'Instances are objects keyed by the input schema\'s feature names (null = missing), or rows of values under `columns` naming each position (every feature once, any order). With `subjectId` the inputs are logged encrypted under that data subject\'s key (as objects keyed by feature name), so erasing the subject erases them.',
        params: z.strictObject({ id: z.uuid() }),
        body: predictBody,
        response: {
          200: z.object({
            modelId: z.uuid(),
            version: z.number().int(),
            predictions: z.array(z.object({ predictionId: z.uuid(), prediction: z.union([z.string(), z.number()]), probabilities: z.record(z.string(), z.number()).optional() })),
            latencyMs: z.number(),
          }),
          ...errors,
        },
      },
    }, async (request, reply) => {
      const { id } = request.params;
      const body: unknown = request.body;
      const scanned = body instanceof ScannedInstanceBatch ? body : null;
      const { version: requested, subjectId } = (scanned ? scanned.fields : request.body) as { version?: number; subjectId?: string };
      const version = await resolveScoringVersion(runtime, id, requested);
      // A scanned batch whose columns are the schema's is the matrix already. Otherwise, and for
      // inputs sealed under a subject (logged as objects), the objects: their path names each problem.
      let plain: PlainBatch | null = scanned ? null : request.body;
      let features = scanned && subjectId === undefined ? scannedMatrix(scanned, version.inputSchema) : null;
      if (!features) {
        plain ??= scanned!.plain() as PlainBatch;
        features = plain.instances ? instanceMatrix(plain.instances, version.inputSchema, 'body.instances') : columnRowsMatrix(plain.columns!, plain.rows!, version.inputSchema);
      }
      const n = scanned ? scanned.rowCount : (plain!.instances ?? plain!.rows!).length;
      const model = await runtime.scoringModels.get(id, version.version, version);
      const started = performance.now();
      const out = await model.score(features, n);
      const latencyMs = performance.now() - started;
      const rowsField = plain?.rows || scanned?.form === 'rows' ? 'body.rows' : 'body.instances';
      // Inputs about a data subject are logged sealed under the subject's key (erasable).
      const inputs = subjectId ? async () => ({ sealed: await Promise.all((plain!.instances ?? instancesOf(plain!.columns!, plain!.rows!)).map((x) => runtime.vault.seal(subjectId, x as JsonValue))) }) : { values: features, width: version.inputSchema.length };
      const answer = answerAndLog(runtime.predictionLog, { modelId: id, version: version.version, subjectId: subjectId ?? null, classes: model.classes, latencyMs, rowsField, inputs }, out, n);
      await answer.logged;
      request.log.info({ modelId: id, version: version.version, rows: n, latencyMs, caller: principalOf(request).userId }, 'scored');
      return sendJsonText(reply, answer.text);
    });

    app.post('/api/v1/models/:id/outcomes', {
      config: { permission: 'models:predict' },
      bodyLimit: BATCH_BODY_LIMIT,
      schema: {
        tags: ['models'],
        summary: 'Record ground truth for logged predictions (a later outcome for the same prediction replaces the earlier)',
        params: z.strictObject({ id: z.uuid() }),
        body: z.strictObject({ outcomes: z.array(z.strictObject({ predictionId: z.uuid(), actual: z.union([z.string().max(200), z.number().finite()]) })).min(1).max(MAX_INSTANCES) }),
        response: { 200: z.object({ recorded: z.number().int() }), ...errors },
      },
    }, async (request) => {
      const { id } = request.params;
      if (!(await findModel(knex, id))) throw notFound(`model ${id}`);
      const { outcomes } = request.body;
      const known = await runtime.predictionLog.knownPredictions(id, outcomes.map((o) => o.predictionId));
      const unknown = outcomes.flatMap((o, i) => (known.has(o.predictionId) ? [] : [{ field: `body.outcomes.${i}.predictionId`, message: 'is not a logged prediction of this model' }]));
      if (unknown.length > 0) throw invalidFields(unknown);
      return { recorded: await runtime.predictionLog.recordOutcomes(outcomes, new Date()) };
    });

    app.get('/api/v1/models/:id/performance', {
      config: { permission: 'models:read' },
      schema: {
        tags: ['models'],
        summary: 'Measured performance from logged predictions with recorded outcomes, per version, in a time window',
        params: z.strictObject({ id: z.uuid() }),
        querystring: z.strictObject({ version: z.coerce.number().int().positive().optional(), from: z.iso.datetime({ offset: true }).optional(), to: z.iso.datetime({ offset: true }).optional() }),
        response: { 200: z.object({ modelId: z.uuid(), window: z.object({ from: z.string().nullable(), to: z.string().nullable() }), versions: z.array(z.object({ version: z.number().int(), rows: z.number().int(), metrics: performanceReportSchema })) }), ...errors },
      },
    }, async (request) => {
      const { id } = request.params;
      const { version, from, to } = request.query;
      if (!(await findModel(knex, id))) throw notFound(`model ${id}`);
      const rows = await runtime.predictionLog.scoredOutcomes(id, { version, from: from ? new Date(from) : undefined, to: to ? new Date(to) : undefined, limit: 1_000_000 });
      const byVersion = new Map<number, typeof rows>();
      for (const r of rows) byVersion.set(r.version, [...(byVersion.get(r.version) ?? []), r]);
      const versions = [];
      for (const [v, scored] of [...byVersion.entries()].sort((a, b) => a[0] - b[0])) {
        const record = await findModelVersion(knex, id, v);
        if (!record) continue;
        versions.push({ version: v, rows: scored.length, metrics: measure(record, scored) });
      }
      return { modelId: id, window: { from: from ?? null, to: to ?? null }, versions };
    });
  };
}

type Scored = { prediction: unknown; actual: unknown };

/** Performance of one version over its scored outcomes, with the metrics of its task. */
function measure(version: ModelVersionRecord, scored: Scored[]) {
  if (version.task === 'regression') {
    const yTrue = Float64Array.from(scored, (s) => Number(s.actual));
    const yPred = Float64Array.from(scored, (s) => Number((s.prediction as { prediction: number }).prediction));
    return performanceMetrics({ task: 'regression', yTrue, yPred });
  }
  const classes = version.classes ?? [];
  const index = new Map(classes.map((c, i) => [c, i]));
  const usable = scored.filter((s) => index.has(String(s.actual)));
  const k = classes.length;
  const probabilities = new Float64Array(usable.length * k);
  usable.forEach((s, i) => {
    const p = (s.prediction as { probabilities?: Record<string, number> }).probabilities ?? {};
    classes.forEach((c, j) => (probabilities[i * k + j] = p[c] ?? 0));
  });
  return {
    ...performanceMetrics({
      task: version.task,
      yTrue: Int32Array.from(usable, (s) => index.get(String(s.actual))!),
      yPred: Int32Array.from(usable, (s) => index.get(String((s.prediction as { prediction: string }).prediction)) ?? -1),
      probabilities,
      classes,
    }),
    outcomesNotAClass: scored.length - usable.length,
  };
}
