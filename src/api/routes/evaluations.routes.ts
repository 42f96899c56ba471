import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { evaluationStreamId } from '../../commands/evaluation/evaluation.decider.js';
import { EVALUATION_TYPES } from '../../events/catalogue/evaluation.events.js';
import { compareEvaluations } from '../../processors/evaluations/evaluation-comparison.js';
import { MAX_ITEMS } from '../../processors/evaluations/evaluation-items.js';
import { createEvaluation, estimateEvaluation, evaluationState, startEvaluation, stopEvaluation, type EvaluationDependencies } from '../../processors/evaluations/evaluations.js';
import { evaluationListOrder, evaluationResultOrder, evaluationResults, findEvaluation, listEvaluations } from '../../projections/evaluations.projection.js';
import type { Runtime } from '../../runtime.js';
import { actorOf, principalOf } from '../auth/access-control.js';
import { readFresh, readModelCaughtUp } from '../fresh-read.js';
import { answeringLlmProblems } from '../llm-problems.js';
import { notFound, problemSchema } from '../problem-details.js';
import { pageFields, pageOf, pageQuery, sortQueryOf } from '../pagination.js';
import { evaluationCompleted, evaluationCreated, judgeCallSchema } from '../../events/catalogue/evaluation.events.js';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema, 422: problemSchema };
const idParams = z.strictObject({ id: z.uuid() });

const estimateSchema = z
  .object({
    calls: z.number().int().describe('Provider calls at most (answers and judge calls; cached judge calls included)'),
    inputTokens: z.number().int(),
    outputTokens: z.number().int(),
    costUsd: z.number().nullable().describe('null when a price is unknown'),
    units: z.number().int(),
    unitsOpen: z.number().int().describe('Units without a score yet: what a start would run'),
    budgetUsd: z.number().nullable(),
    withinBudget: z.boolean().nullable(),
  })
  .meta({ id: 'EvaluationEstimate' });

const metricAggregate = z.object({ metric: z.string(), n: z.number().int(), mean: z.number().nullable(), ciLow: z.number().nullable(), ciHigh: z.number().nullable(), abstentions: z.number().int() });
const evaluationSchema = z
  .object({
    evaluationId: z.uuid(),
    name: z.string(),
    type: z.enum(EVALUATION_TYPES),
    status: z.enum(['created', 'running', 'stopped', 'completed']),
    createdBy: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    progress: z.object({ total: z.number().int(), scored: z.number().int(), failed: z.number().int(), fraction: z.number() }),
    spentUsd: z.number(),
    stopReason: z.string().nullable(),
    modelId: z.uuid().nullable(),
    modelVersion: z.number().int().nullable(),
    definition: evaluationCreated.schema
      .omit({ items: true })
      .extend({ itemCount: z.number().int() })
      .describe('The evaluation.created record without its items: configurations (pinned by version), judge, metrics and versions, item source and hash, seed, budget, limits'),
    aggregates: z.array(z.object({ configurationId: z.uuid(), metrics: z.array(metricAggregate) })).nullable(),
    fairness: evaluationCompleted.schema.shape.fairness.nullable().describe('Counterfactual fairness per configuration and metric, once completed'),
    receipt: evaluationCompleted.schema.shape.receipt.nullable().describe('What recomputes the aggregates, once completed'),
  })
  .meta({ id: 'Evaluation' });

const itemSchema = z.strictObject({
  question: z.string().min(1).max(20_000),
  referenceAnswer: z.string().max(20_000).nullable().optional(),
  referenceContexts: z.array(z.string().max(20_000)).max(50).optional(),
  relevantDocumentIds: z.array(z.string().max(200)).max(100).optional(),
  group: z.record(z.string().max(100), z.string().max(200)).optional().describe('Group attributes of the item (metadata)'),
});

const createBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  type: z.enum(EVALUATION_TYPES).describe('llm: a configuration answers the questions; rag: retrieval then an answer; comparison: several configurations on the same items'),
  configurationIds: z.array(z.uuid()).min(1).max(10),
  judgeConfigurationId: z.uuid().nullable().optional().describe('The LLM configuration that judges (needed by judge metrics)'),
  metrics: z.array(z.string().min(1).max(100)).min(1).max(40).describe('Metric ids (docs/evaluations-metrics.md)'),
  rubric: z.string().min(1).max(10_000).nullable().optional().describe('G-Eval criteria'),
  items: z.array(itemSchema).min(1).max(MAX_ITEMS).optional(),
  dataset: z
    .strictObject({
      datasetId: z.uuid(),
      version: z.number().int().positive().optional().describe('Default: the latest'),
      mapping: z.strictObject({
        question: z.string().min(1),
        referenceAnswer: z.string().min(1).optional(),
        referenceContexts: z.string().min(1).optional().describe('A JSON array of strings per cell, or one string'),
        relevantDocumentIds: z.string().min(1).optional().describe('A JSON array of ids per cell, or one id'),
        group: z.array(z.string().min(1)).max(10).optional(),
      }),
    })
    .optional(),
  retrieval: z.strictObject({ k: z.number().int().min(1).max(50) }).nullable().optional(),
  counterfactual: z
    .strictObject({ groups: z.record(z.string().min(1).max(100), z.array(z.string().min(1).max(100)).min(1).max(50)) })
    .nullable()
    .optional()
    .describe('Each item is also asked once per group, the i-th terms of the other groups swapped for this group\'s i-th term'),
  seed: z.number().int().min(0).max(2 ** 31 - 1).optional(),
  budgetUsd: z.number().min(0).max(1_000_000).nullable().optional().describe('The run stops before an item would exceed it'),
  concurrency: z.number().int().min(1).max(64).optional().describe('Calls in flight per provider (default 4)'),
  requestsPerMinute: z.number().int().min(1).max(100_000).nullable().optional().describe('Calls started per provider per minute'),
  model: z.strictObject({ modelId: z.uuid(), version: z.number().int().positive() }).nullable().optional().describe('The model version this evaluation is evidence for (deploy gate of llm models)'),
});

