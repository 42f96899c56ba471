import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { performanceMetrics } from '../../analytics/performance/performance-metrics.js';
import type { JsonValue } from '../../events/envelope.js';
import { findModel, findModelVersion, type ModelVersionRecord } from '../../projections/model-registry.projection.js';
import type { Runtime } from '../../runtime.js';
import { principalOf } from '../auth/access-control.js';
import { freshModelVersion, modelStateFromLedger } from './model-read.js';
import { HttpProblem, notFound, problemSchema } from '../problem-details.js';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema, 422: problemSchema };
const MAX_INSTANCES = 10_000;
const MAX_REPORTED_ERRORS = 20;
const BATCH_BODY_LIMIT = 32 * 1024 * 1024;

const featureValue = z.union([z.number(), z.boolean(), z.null()]);
const invalid = (errs: { field: string; message: string }[]) => new HttpProblem(400, 'validation-error', 'Invalid request', errs.map((e) => `${e.field}: ${e.message}`).join('; '), { errors: errs });

/** Instances (objects keyed by feature name) as a row-major matrix in the schema's order; every bad value is named. */
function toFeatureMatrix(instances: Record<string, number | boolean | null>[], schema: { name: string; type: string }[]): Float64Array {
  const width = schema.length;
  const matrix = new Float64Array(instances.length * width);
  const problems: { field: string; message: string }[] = [];
  const known = new Set(schema.map((f) => f.name));
  instances.forEach((instance, i) => {
    for (const key of Object.keys(instance)) if (!known.has(key)) problems.push({ field: `body.instances.${i}.${key}`, message: 'is not a feature of this model' });
    schema.forEach((feature, j) => {
      const field = `body.instances.${i}.${feature.name}`;
      if (!(feature.name in instance)) return void problems.push({ field, message: 'is required (send null for a missing value)' });
      const v = instance[feature.name];
      if (v === null || v === undefined) matrix[i * width + j] = NaN;
      else if (feature.type === 'boolean') {
        if (typeof v !== 'boolean') problems.push({ field, message: 'must be a boolean' });
        else matrix[i * width + j] = v ? 1 : 0;
      } else if (typeof v !== 'number' || !Number.isFinite(v)) problems.push({ field, message: 'must be a finite number' });
      else if (feature.type === 'integer' && !Number.isInteger(v)) problems.push({ field, message: 'must be an integer' });
      else matrix[i * width + j] = v;
    });
  });
  if (problems.length > 0) throw invalid(problems.slice(0, MAX_REPORTED_ERRORS));
  return matrix;
}

/** Scoring with a registered model, its prediction log, ground truth and measured performance. */
export function modelPredictionRoutes(runtime: Runtime): FastifyPluginAsyncZod {
  return async (app) => {
    const knex = runtime.db.knex;

    /** The version to score with: the one named (not retired), else the one deployed. */
    async function scoringVersion(modelId: string, requested: number | undefined): Promise<ModelVersionRecord> {
      const state = await modelStateFromLedger(runtime, modelId);
      if (state.status !== 'active') throw notFound(`model ${modelId}`);
      const version = requested ?? state.versions.find((v) => v.status === 'deployed')?.version;
      if (version === undefined) throw new HttpProblem(409, 'nothing-deployed', 'No deployed version', 'the model has no deployed version; name a version to score with');
      const status = state.versions.find((v) => v.version === version)?.status;
      if (!status) throw notFound(`version ${version} of model ${modelId}`);
      if (status === 'retired') throw new HttpProblem(409, 'version-retired', 'Version retired', `version ${version} is retired and no longer scores`);
      // The version's content is immutable, so the read model's copy is as good as the ledger's.
      const record = await freshModelVersion(runtime, modelId, version);
      if (!record) throw notFound(`version ${version} of model ${modelId}`);
      return record;
    }

    app.post('/api/v1/models/:id/predict', {
      config: { permission: 'models:predict' },
      // Batches of up to 10,000 instances are several MB of JSON; other routes keep the 1 MB limit.
      bodyLimit: BATCH_BODY_LIMIT,
      schema: {
        tags: ['models'],
        summary: 'Score one or more instances (default: with the deployed version); each prediction is logged',
        description: 'Instances are objects keyed by the input schema\'s feature names (null = missing). With `subjectId` the inputs are logged encrypted under that data subject\'s key, so erasing the subject erases them.',
        params: z.strictObject({ id: z.uuid() }),
        body: z.strictObject({
          instances: z.array(z.record(z.string().max(200), featureValue)).min(1).max(MAX_INSTANCES),
          version: z.number().int().positive().optional(),
          subjectId: z.string().trim().min(1).max(200).optional(),
        }),
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
    }, async (request) => {
      const { id } = request.params;
      const { instances, subjectId } = request.body;
      const version = await scoringVersion(id, request.body.version);
      const features = toFeatureMatrix(instances, version.inputSchema);
      const model = await runtime.scoringModels.get(id, version.version, version);
      const started = performance.now();
      const out = await model.score(features, instances.length);
      const latencyMs = performance.now() - started;
      const classes = model.classes;
      const now = new Date();
      const predictions = instances.map((_, i) => {
        if (!classes || !out.probabilities) return { predictionId: randomUUID(), prediction: out.predictions[i]! };
        const k = classes.length;
        const probabilities = Object.fromEntries(classes.map((c, j) => [c, out.probabilities![i * k + j]!]));
        return { predictionId: randomUUID(), prediction: classes[out.predictions[i]!]!, probabilities };
      });
      const sealedInputs = subjectId ? await Promise.all(instances.map((x) => runtime.vault.seal(subjectId, x as JsonValue))) : instances;
      await runtime.predictionLog.record(
        predictions.map((p, i) => ({
          predictionId: p.predictionId,
          modelId: id,
          version: version.version,
          subjectId: subjectId ?? null,
          inputs: sealedInputs[i],
          prediction: p,
          score: !classes ? (p.prediction as number) : classes.length === 2 ? out.probabilities![i * 2 + 1]! : null,
          latencyMs: latencyMs / instances.length,
          createdAt: now,
        })),
      );
      request.log.info({ modelId: id, version: version.version, rows: instances.length, latencyMs, caller: principalOf(request).userId }, 'scored');
      return { modelId: id, version: version.version, predictions, latencyMs };
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
      if (unknown.length > 0) throw invalid(unknown.slice(0, MAX_REPORTED_ERRORS));
      return { recorded: await runtime.predictionLog.recordOutcomes(outcomes, new Date()) };
    });

    app.get('/api/v1/models/:id/performance', {
      config: { permission: 'models:read' },
      schema: {
        tags: ['models'],
        summary: 'Measured performance from logged predictions with recorded outcomes, per version, in a time window',
        params: z.strictObject({ id: z.uuid() }),
        querystring: z.strictObject({ version: z.coerce.number().int().positive().optional(), from: z.iso.datetime({ offset: true }).optional(), to: z.iso.datetime({ offset: true }).optional() }),
        response: { 200: z.object({ modelId: z.uuid(), window: z.object({ from: z.string().nullable(), to: z.string().nullable() }), versions: z.array(z.object({ version: z.number().int(), rows: z.number().int(), metrics: z.unknown() })) }), ...errors },
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
