import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { findCounterfactual } from '../../analytics/explain/counterfactual.js';
import { kmeansBackground } from '../../analytics/explain/background-summary.js';
import { kernelShap } from '../../analytics/explain/kernel-shap.js';
import { mulberry32 } from '../../analytics/seeded-random.js';
import { treeShapPathDependent } from '../../analytics/explain/tree-shap.js';
import { valuesAsRows } from '../../analytics/explain/shapley-explanation.js';
import { whatIf } from '../../analytics/explain/what-if.js';
import { scalarOutput } from '../../analytics/scoring/scoring-model.js';
import type { TreeEnsemble } from '../../analytics/trees/tree-ensemble.js';
import { handleCommand } from '../../commands/command-handler.js';
import { explanationJobDecider, explanationJobStreamId } from '../../commands/explanation/explanation-job.decider.js';
import { explanationStreamId } from '../../commands/explanation/explanation-record.decider.js';
import type { StoredEvent } from '../../events/envelope.js';
import {
  featureImportanceResultSchema,
  limeResultSchema,
  oneWayPartialDependenceResultSchema,
  SHAPLEY_METHODS as SHAPLEY_RESULT_METHODS,
  shapleyResultSchema,
  twoWayPartialDependenceResultSchema,
} from '../../events/catalogue/explanation-results.js';
import { ExplanationRequestError, type ExplanationMethod, type ExplanationParams } from '../../processors/explanation-engine.js';
import { contentDigest, explain, explanationRequestKey, recordedExplanation } from '../../processors/explanation-service.js';
import type { Runtime } from '../../runtime.js';
import { actorOf, principalOf } from '../auth/access-control.js';
import { HttpProblem, invalidFields, notFound, problemSchema } from '../problem-details.js';
import { instanceRows, rowMatrix, type Instance, type Rows } from './instance-rows.js';
import { resolveScoringVersion } from './model-read.js';
import { datasetVersion } from './dataset-commands.js';
import { readDatasetRecords } from '../../processors/dataset-files.js';
import { idempotencyKeyHeaders } from '../idempotency-keys.js';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema, 422: problemSchema };
const MAX_ROWS = 1000;
const MAX_BACKGROUND_ROWS = 5000;

const instance = z.record(z.string().max(200), z.union([z.number(), z.boolean(), z.null()]));
/** Rows passed in a query string: a JSON array of instances (URL-encoded). */
const jsonRows = (max: number) =>
  z
    .string()
    .max(2_000_000)
    .transform((text, ctx) => {
      try {
        const parsed = z.array(instance).min(1).max(max).safeParse(JSON.parse(text));
        if (parsed.success) return parsed.data;
        ctx.addIssue({ code: 'custom', message: parsed.error.issues[0]?.message ?? 'must be a JSON array of instances' });
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON array of instances (objects keyed by feature name)' });
      }
      return z.NEVER;
    });

const common = {
  version: z.coerce.number().int().positive().optional(),
  /** Rows (and background) from a registered dataset version instead of the query string. */
  datasetId: z.uuid().optional(),
  datasetVersion: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(MAX_ROWS).default(100),
  background: jsonRows(MAX_BACKGROUND_ROWS).optional(),
  backgroundSize: z.coerce.number().int().min(1).max(1000).default(100),
  seed: z.coerce.number().int().min(0).max(2 ** 31 - 1).default(0),
  nsamples: z.coerce.number().int().min(10).max(100_000).optional(),
};
const SHAPLEY_METHODS = ['auto', 'tree-path-dependent', 'tree-interventional', 'kernel', 'exact', 'permutation'] as const;

/** Where a request's explanation inputs came from, for the field names of refusals. */
type Where = 'body' | 'querystring';
type ExplanationKind = 'shap' | 'lime' | 'feature-importance' | 'partial-dependence';