const comparisonSchema = z.object({
  itemsSha256: z.string(),
  seed: z.number().int(),
  comparisons: z.array(
    z.object({
      baseline: z.object({ evaluationId: z.uuid(), configurationId: z.uuid() }),
      candidate: z.object({ evaluationId: z.uuid(), configurationId: z.uuid() }),
      metrics: z.array(
        z.object({
          metric: z.string(),
          n: z.number().int(),
          meanDifference: z.number().nullable().describe('candidate minus baseline'),
          ciLow: z.number().nullable(),
          ciHigh: z.number().nullable(),
          test: z.string(),
          pValue: z.number().nullable(),
          pValueHolm: z.number().nullable(),
          verdict: z.enum(['candidate-better', 'baseline-better', 'no-detectable-difference']),
        }),
      ),
    }),
  ),
});

/** Evaluations of LLM and RAG configurations (docs/evaluations.md). */
export function evaluationRoutes(runtime: Runtime): FastifyPluginAsyncZod {
  return async (app) => {
    const deps = (): EvaluationDependencies => ({ store: runtime.store, catalogue: runtime.catalogue, knex: runtime.db.knex, blobs: runtime.blobs });
    const meta = (request: Parameters<typeof principalOf>[0]) => {
      const principal = principalOf(request);
      return { actor: actorOf(principal), userId: principal.userId, correlationId: request.id };
    };

    app.post('/api/v1/evaluations', {
      config: { permission: 'evaluations:run' },
      schema: {
        tags: ['evaluations'],
        operationId: 'createEvaluation',
        summary: 'Define an evaluation (recorded as evaluation.created, configurations pinned by version, items hashed); nothing runs until it is started',
        body: createBody,
        response: { 201: z.object({ evaluationId: z.uuid(), units: z.number().int(), position: z.number().int() }), ...errors },
      },
    }, async (request, reply) => {
      // A dataset or model registered a moment ago may not be in its read model yet: wait (bounded) for it.
      if (request.body.dataset || request.body.model) await readModelCaughtUp(runtime, 'dataset_catalog', 'model_registry');
      const created = await answeringLlmProblems(() => createEvaluation(deps(), request.body, meta(request)));
      void reply.status(201).header('location', `/api/v1/evaluations/${created.evaluationId}`);
      return created;
    });

    app.get('/api/v1/evaluations', {
      config: { permission: 'evaluations:read' },
      schema: {
        tags: ['evaluations'],
        operationId: 'listEvaluations',
        summary: 'Evaluations with their status, progress and spend, newest first unless sorted otherwise',
        querystring: z.strictObject({
          status: z.enum(['created', 'running', 'stopped', 'completed']).optional(),
          type: z.enum(EVALUATION_TYPES).optional(),
          ...pageQuery(50),
          ...sortQueryOf(evaluationListOrder),
        }),
        response: { 200: z.object({ evaluations: z.array(evaluationSchema), ...pageFields }), ...errors },
      },
    }, async (request) => {
      const found = await listEvaluations(runtime.db.knex, request.query);
      return { evaluations: found.evaluations, ...pageOf(request.query, found.total) };
    });

    app.get('/api/v1/evaluations/:id', {
      config: { permission: 'evaluations:read' },
      schema: {
        tags: ['evaluations'],
        operationId: 'getEvaluation',
        summary: 'One evaluation: status, progress, aggregates with confidence intervals, counterfactual fairness, receipt; `dryRun=true` adds the estimate of what (the rest of) a run would cost, calling nothing',
        params: idParams,
        querystring: z.strictObject({ dryRun: z.enum(['true', 'false']).default('false') }),
        response: { 200: evaluationSchema.extend({ estimate: estimateSchema.optional() }), ...errors },
      },
    }, async (request) => {
      const id = request.params.id;
      const found = await readFresh(runtime, evaluationStreamId(id), 'evaluations', () => findEvaluation(runtime.db.knex, id));
      if (!found) throw notFound(`evaluation ${id}`);
      if (request.query.dryRun !== 'true') return found;
      const state = await evaluationState(deps(), id);
      return { ...found, estimate: await estimateEvaluation(deps(), state!) };
    });

    app.post('/api/v1/evaluations/:id/start', {
      config: { permission: 'evaluations:run' },
      schema: {
        tags: ['evaluations'],
        operationId: 'startEvaluation',
        summary: 'Start (or resume) the run: 202, then progress on GET; `dryRun: true` only answers the estimate of tokens and cost, spending nothing and recording nothing',
        params: idParams,
        body: z.strictObject({ dryRun: z.boolean().default(false) }).default({ dryRun: false }),
        response: {
          200: z.object({ evaluationId: z.uuid(), dryRun: z.literal(true), estimate: estimateSchema }),
          202: z.object({ evaluationId: z.uuid(), status: z.literal('running'), estimate: estimateSchema, position: z.number().int() }),
          ...errors,
        },
      },
    }, async (request, reply) => {
      const id = request.params.id;
      if (request.body.dryRun) {
        const state = await evaluationState(deps(), id);
        if (!state) throw notFound(`evaluation ${id}`);
        return { evaluationId: id, dryRun: true as const, estimate: await estimateEvaluation(deps(), state) };
      }
      const started = await answeringLlmProblems(() => startEvaluation(deps(), id, meta(request)));
      if (!started) throw notFound(`evaluation ${id}`);
      void reply.status(202).header('location', `/api/v1/evaluations/${id}`);
      return { evaluationId: id, status: 'running' as const, estimate: started.estimate, position: started.position };
    });

    app.post('/api/v1/evaluations/:id/stop', {
      config: { permission: 'evaluations:run' },
      schema: {
        tags: ['evaluations'],
        operationId: 'stopEvaluation',
        summary: 'Stop a running evaluation (recorded as evaluation.stopped); scored items stay, a later start resumes at the next unscored one',
        params: idParams,
        response: { 200: z.object({ evaluationId: z.uuid(), status: z.literal('stopped'), position: z.number().int() }), ...errors },
      },
    }, async (request) => {
      const id = request.params.id;
      const stopped = await stopEvaluation(deps(), id, meta(request));
      if (!stopped) throw notFound(`evaluation ${id}`);
      return { evaluationId: id, status: 'stopped' as const, position: stopped.position };
    });

    app.get('/api/v1/evaluations/:id/results', {
      config: { permission: 'evaluations:read' },
      schema: {
        tags: ['evaluations'],
        operationId: 'getEvaluationResults',
        summary: 'Results per item (and counterfactual variant, and configuration): answer, scores, abstentions, judge calls, usage and cost, or the failure',
        params: idParams,
        querystring: z.strictObject({ configurationId: z.uuid().optional(), ...pageQuery(100), ...sortQueryOf(evaluationResultOrder) }),
        response: {
          200: z.object({
            evaluationId: z.uuid(),
            ...pageFields,
            results: z.array(
              z.object({
                configurationId: z.uuid(),
                itemIndex: z.number().int(),
                variant: z.string().nullable(),
                status: z.enum(['scored', 'failed']),
                answer: z.string().nullable(),
                retrievedDocumentIds: z.array(z.string()),
                scores: z.record(z.string(), z.number().nullable()),
                abstentions: z.record(z.string(), z.string()),
                judgeCalls: z.array(judgeCallSchema),
                usage: z.object({ inputTokens: z.number().int(), outputTokens: z.number().int() }).nullable(),
                costUsd: z.number().nullable(),
                latencyMs: z.number().nullable(),
                failure: z.string().nullable(),
                reason: z.string().nullable(),
              }),
            ),
          }),
          ...errors,
        },
      },
    }, async (request) => {
      const id = request.params.id;
      const found = await readFresh(runtime, evaluationStreamId(id), 'evaluations', () => findEvaluation(runtime.db.knex, id));
      if (!found) throw notFound(`evaluation ${id}`);
      const { results, total } = await evaluationResults(runtime.db.knex, id, request.query);
      return { evaluationId: id, results, ...pageOf(request.query, total) };
    });

    app.post('/api/v1/evaluations/compare', {
      config: { permission: 'evaluations:read' },
      schema: {
        tags: ['evaluations'],
        operationId: 'compareEvaluations',
        summary: 'Compare evaluations on the same items: per metric the paired difference, bootstrap CI, McNemar or Wilcoxon/permutation test, Holm-adjusted; "better" only when the CI excludes zero',
        body: z.strictObject({
          evaluationIds: z.array(z.uuid()).min(1).max(10).describe('Two or more evaluations, or one comparison evaluation; the first arm is the baseline'),
          metrics: z.array(z.string().min(1)).min(1).max(40).optional(),
          test: z.enum(['wilcoxon', 'permutation']).optional().describe('For continuous metrics (default wilcoxon); pass/fail metrics use McNemar'),
          seed: z.number().int().min(0).max(2 ** 31 - 1).optional(),
          bootstrapSamples: z.number().int().min(100).max(20_000).optional(),
        }),
        response: { 200: comparisonSchema, ...errors },
      },
    }, async (request) => answeringLlmProblems(() => compareEvaluations(deps(), request.body)));
  };
}
