import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import multipart from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { handleCommand } from '../../commands/command-handler.js';
import { exportDecider, exportStreamId } from '../../commands/export/export.decider.js';
import type { JsonObject } from '../../events/envelope.js';
import { exportBuilders } from '../../processors/exports/export-builders.js';
import type { ExportFormat } from '../../processors/exports/export-document.js';
import { exportParamSchemas, exportRequestBody } from '../../processors/exports/export-params.js';
import { verifyExportFile } from '../../processors/exports/export-verification.js';
import { deleteExport } from '../../processors/exports/delete-export.js';
import { exportJobListOrder, findExportJob, listExportJobs, type ExportJobRecord } from '../../projections/export-jobs.projection.js';
import type { Runtime } from '../../runtime.js';
import { actorOf, principalOf, type Principal } from '../auth/access-control.js';
import { roleHas, type Permission } from '../permissions.js';
import { personalDataViewOf } from '../personal-data-view.js';
import { HttpProblem, invalidFields, notFound, problemSchema } from '../problem-details.js';
import { pageFields, pageOf, pageQuery, sortQueryOf } from '../pagination.js';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema, 410: problemSchema, 413: problemSchema, 415: problemSchema };

const accepted = z.object({ exportId: z.uuid(), status: z.literal('queued'), statusUrl: z.string(), downloadUrl: z.string(), position: z.number().int() });

const jobSchema = z
  .object({
    exportId: z.uuid(),
    kind: z.string(),
    format: z.string(),
    params: z.record(z.string(), z.unknown()).describe("The export's parameters as requested: their shape is the kind's (the request schemas of POST /export/*)"),
    requesterId: z.string(),
    status: z.enum(['queued', 'running', 'completed', 'failed', 'deleted']),
    progress: z.object({ rows: z.number().int() }).nullable(),
    requestedAt: z.string(),
    finishedAt: z.string().nullable(),
    sha256: z.string().nullable(),
    size: z.number().int().nullable(),
    contentType: z.string().nullable(),
    filename: z.string().nullable(),
    ledgerHead: z.object({ position: z.number().int(), hash: z.string() }).nullable(),
    subjects: z.array(z.string()),
    failure: z.string().nullable(),
    deletedAt: z.string().nullable(),
    deletionReason: z.string().nullable(),
  })
  .meta({ id: 'ExportJob' });

const verificationSchema = z
  .object({
    ok: z.boolean(),
    problems: z.array(z.string()),
    passed: z.array(z.string()),
    exportId: z.string().nullable(),
    kind: z.string().nullable(),
    format: z.string().nullable(),
    generatedAt: z.string().nullable(),
    ledgerHead: z.object({ position: z.number().int(), hash: z.string() }).nullable(),
    signerKeyId: z.string().nullable(),
    eventsChecked: z.number().int(),
    contentsChecked: z.number().int(),
  })
  .meta({ id: 'ExportVerification' });

/** The principal holds `permission` through its role and, acting through an API key, through the key too. */
const may = (principal: Principal, permission: Permission) => roleHas(principal.role, permission) && (principal.kind !== 'api-key' || principal.permissions.includes(permission));

/** Kinds that disclose the ledger itself, which only audit readers may see. */
const AUDIT_KINDS = new Set(['audit-log', 'timeline']);

