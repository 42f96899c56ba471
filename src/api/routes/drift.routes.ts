import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { handleCommand } from '../../commands/command-handler.js';
import { cronProblem, driftScheduleDecider, driftScheduleStreamId } from '../../commands/drift/drift-schedule.decider.js';
import type { StoredEvent } from '../../events/envelope.js';
import { DRIFT_TESTS, DriftRequestError, detectDrift, resolveDriftInputs } from '../../processors/drift-detection.js';
import { activeDriftSchedules, driftScheduleFromLedger, type DriftSchedule } from '../../processors/drift-scheduler.js';
import type { Runtime } from '../../runtime.js';
import { actorOf, principalOf } from '../auth/access-control.js';
import { HttpProblem, invalidFields, notFound, problemSchema } from '../problem-details.js';
import { idempotencyKeyHeaders } from '../idempotency-keys.js';
import { asOfQuery, ledgerPointOf } from '../as-of-query.js';
import { pageFields, pageQuery, sortedSlice, sortQueryInMemory, type ListInMemoryOrder } from '../pagination.js';
import { ledgerPage, ledgerSortQuery } from '../ledger-page.js';
import type { driftReportSchema} from '../drift-report-schemas.js';
import { driftAlertSchema, driftColumnResultSchema, driftScheduleSchema, recordedDriftAlertSchema, recordedDriftReportSchema } from '../drift-report-schemas.js';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema, 422: problemSchema };
const datasetRef = z.strictObject({ datasetId: z.uuid(), version: z.number().int().positive().optional() });
const driftOptions = {
  columns: z.array(z.string()).min(1).max(1000).optional(),
  driftShare: z.number().gt(0).max(1).default(0.5),
  tests: z.record(z.string(), z.enum(DRIFT_TESTS)).default({}),
  thresholds: z.record(z.string(), z.number().positive()).default({}),
};
/** The column options docs/drift-and-quality.md lists, for every column (`defaults`) or one (`columnOptions[name]`). */
const columnOptions = z.strictObject({
  test: z.enum(DRIFT_TESTS).optional(),
  threshold: z.number().positive().optional(),
  thresholds: z.partialRecord(z.enum(DRIFT_TESTS), z.number().positive()).optional(),
  psiBins: z.number().int().min(2).max(1000).optional().describe('Reference-quantile bins of the PSI reported for every numeric column (default 10)'),
  jsBase: z.number().positive().refine((b) => b !== 1, 'must not be 1').optional().describe('Logarithm base of the Jensen–Shannon distance (default 2)'),
  smallReferenceLimit: z.number().int().min(0).optional().describe('Reference size up to which the small-sample tests (KS, χ², z) are chosen (default 1000)'),
});
const threshold = z.number().positive().optional();
const bins = z.number().int().min(2).max(1000).optional();
/** One extra test of a column, named with its parameters (docs/drift-and-quality.md, "Several tests per column"). */
const driftTestSpec = z.discriminatedUnion('method', [
  z.strictObject({ method: z.literal('ks'), mode: z.enum(['auto', 'exact', 'asymp']).optional().describe("scipy.stats.ks_2samp's method"), threshold }),
  z.strictObject({ method: z.literal('wasserstein'), normalised: z.boolean().optional().describe('Divide by the reference standard deviation (default true); raw is scipy.stats.wasserstein_distance'), threshold }),
  z.strictObject({ method: z.literal('chisquare'), variant: z.enum(['goodness-of-fit', 'contingency']).optional(), correction: z.boolean().optional().describe("contingency: Yates' correction on 2×2 (scipy's default true)"), threshold }),
  z.strictObject({ method: z.literal('z'), threshold }),
  z.strictObject({ method: z.literal('jensenshannon'), base: z.number().positive().refine((b) => b !== 1, 'must not be 1').optional(), binning: z.enum(['auto', 'equal-width', 'quantile']).optional(), bins, threshold }),
  z.strictObject({ method: z.literal('psi'), binning: z.enum(['quantile', 'equal-width']).optional(), bins, threshold }),
]);
const testOptions = {
  defaults: columnOptions.optional(),
  columnOptions: z.record(z.string(), columnOptions).optional(),
  additionalTests: z.array(driftTestSpec).max(20).optional().describe('Tests run on every column beside the one that decides drift; each result names its method and parameters'),
  columnTests: z.record(z.string(), z.array(driftTestSpec).max(20)).optional().describe('Extra tests per column'),
};

const presentReport = <T>(e: StoredEvent) => ({ ...(e.data as T), eventId: e.id, position: e.position, detectedAt: e.occurredAt.toISOString() });