const instances = (max: number) => z.array(instance).min(1).max(max);
/** The same inputs as `common`, in a JSON body: native numbers and arrays, no size limit of a URL. */
const commonBody = {
  version: z.number().int().positive().optional(),
  datasetId: z.uuid().optional(),
  datasetVersion: z.number().int().positive().optional(),
  limit: z.number().int().min(1).max(MAX_ROWS).default(100),
  background: instances(MAX_BACKGROUND_ROWS).optional(),
  backgroundSize: z.number().int().min(1).max(1000).default(100),
  seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
  nsamples: z.number().int().min(10).max(100_000).optional(),
};
const gridValuesSchema = z.record(z.string(), z.array(z.number()).min(1).max(1000));
const percentilesValid = ([a, b]: readonly number[]) => a! >= 0 && b! <= 1 && a! < b!;
const PERCENTILES_MESSAGE = 'must be two numbers in [0, 1], the first smaller';
const partialDependenceQuery = {
  feature: z.string().min(1).max(200).optional(),
  features: z.string().min(1).max(401).optional(),
  grid: z.coerce.number().int().min(2).max(200).default(20),
  percentiles: z
    .string()
    .regex(/^[^,]+,[^,]+$/, 'two numbers separated by a comma, e.g. 0.05,0.95')
    .transform((t) => t.split(',').map(Number) as [number, number])
    .refine(percentilesValid, PERCENTILES_MESSAGE)
    .optional(),
  gridValues: z
    .string()
    .max(200_000)
    .transform((text, ctx) => {
      try {
        const parsed = gridValuesSchema.safeParse(JSON.parse(text));
        if (parsed.success) return parsed.data;
      } catch {
        /* reported below */
      }
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object of feature name to an array of numbers' });
      return z.NEVER;
    })
    .optional(),
  centered: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  pdMethod: z.enum(['auto', 'brute', 'recursion']).default('auto'),
};
const partialDependenceBody = {
  feature: z.string().min(1).max(200).optional(),
  features: z.array(z.string().min(1).max(200)).min(1).max(2).optional(),
  grid: z.number().int().min(2).max(200).default(20),
  percentiles: z.tuple([z.number(), z.number()]).refine(percentilesValid, PERCENTILES_MESSAGE).optional(),
  gridValues: gridValuesSchema.optional(),
  centered: z.boolean().optional(),
  pdMethod: z.enum(['auto', 'brute', 'recursion']).default('auto'),
};

/** A request's explanation inputs, from a body or a query string alike. */
type ExplanationInput = {
  version?: number;
  datasetId?: string;
  datasetVersion?: number;
  limit: number;
  rows?: Instance[];
  background?: Instance[];
  backgroundSize: number;
  seed: number;
  nsamples?: number;
  method?: (typeof SHAPLEY_METHODS)[number];
  feature?: string;
  features?: string[];
  grid?: number;
  percentiles?: [number, number];
  gridValues?: Record<string, number[]>;
  centered?: boolean;
  pdMethod?: 'auto' | 'brute' | 'recursion';
};
type QueryInput = Omit<ExplanationInput, 'features'> & { features?: string };
const queryInput = ({ features, ...rest }: QueryInput): ExplanationInput => ({ ...rest, ...(features ? { features: features.split(',').map((n) => n.trim()) } : {}) });

/** The features and grid a partial dependence request names, checked against the version's inputs. */
function partialDependenceParams(q: ExplanationInput, inputSchema: { name: string }[], where: Where): Partial<ExplanationParams> {
  const named = q.features ?? (q.feature ? [q.feature] : []);
  const field = q.features ? `${where}.features` : `${where}.feature`;
  if (named.length < 1 || named.length > 2) throw invalidFields([{ field, message: 'name one feature (feature) or two (features=a,b)' }]);
  const indices = named.map((n) => inputSchema.findIndex((f) => f.name === n));
  if (indices.some((j) => j < 0)) throw invalidFields([{ field, message: `${named.filter((_, s) => indices[s]! < 0).join(', ')} is not a feature of this version` }]);
  if (indices.length === 2 && indices[0] === indices[1]) throw invalidFields([{ field, message: 'name two different features' }]);
  const stray = Object.keys(q.gridValues ?? {}).filter((n) => !named.includes(n));
  if (stray.length > 0) throw invalidFields([{ field: `${where}.gridValues`, message: `${stray.join(', ')} is not a feature asked for` }]);
  return {
    feature: indices[0]!,
    gridResolution: q.grid ?? 20,
    ...(indices.length === 2 ? { feature2: indices[1]! } : {}),
    ...(q.percentiles ? { percentiles: q.percentiles } : {}),
    ...(q.gridValues ? { gridValues: named.map((n) => q.gridValues![n] ?? null) } : {}),
    ...(q.centered ? { centered: true } : {}),
    ...(q.pdMethod && q.pdMethod !== 'auto' ? { pdMethod: q.pdMethod } : {}),
  };
}

