import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { datasetDrift } from '../../analytics/drift/dataset-drift.js';
import { handleCommand } from '../../commands/command-handler.js';
import { driftReportDecider, driftReportStreamId } from '../../commands/drift/drift-report.decider.js';
import type { JsonObject, StoredEvent } from '../../events/envelope.js';
import { readColumnsForDrift } from '../../processors/dataset-files.js';
import { findModelVersion } from '../../projections/model-registry.projection.js';
import type { DatasetVersionRecord } from '../../projections/dataset-catalog.projection.js';
import type { Runtime } from '../../runtime.js';
import { actorOf, principalOf } from '../auth/access-control.js';
import { problemSchema } from '../problem-details.js';
import { invalidFields } from './instance-rows.js';
import { datasetVersion } from './dataset-commands.js';
import { modelStateFromLedger } from './model-read.js';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema, 422: problemSchema };
const DRIFT_CODE_VERSION = 'raia-drift/1';
const TESTS = ['ks', 'wasserstein', 'chisquare', 'z', 'jensenshannon', 'psi'] as const;
const datasetRef = z.strictObject({ datasetId: z.uuid(), version: z.number().int().positive().optional() });

/** Alert severity from the share of drifted columns: any drift low, dataset drift medium, three quarters or more high. */
function severityOf(share: number, datasetDrifted: boolean): 'low' | 'medium' | 'high' | null {
  if (share === 0) return null;
  if (!datasetDrifted) return 'low';
  return share >= 0.75 ? 'high' : 'medium';
}

const presentReport = (e: StoredEvent) => ({ ...(e.data as Record<string, unknown>), eventId: e.id, position: e.position, detectedAt: e.occurredAt.toISOString() });