/** A computed result as JSON writes it: the NaN of an empty sample and an unbounded bin's ±∞ become null. */
const asJson = <T>(value: T) => JSON.parse(JSON.stringify(value)) as T;

/** The schedule list's sort fields; oldest first unless asked otherwise. */
const scheduleListOrder: ListInMemoryOrder<DriftSchedule, 'setAt' | 'cron'> = { fields: { setAt: (s) => s.setAt.getTime(), cron: (s) => s.cron }, id: (s) => s.scheduleId, defaultSort: 'setAt', defaultOrder: 'asc' };

const presentSchedule = (s: DriftSchedule) => ({ scheduleId: s.scheduleId, modelId: s.modelId, reference: s.reference, currentDatasetId: s.currentDatasetId, cron: s.cron, options: s.options, eventId: s.eventId, setAt: s.setAt.toISOString() });

/** A drift request the ledger cannot serve, as problem details naming the body field at fault. */
async function asProblem<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (!(error instanceof DriftRequestError)) throw error;
    if (error.status === 404) throw new HttpProblem(404, 'not-found', 'Not found', error.message);
    throw invalidFields([{ field: `body.${error.field}`, message: error.message }]);
  }
}

/** Data drift between dataset versions (or a model's training data and new data), reports, alerts and scheduled checks. */
export function driftRoutes(runtime: Runtime): FastifyPluginAsyncZod {
  return async (app) => {
    app.post('/api/v1/drift/detect', {
      config: { permission: 'assessments:run' },
      schema: {
        tags: ['drift'],
        summary: 'Detect drift of a current dataset version against a reference (given, or the model\'s training data)',
        description: 'Per column, as Evidently chooses by default: numeric with a reference of at most 1,000 rows KS (p < 0.05), else normalised Wasserstein (≥ 0.1); categorical chi-square (p < 0.05), else Jensen–Shannon distance (≥ 0.1); PSI for every column. Dataset drift when the share of drifted columns is at least driftShare (0.5). Tests and thresholds can be set per column.',
        body: z.strictObject({ modelId: z.uuid().optional(), reference: datasetRef.optional(), current: datasetRef, ...driftOptions, ...testOptions }),
        response: { 200: z.object({ reportId: z.uuid(), datasetDrift: z.boolean(), driftShare: z.number(), shareOfDriftedColumns: z.number(), columns: z.array(driftColumnResultSchema), alert: driftAlertSchema.nullable(), eventId: z.string(), position: z.number().int() }), ...errors },
      },
    }, async (request) => {
      const detected = await asProblem(detectDrift(runtime, { ...request.body, actor: actorOf(principalOf(request)), correlationId: request.id }));
      const { report, alert } = detected;
      return { reportId: report.reportId, datasetDrift: report.datasetDrift, driftShare: request.body.driftShare, shareOfDriftedColumns: report.result.shareOfDriftedColumns, columns: asJson(report.result.columns), alert, eventId: detected.eventId, position: detected.position };
    });

    app.post('/api/v1/drift/schedules', {
      config: { permission: 'assessments:run', idempotent: true },
      schema: {
        tags: ['drift'],
        headers: idempotencyKeyHeaders,
        summary: 'Check drift on a schedule: the latest version of a dataset against a reference (given, or the model\'s training data)',
        description: 'cron is node-cron syntax (five fields, or six with seconds first). Every run compares the latest version of `currentDatasetId` with the reference (a fixed version, the latest, or the training data of the model\'s deployed version) and records a drift report (and alert) caused by the schedule; a pair of versions already checked by the schedule records nothing new.',
        body: z.strictObject({
          modelId: z.uuid().optional(),
          reference: datasetRef.optional(),
          currentDatasetId: z.uuid(),
          cron: z.string().min(1).max(200).superRefine((cron, ctx) => {
            const problem = cronProblem(cron);
            if (problem) ctx.addIssue({ code: 'custom', message: problem });
          }),
          ...driftOptions,
        }),
        response: { 201: z.object({ scheduleId: z.uuid(), eventId: z.string(), position: z.number().int() }), ...errors },
      },
    }, async (request, reply) => {
      const { modelId, reference, currentDatasetId, cron, columns, driftShare, tests, thresholds } = request.body;
      // Refuse now what every run would refuse: unknown datasets, a model without training data, unknown columns.
      await asProblem(resolveDriftInputs(runtime, { modelId, reference, current: { datasetId: currentDatasetId }, columns, driftShare, tests, thresholds }));
      const scheduleId = randomUUID();
      const options = { ...(columns ? { columns } : {}), driftShare, tests, thresholds };
      const result = await handleCommand(runtime, driftScheduleDecider, driftScheduleStreamId(scheduleId), { type: 'SetDriftSchedule', scheduleId, modelId: modelId ?? null, reference: reference ?? null, currentDatasetId, cron, options }, { actor: actorOf(principalOf(request)), correlationId: request.id });
      return reply.code(201).send({ scheduleId, eventId: result.events[0]!.id, position: result.position });
    });

    app.get('/api/v1/drift/schedules', {
      config: { permission: 'datasets:read' },
      schema: {
        tags: ['drift'],
        summary: 'The active drift schedules, oldest first unless sorted otherwise',
        querystring: z.strictObject({ modelId: z.uuid().optional(), datasetId: z.uuid().optional(), ...pageQuery(50), ...sortQueryInMemory(scheduleListOrder), ...asOfQuery }),
        response: { 200: z.object({ schedules: z.array(driftScheduleSchema), ...pageFields }), ...errors },
      },
    }, async (request, reply) => {
      const { modelId, datasetId, asOf, atPosition, ...page } = request.query;
      const point = await ledgerPointOf(runtime, { asOf, atPosition }, reply);
      const schedules = (await activeDriftSchedules(runtime, point?.position)).filter((s) => (!modelId || s.modelId === modelId) && (!datasetId || s.currentDatasetId === datasetId || s.reference?.datasetId === datasetId));
      // Active schedules are replayed from the ledger (drift-scheduler.ts), so they are paged in memory.
      const { items, page: paging } = sortedSlice(schedules, page, scheduleListOrder);
      return { schedules: items.map(presentSchedule), ...paging };
    });

    app.delete('/api/v1/drift/schedules/:id', {
      config: { permission: 'assessments:run' },
      schema: { tags: ['drift'], summary: 'Remove a drift schedule: it runs no more', params: z.strictObject({ id: z.uuid() }), response: { 200: z.object({ scheduleId: z.uuid(), removed: z.literal(true), position: z.number().int() }), ...errors } },
    }, async (request) => {
      const { id } = request.params;
      if (!(await driftScheduleFromLedger(runtime, id))) throw notFound(`drift schedule ${id}`);
      const result = await handleCommand(runtime, driftScheduleDecider, driftScheduleStreamId(id), { type: 'RemoveDriftSchedule' }, { actor: actorOf(principalOf(request)), correlationId: request.id });
      return { scheduleId: id, removed: true as const, position: result.position };
    });

    app.get('/api/v1/drift/reports/:modelId', {
      config: { permission: 'models:read' },
      schema: {
        tags: ['drift'],
        summary: "A model's drift reports, newest first unless sorted otherwise",
        params: z.strictObject({ modelId: z.uuid() }),
        querystring: z.strictObject({ ...pageQuery(20), ...ledgerSortQuery('desc'), ...asOfQuery }),
        response: { 200: z.object({ modelId: z.uuid(), reports: z.array(recordedDriftReportSchema), ...pageFields }), ...errors },
      },
    }, async (request, reply) => {
      const { asOf, atPosition, ...page } = request.query;
      const point = await ledgerPointOf(runtime, { asOf, atPosition }, reply);
      const { events, ...paging } = await ledgerPage(runtime.store, { filter: { types: ['drift.detected'], dataContains: { modelId: request.params.modelId } }, ...(point ? { to: point.position } : {}) }, page);
      return { modelId: request.params.modelId, reports: events.map((e) => presentReport<z.infer<typeof driftReportSchema>>(e)), ...paging };
    });

    app.get('/api/v1/drift/alerts', {
      config: { permission: 'datasets:read' },
      schema: {
        tags: ['drift'],
        summary: 'Drift alerts, newest first unless sorted otherwise, by model, dataset or severity',
        querystring: z.strictObject({ modelId: z.uuid().optional(), datasetId: z.uuid().optional(), severity: z.enum(['low', 'medium', 'high']).optional(), ...pageQuery(50), ...ledgerSortQuery('desc'), ...asOfQuery }),
        response: { 200: z.object({ alerts: z.array(recordedDriftAlertSchema), ...pageFields }), ...errors },
      },
    }, async (request, reply) => {
      const { modelId, datasetId, severity, asOf, atPosition, ...page } = request.query;
      const point = await ledgerPointOf(runtime, { asOf, atPosition }, reply);
      const dataContains = { ...(modelId ? { modelId } : {}), ...(datasetId ? { datasetId } : {}), ...(severity ? { severity } : {}) };
      const { events, ...paging } = await ledgerPage(runtime.store, { filter: { types: ['drift.alert-raised'], ...(Object.keys(dataContains).length > 0 ? { dataContains } : {}) }, ...(point ? { to: point.position } : {}) }, page);
      return { alerts: events.map((e) => presentReport<z.infer<typeof driftAlertSchema>>(e)), ...paging };
    });
  };
}