/** What every explanation answer carries beside its method's result fields (which sit at the top level). */
const explanationEnvelope = {
  modelId: z.uuid(),
  modelVersion: z.number().int(),
  outputSpace: z.enum(['margin', 'output']).describe('margin: the raw score before the link (tree Shapley methods, recursion); output: the probability or value the model returns'),
  featureNames: z.array(z.string()),
  elapsedMs: z.number(),
  cached: z.boolean().describe('Answered from an earlier identical request’s record'),
  failedChecks: z.array(z.string()).describe('Soundness checks the result failed (e.g. additivity); the deploy gate refuses such evidence'),
  eventId: z.string().describe('The explanation.computed event'),
  position: z.number().int(),
  requestKey: z.string(),
};

const shapleyExplanationSchema = z.object({ ...explanationEnvelope, method: z.enum(SHAPLEY_RESULT_METHODS), ...shapleyResultSchema.shape }).meta({ id: 'ShapleyExplanation' });
const featureImportanceExplanationSchema = z.object({ ...explanationEnvelope, method: z.literal('importance'), ...featureImportanceResultSchema.shape }).meta({ id: 'FeatureImportanceExplanation' });
const limeExplanationSchema = z.object({ ...explanationEnvelope, method: z.literal('lime'), ...limeResultSchema.shape }).meta({ id: 'LimeExplanation' });
const partialDependenceExplanationSchema = z
  .union([
    z.object({ ...explanationEnvelope, method: z.literal('partial-dependence'), ...oneWayPartialDependenceResultSchema.shape }).meta({ id: 'OneWayPartialDependenceExplanation' }),
    z.object({ ...explanationEnvelope, method: z.literal('partial-dependence'), ...twoWayPartialDependenceResultSchema.shape }).meta({ id: 'TwoWayPartialDependenceExplanation' }),
  ])
  .meta({ id: 'PartialDependenceExplanation' });
/** Each explanation kind's answer (docs/explainability.md names the definition each method follows). */
const explanationSchemas = {
  shap: shapleyExplanationSchema,
  lime: limeExplanationSchema,
  'feature-importance': featureImportanceExplanationSchema,
  'partial-dependence': partialDependenceExplanationSchema,
} as const;
/** An asynchronous job's result: the methods a job can ask for (Shapley, importance, LIME). */
const jobExplanationSchema = z.union([shapleyExplanationSchema, featureImportanceExplanationSchema, limeExplanationSchema]).meta({ id: 'JobExplanation' });

/** What-if SHAP values of the changed row, by feature in `featureNames` order. */
const whatIfShapSchema = z.object({ baseValue: z.number(), values: z.array(z.number()), additivityGap: z.number(), outputSpace: z.enum(['margin', 'output']) });

/** src/analytics/explain/counterfactual.ts's result, with features by name. */
const counterfactualSchema = z.object({
  found: z.boolean(),
  counterfactual: z.record(z.string(), z.number()).nullable().describe('The closest row the model puts in the other class, by feature; null when none was found'),
  changedFeatures: z.array(z.string()),
  distance: z.number().nullable().describe('L1 distance on range-normalised features; null when none was found'),
  originalPrediction: z.number(),
  counterfactualPrediction: z.number().optional(),
});

type ExplanationAnswer = z.infer<(typeof explanationSchemas)[ExplanationKind]>;

/**
 * An explanation event as the API answers it: its result fields at the top level. The catalogue
 * checked the result against its method's schema when the event was appended.
 */
function present(event: StoredEvent, cached: boolean): ExplanationAnswer {
  const d = event.data as Record<string, unknown> & { result: Record<string, unknown> };
  return {
    ...d.result,
    modelId: d.modelId as string,
    modelVersion: d.modelVersion as number,
    method: d.method,
    outputSpace: d.outputSpace as 'margin' | 'output',
    featureNames: d.featureNames as string[],
    elapsedMs: d.elapsedMs as number,
    cached,
    failedChecks: d.failedChecks as string[],
    eventId: event.id,
    position: event.position,
    requestKey: d.requestKey as string,
  } as ExplanationAnswer;
}

/**
 * Explanations of registered models (SHAP, LIME, importance, partial dependence, what-if). Each
 * result is recorded as `explanation.computed` and identical requests are answered from it.
 * Computing one needs `assessments:run`, not `models:read`: it scores the model on the caller's
 * rows (what `models:predict` guards) and its record is the deploy gate's explainability evidence,
 * neither of which the read-only roles may do. Reading a job's result needs `models:read`.
 * Rows come inline (JSON arrays of instances); `datasetId` will name registered datasets.
 */