/** Export jobs: request (202), list, download with its digest, delete, and offline-style verification of a file. */
export function exportRoutes(runtime: Runtime): FastifyPluginAsyncZod {
  return async (app) => {
    await app.register(multipart, { limits: { fileSize: runtime.config.RAIA_MAX_DATASET_BYTES, files: 1, fields: 0, parts: 1 } });

    async function requestExport(request: FastifyRequest, kind: string, format: ExportFormat, params: JsonObject) {
      const principal = principalOf(request);
      if (AUDIT_KINDS.has(kind) && !may(principal, 'audit:read')) throw new HttpProblem(403, 'forbidden', 'Forbidden', `a ${kind} export needs the audit:read permission`);
      // Until a builder is wired for a kind (compliance-report: the Annex IV report), say so now rather than queue a job that must fail.
      if (!exportBuilders[kind as keyof typeof exportBuilders]) throw invalidFields([{ field: 'body.kind', message: `unsupported kind: ${kind} exports are not available in this build` }]);
      const exportId = randomUUID();
      const result = await handleCommand(runtime, exportDecider, exportStreamId(exportId), {
        type: 'RequestExport', exportId, kind: kind as never, format, params, requesterId: principal.userId, personalData: personalDataViewOf(principal),
      }, { actor: actorOf(principal), correlationId: request.id });
      return { exportId, status: 'queued' as const, statusUrl: `/api/v1/export/jobs?exportId=${exportId}`, downloadUrl: `/api/v1/export/jobs/${exportId}/download`, position: result.position };
    }

    for (const [path, format] of [['pdf', 'pdf'], ['excel', 'xlsx'], ['csv', 'csv']] as const) {
      app.post(`/api/v1/export/${path}`, {
        config: { permission: 'exports:create' },
        schema: {
          tags: ['exports'],
          summary: `Ask for a ${format.toUpperCase()} export (202 + job id): audit log, timeline, model card, fairness/drift/explanation report, dataset profile, compliance report`,
          description: 'Audit-log and timeline exports also need `audit:read`. Personal fields are in clear only for callers with `personal-data:read`; the file embeds a signed evidence manifest (docs/exports.md).',
          body: exportRequestBody,
          response: { 202: accepted, ...errors },
        },
      }, async (request, reply) => {
        const answer = await requestExport(request, request.body.kind, format, request.body.params as JsonObject);
        void reply.status(202).header('location', answer.downloadUrl);
        return answer;
      });
    }

    app.post('/api/v1/compliance/generate-report', {
      config: { permission: 'exports:create' },
      schema: {
        tags: ['exports'],
        summary: 'Ask for the compliance report (EU AI Act Annex IV technical documentation) of a model version: an export job, PDF by default',
        body: exportParamSchemas['compliance-report'].extend({ format: z.enum(['pdf', 'xlsx', 'csv']).default('pdf') }),
        response: { 202: accepted, ...errors },
      },
    }, async (request, reply) => {
      const { format, ...params } = request.body;
      const answer = await requestExport(request, 'compliance-report', format, params);
      void reply.status(202).header('location', answer.downloadUrl);
      return answer;
    });

    const presentJob = (job: ExportJobRecord) => {
      const running = runtime.exportJobs.running().get(job.exportId);
      const { deletedBy: _deletedBy, requestedPosition: _position, ...rest } = job;
      return { ...rest, status: running && job.status === 'queued' ? ('running' as const) : job.status, progress: running ? { rows: running.rows } : null };
    };

    /** The job if the caller may see it (their own, or any with audit:read); 404 otherwise, so others' ids are not confirmed. */
    async function visibleJob(request: FastifyRequest, exportId: string): Promise<ExportJobRecord> {
      const principal = principalOf(request);
      const job = await findExportJob(runtime.db.knex, exportId);
      if (!job || (job.requesterId !== principal.userId && !may(principal, 'audit:read'))) throw notFound(`export ${exportId}`);
      return job;
    }

    app.get('/api/v1/export/jobs', {
      config: { permission: 'exports:create' },
      schema: {
        tags: ['exports'],
        summary: 'Export jobs, newest first unless sorted otherwise: the caller\'s own, or everyone\'s with audit:read',
        querystring: z.strictObject({ exportId: z.uuid().optional(), mine: z.enum(['true', 'false']).optional(), ...pageQuery(100), ...sortQueryOf(exportJobListOrder) }),
        response: { 200: z.object({ jobs: z.array(jobSchema), ...pageFields }), ...errors },
      },
    }, async (request) => {
      const principal = principalOf(request);
      const { exportId, mine, ...page } = request.query;
      if (exportId) {
        const job = await findExportJob(runtime.db.knex, exportId);
        const visible = job && (job.requesterId === principal.userId || may(principal, 'audit:read'));
        const found = visible ? [presentJob(job)] : [];
        return { jobs: found.slice(page.offset, page.offset + page.limit), ...pageOf(page, found.length) };
      }
      const all = may(principal, 'audit:read') && mine !== 'true';
      const { jobs, total } = await listExportJobs(runtime.db.knex, { ...page, ...(all ? {} : { requesterId: principal.userId }) });
      return { jobs: jobs.map(presentJob), ...pageOf(page, total) };
    });

    app.get('/api/v1/export/jobs/:id/download', {
      config: { permission: 'exports:create' },
      schema: {
        tags: ['exports'],
        summary: 'Download a completed export; `Repr-Digest`/`Digest` carry its SHA-256 (RFC 9530, RFC 3230)',
        params: z.strictObject({ id: z.uuid() }),
        produces: ['application/zip', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'application/pdf'],
        response: { 200: z.unknown().describe('The file itself, streamed: bytes of the content type the job produced, not JSON'), ...errors },
      },
    }, async (request, reply) => {
      const job = await visibleJob(request, request.params.id);
      if (job.status === 'deleted') throw new HttpProblem(410, 'gone', 'Gone', `export ${job.exportId} was deleted (${job.deletionReason ?? 'requested'})`);
      if (job.status === 'failed') throw new HttpProblem(409, 'export-failed', 'Export failed', job.failure ?? 'the export failed');
      if (job.status !== 'completed' || !job.sha256) throw new HttpProblem(409, 'export-not-ready', 'Export not ready', `export ${job.exportId} is ${job.status}; try again once it has completed`);
      const stream = await runtime.blobs.open(job.sha256).catch(() => {
        throw new HttpProblem(410, 'gone', 'Gone', `the file of export ${job.exportId} is no longer stored`);
      });
      const b64 = Buffer.from(job.sha256, 'hex').toString('base64');
      void reply
        .type(job.contentType ?? 'application/octet-stream')
        .header('content-length', String(job.size))
        .header('content-disposition', `attachment; filename="${job.filename ?? `${job.exportId}`}"`)
        .header('repr-digest', `sha-256=:${b64}:`)
        .header('digest', `sha-256=${b64}`)
        .header('etag', `"${job.sha256}"`)
        .header('cache-control', 'private, no-store');
      return reply.send(stream);
    });

    app.delete('/api/v1/export/jobs/:id', {
      config: { permission: 'exports:create' },
      schema: {
        tags: ['exports'],
        summary: 'Delete an export\'s file (recorded as export.deleted); the job\'s history stays',
        params: z.strictObject({ id: z.uuid() }),
        response: { 200: z.object({ exportId: z.uuid(), status: z.literal('deleted'), position: z.number().int() }), ...errors },
      },
    }, async (request) => {
      const principal = principalOf(request);
      const job = await visibleJob(request, request.params.id);
      if (job.status === 'deleted') throw new HttpProblem(410, 'gone', 'Gone', `export ${job.exportId} was already deleted`);
      const position = await deleteExport(runtime, job.exportId, { actor: actorOf(principal), deletedBy: principal.userId, reason: 'requested', correlationId: request.id });
      return { exportId: job.exportId, status: 'deleted' as const, position };
    });

    app.post('/api/v1/export/verify', {
      config: { permission: 'exports:create' },
      schema: {
        tags: ['exports'],
        summary: 'Verify an exported file (multipart part `file`: PDF, XLSX or CSV bundle) against its embedded evidence manifest, as `npm run verify-export` does offline',
        consumes: ['multipart/form-data'],
        response: { 200: verificationSchema, ...errors },
      },
    }, async (request) => {
      if (!request.isMultipart()) throw new HttpProblem(415, 'unsupported-media-type', 'Unsupported media type', 'send the file as multipart/form-data, part `file`');
      const part = await request.file().catch(() => undefined);
      if (!part || part.fieldname !== 'file') throw invalidFields([{ field: 'body.file', message: 'is required' }]);
      const dir = join(runtime.config.dataDir, 'exports', 'verify');
      await mkdir(dir, { recursive: true });
      const file = join(dir, `${randomUUID()}.upload`);
      try {
        await pipeline(part.file, createWriteStream(file, { mode: 0o600 }));
        if (part.file.truncated) throw new HttpProblem(413, 'file-too-large', 'File too large', 'the uploaded file is over the size limit');
        return await verifyExportFile(file, runtime.exportRenderers);
      } finally {
        await rm(file, { force: true });
      }
    });
  };
}
