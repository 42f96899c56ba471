import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { MODEL_TYPES, RISK_TIERS } from '../../events/catalogue/model.events.js';
import { discloseEvents } from '../../events/event-disclosure.js';
import { listModels, modelInRows, modelListOrder, modelRegistry, modelVersionListOrder, pageOfModelVersions, type ModelSummary, type ModelVersionRecord } from '../../projections/model-registry.projection.js';
import type { Runtime } from '../../runtime.js';
import type { LedgerPoint } from '../../projections/as-of/ledger-point.js';
import { presentEvent, auditEventSchema } from '../audit-query.js';
import { principalOf } from '../auth/access-control.js';
import { personalDataViewOf } from '../personal-data-view.js';
import { HttpProblem, notFound, problemSchema } from '../problem-details.js';
import { currentDeploymentPolicy, runModelCommand } from './model-commands.js';
import { collectAssessments, collectEvaluations } from './model-assessments.js';
import { validationChecks } from './model-validation.js';
import { freshModel, freshModelVersion, versionedModel } from './model-read.js';
import { etagResponseHeader, ifMatchHeaders, preconditionOf, setETag } from '../conditional-request.js';
import { idempotencyKeyHeaders } from '../idempotency-keys.js';
import { asOfQuery, ledgerPointOf, readModelAt, readModelRowsAt } from '../as-of-query.js';
import { modelStreamId } from '../../commands/model/model.decider.js';
import { cachedReadModelQuery } from '../../projections/cached-read-model-query.js';
import { pageFields, pageOf, pageQuery, sortedSlice, sortQueryOf, type ListInMemoryOrder } from '../pagination.js';
import { ledgerSortQuery, streamPage } from '../ledger-page.js';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema, 412: problemSchema, 422: problemSchema, 503: problemSchema };
const idParams = z.strictObject({ id: z.uuid() });
const versionParams = z.strictObject({ id: z.uuid(), version: z.coerce.number().int().positive() });

const tags = z.array(z.string().trim().min(1).max(50)).max(50);
const descriptive = {
  name: z.string().trim().min(1).max(200),
  description: z.string().max(5000),
  tags,
  riskTier: z.enum(RISK_TIERS),
  intendedUse: z.string().max(5000),
};

export const modelSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    type: z.string(),
    ownerId: z.string(),
    description: z.string(),
    tags: z.array(z.string()),
    riskTier: z.string(),
    intendedUse: z.string(),
    latestVersion: z.number().int().nullable(),
    deployedVersion: z.number().int().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({
    id: 'Model',
    examples: [
      {
        id: '0193b0a4-6c1e-7d2a-9f3b-4a5c6d7e8f90',
        name: 'credit scoring',
        type: 'classification',
        ownerId: '0193b0a4-1111-7222-8333-444455556666',
        description: 'Probability of default within 12 months',
        tags: ['credit'],
        riskTier: 'high',
        intendedUse: 'Retail loan pre-screening with human review',
        latestVersion: 2,
        deployedVersion: 1,
        createdAt: '2026-03-01T09:00:00.000Z',
        updatedAt: '2026-03-08T14:30:00.000Z',
      },
    ],
  });

export const versionSchema = z
  .object({
    version: z.number().int(),
    status: z.string(),
    authorId: z.string(),
    task: z.string(),
    classes: z.array(z.string()).nullable(),
    artifact: z.object({ sha256: z.string(), size: z.number(), format: z.string(), filename: z.string().nullable() }).nullable(),
    endpoint: z.object({ url: z.string() }).nullable(),
    inputSchema: z.array(z.object({ name: z.string(), type: z.string() })),
    trainingData: z.object({ datasetId: z.string(), contentHash: z.string() }).nullable(),
    metrics: z.record(z.string(), z.number()),
    notes: z.string(),
    createdAt: z.string(),
    statusChangedAt: z.string(),
  })
  .meta({ id: 'ModelVersion' });

const presentModel = (m: ModelSummary) => {
  const { modelId, ...rest } = m;
  return { id: modelId, ...rest };
};
export const presentVersion = (v: ModelVersionRecord) => {
  const { modelId: _modelId, ...rest } = v;
  return rest;
};
const changed = z.object({ id: z.uuid(), position: z.number().int() }).meta({ headers: etagResponseHeader });