export function explainabilityRoutes(runtime: Runtime): FastifyPluginAsyncZod {
  return async (app) => {
    const prepare = async (modelId: string, query: { version?: number; datasetId?: string; datasetVersion?: number; limit?: number; rows?: Instance[]; background?: Instance[] }, where: Where) => {
      const version = await resolveScoringVersion(runtime, modelId, query.version);
      // A registered dataset gives the background (and the rows, when none are given): no size limit
      // of a query string, and its content hash goes into the recorded explanation.
      let datasetRows: Instance[] | null = null;
      let datasetHash: string | undefined;
      if (query.datasetId) {
        const dataset = await datasetVersion(runtime, query.datasetId, query.datasetVersion);
        const records = await readDatasetRecords(runtime.blobs, dataset.sha256, dataset.format, dataset.columns, MAX_BACKGROUND_ROWS, runtime.vault);
        const missing = version.inputSchema.filter((f) => !dataset.columns.some((c) => c.name === f.name)).map((f) => f.name);
        if (missing.length > 0) throw invalidFields([{ field: `${where}.datasetId`, message: `the dataset lacks the model's features ${missing.join(', ')}` }]);
        datasetRows = records.map((r) => Object.fromEntries(version.inputSchema.map((f) => [f.name, r[f.name] ?? null])) as Instance);
        datasetHash = dataset.sha256;
      }
      const rowInstances = query.rows ?? datasetRows?.slice(0, query.limit ?? 100);
      if (!rowInstances) throw invalidFields([{ field: `${where}.rows`, message: 'give rows, or a datasetId to take them from' }]);
      const rows = instanceRows(rowInstances, version.inputSchema, query.rows ? `${where}.rows` : 'dataset.rows');
      const backgroundInstances = query.background ?? datasetRows;
      const background = backgroundInstances ? instanceRows(backgroundInstances, version.inputSchema, query.background ? `${where}.background` : 'dataset.rows') : null;
      return { version, rows, background, datasetHash };
    };
    const run = async (request: Parameters<typeof principalOf>[0], modelId: string, version: number, method: ExplanationMethod | 'auto', rows: Rows, background: Rows | null, params: ExplanationParams, datasetHash: string | undefined, where: Where) => {
      try {
        const { event, cached } = await explain(runtime, { modelId, version, method, rows, background, params, actor: actorOf(principalOf(request)), correlationId: request.id, ...(datasetHash ? { datasetHash } : {}) });
        return present(event, cached);
      } catch (error) {
        if (error instanceof ExplanationRequestError) throw invalidFields([{ field: `${where}.${error.field}`, message: error.message }]);
        throw error;
      }
    };
    const params = (q: { seed: number; backgroundSize: number; nsamples?: number }, extra: Partial<ExplanationParams> = {}): ExplanationParams => ({ seed: q.seed, backgroundSize: q.backgroundSize, ...(q.nsamples ? { nsamples: q.nsamples } : {}), ...extra });

    /**
     * Each explanation has a POST that computes it and records `explanation.computed` (answered
     * from the record when an identical request was computed before), and the seed's GET, which
     * only reads: the explanation recorded for exactly those parameters, or a 404 saying how to
     * compute it. A GET never records, so it never counts as deploy evidence.
     */
    const answer = async (request: FastifyRequest, where: Where, kind: ExplanationKind, modelId: string, input: ExplanationInput) => {
      const { version, rows, background, datasetHash } = await prepare(modelId, input, where);
      const method: ExplanationMethod | 'auto' = kind === 'shap' ? input.method ?? 'auto' : kind === 'feature-importance' ? 'importance' : kind;
      const explanationParams = params(input, kind === 'partial-dependence' ? partialDependenceParams(input, version.inputSchema, where) : {});
      if (where === 'body') return run(request, modelId, version.version, method, rows, background, explanationParams, datasetHash, where);
      const recorded = await recordedExplanation(runtime, { modelId, version: version.version, method, rows, background, params: explanationParams });
      if (!recorded) {
        throw new HttpProblem(404, 'explanation-not-recorded', 'Explanation not recorded', `no ${kind} explanation of model ${modelId} version ${version.version} was recorded for these parameters; POST /api/v1/explainability/${kind}/${modelId} with them (as a JSON body) computes and records it`, {
          code: 'EXPLANATION_NOT_RECORDED',
        });
      }
      return present(recorded, true);
    };
    const routes: { kind: ExplanationKind; summary: string; description?: string; query: z.ZodObject; body: z.ZodObject }[] = [
      {
        kind: 'shap',
        summary: 'Shapley values of rows (TreeSHAP for tree ensembles, KernelSHAP otherwise, or the method named)',
        description: 'Values are per row and feature, with the base value and the additivity gap (sum of values + base value - output). Tree methods explain the margin (before the link), others the model output.',
        query: z.strictObject({ ...common, rows: jsonRows(MAX_ROWS).optional(), method: z.enum(SHAPLEY_METHODS).default('auto') }),
        body: z.strictObject({ ...commonBody, rows: instances(MAX_ROWS).optional(), method: z.enum(SHAPLEY_METHODS).default('auto') }),
      },
      {
        kind: 'lime',
        summary: 'LIME (tabular, quartile bins, ridge surrogate) for up to 20 rows; `background` is the training sample',
        query: z.strictObject({ ...common, rows: jsonRows(20).optional() }),
        body: z.strictObject({ ...commonBody, rows: instances(20).optional() }),
      },
      {
        kind: 'feature-importance',
        summary: 'Global importance: mean |SHAP| per feature over the rows, ranked',
        query: z.strictObject({ ...common, rows: jsonRows(MAX_ROWS).optional() }),
        body: z.strictObject({ ...commonBody, rows: instances(MAX_ROWS).optional() }),
      },
      {
        kind: 'partial-dependence',
        summary: 'Partial dependence (one feature or a pair) and ICE curves, on scikit-learn’s grid (mquantiles percentiles, numpy.linspace), by brute force or tree recursion',
        description:
          '`feature` names one feature; `features=a,b` asks for a two-way partial dependence. The grid is the distinct values when fewer than `grid`, else `grid` points between the `percentiles` (default 0.05,0.95, scipy mquantiles alphap=betap=0.4); `gridValues` ({"feature":[values]}) gives a grid explicitly. `centered=true` adds curves minus their value at the first grid point. `pdMethod`: brute (default; mean model output over the rows) or recursion (tree ensembles; margin over the tree covers). The result names its `estimand`.',
        query: z.strictObject({ ...common, rows: jsonRows(MAX_ROWS).optional(), ...partialDependenceQuery }),
        body: z.strictObject({ ...commonBody, rows: instances(MAX_ROWS).optional(), ...partialDependenceBody }),
      },
    ];
    for (const route of routes) {
      const path = `/api/v1/explainability/${route.kind}/:modelId`;
      app.post(path, {
        config: { permission: 'assessments:run' },
        bodyLimit: 32 * 1024 * 1024,
        schema: {
          tags: ['explainability'],
          summary: `${route.summary}: computed and recorded as explanation.computed (deploy evidence)`,
          description: `${route.description ?? ''} Rows and background come in the JSON body (or from datasetId); an identical request is answered from its record (cached: true).`.trim(),
          params: z.strictObject({ modelId: z.uuid() }),
          body: route.body,
          response: { 200: explanationSchemas[route.kind], ...errors, 413: problemSchema, 415: problemSchema },
        },
      }, async (request) => answer(request, 'body', route.kind, (request.params as { modelId: string }).modelId, request.body as ExplanationInput));
      app.get(path, {
        config: { permission: 'assessments:run' },
        schema: {
          tags: ['explainability'],
          summary: `${route.summary}: the recorded result for these parameters (reads only; POST computes)`,
          description: `${route.description ?? ''} Answers the explanation recorded for exactly these parameters, or 404 (explanation-not-recorded) when there is none: a GET computes and records nothing. Rows in a query string are bounded by the header size; POST takes them in a body.`.trim(),
          params: z.strictObject({ modelId: z.uuid() }),
          querystring: route.query,
          response: { 200: explanationSchemas[route.kind], ...errors },
        },
      }, async (request) => answer(request, 'querystring', route.kind, (request.params as { modelId: string }).modelId, queryInput(request.query as QueryInput)));
    }

    app.post('/api/v1/explainability/what-if-analysis', {
      config: { permission: 'assessments:run' },
      schema: {
        tags: ['explainability'],
        summary: 'Change feature values of an instance: new prediction, delta and Shapley values; optionally the smallest change that flips a classification',
        body: z.strictObject({
          modelId: z.uuid(),
          version: z.number().int().positive().optional(),
          instance,
          changes: z.record(z.string().max(200), z.union([z.number(), z.boolean(), z.null()])),
          background: z.array(instance).min(1).max(MAX_BACKGROUND_ROWS).optional(),
          counterfactual: z.strictObject({ immutable: z.array(z.string()).default([]), ranges: z.record(z.string(), z.tuple([z.number(), z.number()])).default({}) }).optional(),
          seed: z.number().int().min(0).default(0),
        }),
        response: { 200: z.object({ modelId: z.uuid(), modelVersion: z.number().int(), featureNames: z.array(z.string()), prediction: z.number(), newPrediction: z.number(), delta: z.number(), shap: whatIfShapSchema.nullable(), counterfactual: counterfactualSchema.nullable() }), ...errors },
      },
    }, async (request) => {
      const { modelId, changes, seed } = request.body;
      const version = await resolveScoringVersion(runtime, modelId, request.body.version);
      const schema = version.inputSchema;
      const names = schema.map((f) => f.name);
      const [row] = instanceRows([request.body.instance], schema, 'body.instance');
      const changed = instanceRows([{ ...request.body.instance, ...changes }], schema, 'body.changes');
      const unknown = Object.keys(changes).filter((k) => !names.includes(k));
      if (unknown.length > 0) throw invalidFields(unknown.map((k) => ({ field: `body.changes.${k}`, message: 'is not a feature of this model' })));
      const model = await runtime.scoringModels.get(modelId, version.version, version);
      const predict = scalarOutput(model);
      const width = schema.length;
      const ensemble = (model as { ensemble?: TreeEnsemble }).ensemble;
      const background = request.body.background ? rowMatrix(instanceRows(request.body.background, schema, 'body.background'), width) : null;
      const explainer = ensemble
        ? async (rows: { data: Float64Array; nRows: number }) => treeShapPathDependent(ensemble, rows.data, rows.nRows)
        : background
          ? async (rows: { data: Float64Array; nRows: number; nFeatures: number }) => {
              const bg = { data: background, nRows: background.length / width, nFeatures: width };
              return kernelShap(predict, rows, bg.nRows > 100 ? kmeansBackground(bg, 100, mulberry32(seed)) : bg, { random: mulberry32(seed) });
            }
          : undefined;
      const featureChanges = names.flatMap((name, feature) => (name in changes ? [{ feature, value: changed[0]![feature] ?? NaN }] : []));
      const result = await whatIf(predict, rowMatrix([row!], width), featureChanges, explainer);
      let counterfactual: z.infer<typeof counterfactualSchema> | null = null;
      if (request.body.counterfactual) {
        if (model.task === 'regression') throw invalidFields([{ field: 'body.counterfactual', message: 'counterfactuals flip a classification; this model is a regressor' }]);
        const { immutable, ranges } = request.body.counterfactual;
        const min = Float64Array.from(names, (n, j) => ranges[n]?.[0] ?? (background ? Math.min(...columnOf(background, width, j)) : -Infinity));
        const max = Float64Array.from(names, (n, j) => ranges[n]?.[1] ?? (background ? Math.max(...columnOf(background, width, j)) : Infinity));
        if (min.some((v) => !Number.isFinite(v)) || max.some((v) => !Number.isFinite(v))) throw invalidFields([{ field: 'body.counterfactual.ranges', message: 'give a range for every feature, or background rows to take ranges from' }]);
        const found = await findCounterfactual(predict, rowMatrix([row!], width), { min, max, immutable: immutable.map((n) => names.indexOf(n)).filter((j) => j >= 0), random: mulberry32(seed) });
        counterfactual = {
          found: found.found,
          counterfactual: found.counterfactual ? Object.fromEntries(names.map((n, j) => [n, found.counterfactual![j]!])) : null,
          changedFeatures: found.changedFeatures.map((j) => names[j]!),
          distance: Number.isFinite(found.distance) ? found.distance : null,
          originalPrediction: found.originalPrediction,
          ...(found.counterfactualPrediction !== undefined ? { counterfactualPrediction: found.counterfactualPrediction } : {}),
        };
      }
      return {
        modelId,
        modelVersion: version.version,
        featureNames: names,
        prediction: result.prediction,
        newPrediction: result.newPrediction,
        delta: result.delta,
        shap: result.shap ? { baseValue: result.shap.baseValue, values: valuesAsRows(result.shap)[0]!, additivityGap: result.shap.additivityGap, outputSpace: ensemble ? ('margin' as const) : ('output' as const) } : null,
        counterfactual,
      };
    });

    app.post('/api/v1/explainability/jobs', {
      config: { permission: 'assessments:run', idempotent: true },
      bodyLimit: 32 * 1024 * 1024,
      schema: {
        tags: ['explainability'],
        headers: idempotencyKeyHeaders,
        summary: 'Ask for an explanation asynchronously (202 + job id); a processor computes it off the request',
        body: z.strictObject({
          modelId: z.uuid(),
          version: z.number().int().positive().optional(),
          method: z.enum([...SHAPLEY_METHODS, 'lime', 'importance']).default('auto'),
          rows: z.array(instance).min(1).max(100_000),
          background: z.array(instance).min(1).max(MAX_BACKGROUND_ROWS).optional(),
          backgroundSize: z.number().int().min(1).max(1000).default(100),
          seed: z.number().int().min(0).default(0),
          nsamples: z.number().int().min(10).max(100_000).optional(),
        }),
        response: { 202: z.object({ jobId: z.uuid(), status: z.literal('queued'), statusUrl: z.string(), position: z.number().int() }), ...errors },
      },
    }, async (request, reply) => {
      const { modelId, method, seed, backgroundSize, nsamples } = request.body;
      const version = await resolveScoringVersion(runtime, modelId, request.body.version);
      const rows = instanceRows(request.body.rows, version.inputSchema, 'body.rows');
      const background = request.body.background ? instanceRows(request.body.background, version.inputSchema, 'body.background') : null;
      const jobParams: ExplanationParams = { seed, backgroundSize, ...(nsamples ? { nsamples } : {}) };
      const jobId = randomUUID();
      const requestKey = explanationRequestKey({ modelId, version: version.version, method, rows, background, params: jobParams });
      const data = { jobId, requestKey, modelId, modelVersion: version.version, method, params: jobParams, rowsHash: contentDigest(rows), backgroundHash: background ? contentDigest(background) : null, datasetHash: null, rows, background };
      const result = await handleCommand(runtime, explanationJobDecider, explanationJobStreamId(jobId), { type: 'RequestExplanation', data: JSON.parse(JSON.stringify(data)) as typeof data }, { actor: actorOf(principalOf(request)), correlationId: request.id });
      void reply.status(202).header('location', `/api/v1/explainability/jobs/${jobId}`);
      return { jobId, status: 'queued' as const, statusUrl: `/api/v1/explainability/jobs/${jobId}`, position: result.position };
    });

    app.get('/api/v1/explainability/jobs/:id', {
      config: { permission: 'models:read' },
      schema: {
        tags: ['explainability'],
        summary: 'The state of an asynchronous explanation, and its result once computed',
        params: z.strictObject({ id: z.uuid().describe('The explanation job') }),
        response: { 200: z.object({ jobId: z.uuid(), status: z.enum(['queued', 'running', 'completed', 'failed']), progress: z.object({ done: z.number().int(), total: z.number().int() }).optional(), reason: z.string().optional(), result: jobExplanationSchema.optional().describe('The explanation, once computed') }), ...errors },
      },
    }, async (request) => {
      const jobId = request.params.id;
      const events = await runtime.store.readStream(explanationJobStreamId(jobId));
      if (events.length === 0) throw notFound(`explanation job ${jobId}`);
      const failed = events.find((e) => e.type === 'explanation.failed');
      if (failed) return { jobId, status: 'failed' as const, reason: String(failed.data.reason) };
      const [computed] = await runtime.store.readStream(explanationStreamId(String(events[0]!.data.requestKey)), { limit: 1 });
      // A job asks only for the methods jobExplanationSchema lists (its request's method enum).
      if (computed) return { jobId, status: 'completed' as const, result: present(computed, computed.data.jobId !== jobId) as z.infer<typeof jobExplanationSchema> };
      const progress = runtime.explanationJobs.running().get(jobId);
      const total = (events[0]!.data.rows as unknown[]).length;
      return progress ? { jobId, status: 'running' as const, progress } : { jobId, status: 'queued' as const, progress: { done: 0, total } };
    });
  };
}

function columnOf(matrix: Float64Array, width: number, j: number): number[] {
  const out: number[] = [];
  for (let i = j; i < matrix.length; i += width) if (!Number.isNaN(matrix[i]!)) out.push(matrix[i]!);
  return out;
}