/** Data drift between dataset versions (or a model's training data and new data), reports and alerts. */
export function driftRoutes(runtime: Runtime): FastifyPluginAsyncZod {
  return async (app) => {
    /** The reference of a model: the training dataset its deployed (else latest) version names. */
    async function modelReference(modelId: string): Promise<{ ref: DatasetVersionRecord; modelVersion: number }> {
      const state = await modelStateFromLedger(runtime, modelId);
      if (state.status !== 'active') throw invalidFields([{ field: 'body.modelId', message: 'is not a registered model' }]);
      const chosen = state.versions.find((v) => v.status === 'deployed') ?? state.versions.at(-1);
      const record = chosen ? await findModelVersion(runtime.db.knex, modelId, chosen.version) : null;
      if (!record?.trainingData) throw invalidFields([{ field: 'body.reference', message: 'the model names no training dataset; give a reference dataset' }]);
      const versions = await runtime.db.knex('dataset_versions').where({ dataset_id: record.trainingData.datasetId, sha256: record.trainingData.contentHash }).orderBy('version', 'desc').first('version');
      if (!versions) throw invalidFields([{ field: 'body.reference', message: 'the training dataset the model names is not registered here; give a reference dataset' }]);
      return { ref: await datasetVersion(runtime, record.trainingData.datasetId, Number(versions.version)), modelVersion: record.version };
    }

    app.post('/api/v1/drift/detect', {
      config: { permission: 'assessments:run' },
      schema: {
        tags: ['drift'],
        summary: 'Detect drift of a current dataset version against a reference (given, or the model\'s training data)',
        description: 'Per column, as Evidently chooses by default: numeric with a reference of at most 1,000 rows KS (p < 0.05), else normalised Wasserstein (≥ 0.1); categorical chi-square (p < 0.05), else Jensen–Shannon distance (≥ 0.1); PSI for every column. Dataset drift when the share of drifted columns is at least driftShare (0.5). Tests and thresholds can be set per column.',
        body: z.strictObject({
          modelId: z.uuid().optional(),
          reference: datasetRef.optional(),
          current: datasetRef,
          columns: z.array(z.string()).min(1).max(1000).optional(),
          driftShare: z.number().gt(0).max(1).default(0.5),
          tests: z.record(z.string(), z.enum(TESTS)).default({}),
          thresholds: z.record(z.string(), z.number().positive()).default({}),
        }),
        response: { 200: z.object({ reportId: z.uuid(), datasetDrift: z.boolean(), driftShare: z.number(), shareOfDriftedColumns: z.number(), columns: z.array(z.unknown()), alert: z.unknown(), eventId: z.string(), position: z.number().int() }), ...errors },
      },
    }, async (request) => {
      const { modelId, columns, driftShare, tests, thresholds } = request.body;
      if (!request.body.reference && !modelId) throw invalidFields([{ field: 'body.reference', message: 'give a reference dataset, or a modelId whose training data is the reference' }]);
      const fromModel = request.body.reference ? null : await modelReference(modelId!);
      const reference = fromModel?.ref ?? (await datasetVersion(runtime, request.body.reference!.datasetId, request.body.reference!.version));
      const current = await datasetVersion(runtime, request.body.current.datasetId, request.body.current.version);
      const started = performance.now();
      const shared = reference.columns.filter((c) => current.columns.some((k) => k.name === c.name) && !c.hints.includes('id'));
      const wantedNames = columns ?? shared.map((c) => c.name);
      const unknown = wantedNames.filter((n) => !shared.some((c) => c.name === n));
      if (unknown.length > 0) throw invalidFields(unknown.map((n) => ({ field: 'body.columns', message: `${n} is not a column of both datasets` })));
      for (const name of [...Object.keys(tests), ...Object.keys(thresholds)]) if (!wantedNames.includes(name)) throw invalidFields([{ field: `body.tests.${name}`, message: 'is not a compared column' }]);
      const wanted = wantedNames.map((name) => ({ name, kind: ['integer', 'number'].includes(shared.find((c) => c.name === name)!.type) ? ('numeric' as const) : ('categorical' as const) }));
      const [ref, cur] = await Promise.all([readColumnsForDrift(runtime.blobs, reference.sha256, reference.format, wanted), readColumnsForDrift(runtime.blobs, current.sha256, current.format, wanted)]);
      const perColumn = Object.fromEntries(wantedNames.map((n) => [n, { ...(tests[n] ? { test: tests[n] } : {}), ...(thresholds[n] ? { threshold: thresholds[n] } : {}) }]));
      let result;
      try {
        result = datasetDrift(wanted.map((w) => ({ name: w.name, reference: ref.get(w.name)!, current: cur.get(w.name)! })), { driftShare, columns: perColumn });
      } catch (error) {
        throw invalidFields([{ field: 'body.tests', message: error instanceof Error ? error.message : String(error) }]);
      }
      const reportId = randomUUID();
      const severity = severityOf(result.shareOfDriftedColumns, result.datasetDrift);
      const drifted = result.columns.filter((c) => c.drifted).map((c) => c.column);
      const report = {
        reportId,
        modelId: modelId ?? null,
        modelVersion: fromModel?.modelVersion ?? null,
        reference: { datasetId: reference.datasetId, version: reference.version },
        current: { datasetId: current.datasetId, version: current.version },
        options: { driftShare, tests, thresholds, columns: wantedNames },
        result: JSON.parse(JSON.stringify(result)) as JsonObject,
        datasetDrift: result.datasetDrift,
        driftShare: result.shareOfDriftedColumns,
        elapsedMs: performance.now() - started,
        codeVersion: DRIFT_CODE_VERSION,
      };
      const alert = severity
        ? { alertId: randomUUID(), reportId, modelId: modelId ?? null, datasetId: current.datasetId, severity, driftedColumns: drifted, driftShare: result.shareOfDriftedColumns, message: `${drifted.length} of ${result.numberOfColumns} columns drifted (${drifted.slice(0, 5).join(', ')}${drifted.length > 5 ? '…' : ''})` }
        : null;
      const recorded = await handleCommand(runtime, driftReportDecider, driftReportStreamId(reportId), { type: 'RecordDrift', report: report as unknown as JsonObject & { reportId: string }, alert }, { actor: actorOf(principalOf(request)), correlationId: request.id });
      return { reportId, datasetDrift: result.datasetDrift, driftShare, shareOfDriftedColumns: result.shareOfDriftedColumns, columns: result.columns, alert, eventId: recorded.events[0]!.id, position: recorded.position };
    });

    app.get('/api/v1/drift/reports/:modelId', {
      config: { permission: 'models:read' },
      schema: { tags: ['drift'], summary: "A model's drift reports, newest first", params: z.strictObject({ modelId: z.uuid() }), querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(200).default(20) }), response: { 200: z.object({ modelId: z.uuid(), reports: z.array(z.unknown()) }), ...errors } },
    }, async (request) => {
      const events = await runtime.store.readAll({ filter: { types: ['drift.detected'], dataContains: { modelId: request.params.modelId } }, direction: 'backwards', limit: request.query.limit });
      return { modelId: request.params.modelId, reports: events.map(presentReport) };
    });

    app.get('/api/v1/drift/alerts', {
      config: { permission: 'datasets:read' },
      schema: {
        tags: ['drift'],
        summary: 'Drift alerts, newest first, by model, dataset or severity',
        querystring: z.strictObject({ modelId: z.uuid().optional(), datasetId: z.uuid().optional(), severity: z.enum(['low', 'medium', 'high']).optional(), limit: z.coerce.number().int().min(1).max(500).default(50) }),
        response: { 200: z.object({ alerts: z.array(z.unknown()) }), ...errors },
      },
    }, async (request) => {
      const { modelId, datasetId, severity, limit } = request.query;
      const dataContains = { ...(modelId ? { modelId } : {}), ...(datasetId ? { datasetId } : {}), ...(severity ? { severity } : {}) };
      const events = await runtime.store.readAll({ filter: { types: ['drift.alert-raised'], ...(Object.keys(dataContains).length > 0 ? { dataContains } : {}) }, direction: 'backwards', limit });
      return { alerts: events.map(presentReport) };
    });
  };
}