/**
 * The version list's order (modelVersionListOrder) over versions replayed as of a point of the
 * ledger: the same fields, ties by version number (zero-padded, so text order is number order).
 */
const versionsInMemoryOrder: ListInMemoryOrder<ModelVersionRecord, keyof typeof modelVersionListOrder.columns> = {
  fields: { version: (v) => v.version, createdAt: (v) => v.createdAt, statusChangedAt: (v) => v.statusChangedAt, status: (v) => v.status },
  id: (v) => String(v.version).padStart(10, '0'),
  defaultSort: modelVersionListOrder.defaultSort,
  defaultOrder: modelVersionListOrder.defaultOrder,
};

/**
 * The model registry: models and their immutable versions, their governed lifecycle and history.
 * Writes are ledger commands; reads come from the `model_registry` read model (send
 * `X-Min-Position: <position>` to read a write just made).
 */
export function modelRoutes(runtime: Runtime): FastifyPluginAsyncZod {
  return async (app) => {
    const knex = runtime.db.knex;
    const existing = (id: string) => freshModel(runtime, id);
    const modelAt = async (point: LedgerPoint, id: string) => modelInRows(await readModelRowsAt(runtime, modelRegistry, { streamId: modelStreamId(id) }, point), id);
    const existingModelAt = async (point: LedgerPoint, id: string) => {
      const { model, versions } = await modelAt(point, id);
      if (!model) throw notFound(`model ${id} as of position ${point.position}`);
      return { model, versions };
    };

    app.get('/api/v1/models', {
      config: { permission: 'models:read' },
      schema: {
        tags: ['models'],
        summary: 'List registered models (not deleted), newest first unless sorted otherwise',
        querystring: z.strictObject({
          type: z.enum(MODEL_TYPES).optional(),
          riskTier: z.enum(RISK_TIERS).optional(),
          owner: z.string().max(100).optional(),
          tag: z.string().max(50).optional(),
          search: z.string().max(200).optional(),
          status: z.enum(['deployed']).optional(),
          ...pageQuery(50),
          ...sortQueryOf(modelListOrder),
          ...asOfQuery,
        }),
        response: { 200: z.object({ models: z.array(modelSchema), ...pageFields }), ...errors },
      },
    }, async (request, reply) => {
      const { owner, asOf, atPosition, ...rest } = request.query;
      const filter = { ...rest, ...(owner ? { ownerId: owner === 'me' ? principalOf(request).userId : owner } : {}) };
      const point = await ledgerPointOf(runtime, { asOf, atPosition }, reply);
      const found = point ? await readModelAt(runtime, modelRegistry, 'ledger', point, (db) => listModels(db, filter)) : await cachedReadModelQuery(runtime, 'model_registry', 'models.list', filter, () => listModels(knex, filter));
      return { models: found.models.map(presentModel), ...pageOf(request.query, found.total) };
    });

    app.post('/api/v1/models', {
      config: { permission: 'models:write', idempotent: true },
      schema: {
        tags: ['models'],
        headers: idempotencyKeyHeaders,
        summary: 'Register a model (the caller becomes its owner); add versions with POST /models/:id/versions',
        body: z.strictObject({ name: descriptive.name, type: z.enum(MODEL_TYPES), description: descriptive.description.default(''), tags: tags.default([]), riskTier: descriptive.riskTier, intendedUse: descriptive.intendedUse.default('') }),
        response: { 201: changed, ...errors },
      },
    }, async (request, reply) => {
      const id = randomUUID();
      const { type, ...rest } = request.body;
      const result = await runModelCommand(runtime, request, id, { type: 'RegisterModel', modelId: id, modelType: type, ...rest });
      void reply.status(201).header('location', `/api/v1/models/${id}`);
      setETag(reply, result.streamVersion);
      return { id, position: result.position };
    });

    app.get('/api/v1/models/:id', {
      config: { permission: 'models:read' },
      schema: { tags: ['models'], summary: 'A model with its versions; its ETag is for If-Match on its writes', params: idParams, querystring: z.strictObject(asOfQuery), response: { 200: modelSchema.extend({ versions: z.array(versionSchema) }).meta({ headers: etagResponseHeader }), ...errors } },
    }, async (request, reply) => {
      const point = await ledgerPointOf(runtime, request.query, reply);
      if (point) {
        const then = await existingModelAt(point, request.params.id);
        return { ...presentModel(then.model), versions: then.versions.map(presentVersion) };
      }
      const { value, streamVersion } = await versionedModel(runtime, request.params.id);
      if (!value) throw notFound(`model ${request.params.id}`);
      setETag(reply, streamVersion);
      return { ...presentModel(value.model), versions: value.versions.map(presentVersion) };
    });

    app.put('/api/v1/models/:id', {
      config: { permission: 'models:write' },
      schema: {
        tags: ['models'],
        summary: 'Edit descriptive fields (owner or admin); versions are immutable',
        params: idParams,
        headers: ifMatchHeaders,
        body: z.strictObject({ name: descriptive.name.optional(), description: descriptive.description.optional(), tags: tags.optional(), riskTier: descriptive.riskTier.optional(), intendedUse: descriptive.intendedUse.optional() }),
        response: { 200: changed, ...errors },
      },
    }, async (request, reply) => {
      const result = await runModelCommand(runtime, request, request.params.id, { type: 'UpdateModel', changes: request.body }, preconditionOf(request));
      setETag(reply, result.streamVersion);
      return { id: request.params.id, position: result.position };
    });

    app.delete('/api/v1/models/:id', {
      config: { permission: 'models:write' },
      schema: {
        tags: ['models'],
        summary: 'Withdraw a model (soft delete recorded as an event; its history stays). Deployed versions must be retired first',
        params: idParams,
        headers: ifMatchHeaders,
        querystring: z.strictObject({ reason: z.string().trim().min(1).max(500).default('withdrawn') }),
        response: { 200: changed, ...errors },
      },
    }, async (request, reply) => {
      const result = await runModelCommand(runtime, request, request.params.id, { type: 'DeleteModel', reason: request.query.reason }, preconditionOf(request));
      setETag(reply, result.streamVersion);
      return { id: request.params.id, position: result.position };
    });

    app.get('/api/v1/models/:id/versions', {
      config: { permission: 'models:read' },
      schema: {
        tags: ['models'],
        summary: "A model's versions, oldest first unless sorted otherwise",
        params: idParams,
        querystring: z.strictObject({ ...pageQuery(100), ...sortQueryOf(modelVersionListOrder), ...asOfQuery }),
        response: { 200: z.object({ versions: z.array(versionSchema), ...pageFields }), ...errors },
      },
    }, async (request, reply) => {
      const { asOf, atPosition, ...page } = request.query;
      const point = await ledgerPointOf(runtime, { asOf, atPosition }, reply);
      if (point) {
        // As of a point the versions are replayed rows in memory: the same order, cut here.
        const { items, page: paging } = sortedSlice((await existingModelAt(point, request.params.id)).versions, page, versionsInMemoryOrder);
        return { versions: items.map(presentVersion), ...paging };
      }
      if (!(await existing(request.params.id))) throw notFound(`model ${request.params.id}`);
      const { versions, total } = await pageOfModelVersions(knex, request.params.id, page);
      return { versions: versions.map(presentVersion), ...pageOf(page, total) };
    });

    app.get('/api/v1/models/:id/versions/:version', {
      config: { permission: 'models:read' },
      schema: { tags: ['models'], summary: 'One version', params: versionParams, querystring: z.strictObject(asOfQuery), response: { 200: versionSchema, ...errors } },
    }, async (request, reply) => {
      const point = await ledgerPointOf(runtime, request.query, reply);
      const { id, version } = request.params;
      const v = point ? ((await modelAt(point, id)).versions.find((x) => x.version === version) ?? null) : await freshModelVersion(runtime, id, version);
      if (!v) throw notFound(`version ${request.params.version} of model ${request.params.id}`);
      return presentVersion(v);
    });

    const lifecycleResult = z.object({ id: z.uuid(), version: z.number().int(), status: z.string(), position: z.number().int() }).meta({ headers: etagResponseHeader });

    app.post('/api/v1/models/:id/versions/:version/validate', {
      config: { permission: 'models:write' },
      schema: {
        tags: ['models'],
        summary: 'Validate a draft version: its artifact loads, matches its input schema and scores a sample (draft -> validated)',
        params: versionParams,
        headers: ifMatchHeaders,
        response: { 200: lifecycleResult.extend({ checks: z.array(z.object({ name: z.string(), passed: z.boolean(), detail: z.string() })) }), ...errors },
      },
    }, async (request, reply) => {
      const { id, version } = request.params;
      const precondition = preconditionOf(request);
      const [model, v] = await Promise.all([existing(id), freshModelVersion(runtime, id, version)]);
      if (!model || !v) throw notFound(`version ${version} of model ${id}`);
      const checks = await validationChecks(runtime, model, v);
      const result = await runModelCommand(runtime, request, id, { type: 'ValidateVersion', version, checks }, precondition);
      setETag(reply, result.streamVersion);
      return { id, version, status: 'validated', position: result.position, checks };
    });

    app.post('/api/v1/models/:id/versions/:version/approve', {
      config: { permission: 'models:approve' },
      schema: {
        tags: ['models'],
        summary: 'Approve a validated version for deployment (policy: a risk officer who is not its author)',
        params: versionParams,
        headers: ifMatchHeaders,
        body: z.strictObject({ comment: z.string().max(2000).default('') }),
        response: { 200: lifecycleResult, ...errors },
      },
    }, async (request, reply) => {
      const { id, version } = request.params;
      const precondition = preconditionOf(request);
      const policy = await currentDeploymentPolicy(runtime);
      const result = await runModelCommand(runtime, request, id, { type: 'ApproveVersion', version, comment: request.body.comment, policy }, precondition);
      setETag(reply, result.streamVersion);
      return { id, version, status: 'approved', position: result.position };
    });

    app.post('/api/v1/models/:id/deploy', {
      config: { permission: 'models:write' },
      schema: {
        tags: ['models'],
        summary: 'Deploy an approved version, if the deployment policy\'s gates are met (409 lists every unmet one); the version in service is retired',
        params: idParams,
        headers: ifMatchHeaders,
        body: z.strictObject({ version: z.number().int().positive() }),
        response: { 200: lifecycleResult, ...errors },
      },
    }, async (request, reply) => {
      const { id } = request.params;
      const { version } = request.body;
      const precondition = preconditionOf(request);
      const [policy, assessments, evaluations] = await Promise.all([currentDeploymentPolicy(runtime), collectAssessments(runtime, id, version), collectEvaluations(runtime, id, version)]);
      const result = await runModelCommand(runtime, request, id, { type: 'DeployVersion', version, policy, assessments, evaluations }, precondition);
      setETag(reply, result.streamVersion);
      return { id, version, status: 'deployed', position: result.position };
    });

    app.post('/api/v1/models/:id/retire', {
      config: { permission: 'models:write' },
      schema: {
        tags: ['models'],
        summary: 'Retire a version (default: the one deployed)',
        params: idParams,
        headers: ifMatchHeaders,
        body: z.strictObject({ version: z.number().int().positive().optional(), reason: z.string().trim().min(1).max(500) }),
        response: { 200: lifecycleResult, ...errors },
      },
    }, async (request, reply) => {
      const { id } = request.params;
      const precondition = preconditionOf(request);
      const model = await existing(id);
      if (!model) throw notFound(`model ${id}`);
      const version = request.body.version ?? model.deployedVersion;
      if (version === null) throw new HttpProblem(409, 'nothing-deployed', 'Nothing to retire', 'the model has no deployed version; name the version to retire');
      const result = await runModelCommand(runtime, request, id, { type: 'RetireVersion', version, reason: request.body.reason }, precondition);
      setETag(reply, result.streamVersion);
      return { id, version, status: 'retired', position: result.position };
    });

    app.get('/api/v1/models/:id/history', {
      config: { permission: 'models:read' },
      schema: {
        tags: ['models'],
        summary: "The model's audit timeline: the events of its stream (registration, versions, validations, approvals, refusals, deployments), oldest first unless `order=desc`",
        description: 'The stream is read whole and cut into pages in stream order (ledger position), so pages never repeat or skip an event.',
        params: idParams,
        querystring: z.strictObject({ ...pageQuery(100), ...ledgerSortQuery('asc') }),
        response: { 200: z.object({ modelId: z.uuid(), events: z.array(auditEventSchema), ...pageFields }), ...errors },
      },
    }, async (request) => {
      const events = await runtime.store.readStream(`model-${request.params.id}`);
      if (events.length === 0) throw notFound(`model ${request.params.id}`);
      const { items, ...paging } = streamPage(events, request.query);
      return { modelId: request.params.id, events: (await discloseEvents(items, runtime, personalDataViewOf(principalOf(request)))).map(presentEvent), ...paging };
    });
  };
}
