import { cachedReadModelQuery } from '../../projections/cached-read-model-query.js';
import multipart from '@fastify/multipart';
import { randomUUID } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { InvalidRule, type QualityRule } from '../../analytics/quality/quality-rules.js';
import type { JsonObject } from '../../events/envelope.js';
import { DATASET_FORMATS } from '../../events/catalogue/dataset.events.js';
import { BlobTooLarge, type StoredBlob } from '../../platform/blob-storage.js';
import { detectTabularFormat } from '../../platform/tabular/detect-tabular-format.js';
import { TabularFormatError } from '../../platform/tabular/tabular-format-error.js';
import { artifactInUse } from '../../projections/model-registry.projection.js';
import { datasetBlobInUse, datasetCatalog, datasetListOrder, listDatasets, listDatasetVersions } from '../../projections/dataset-catalog.projection.js';
import { streamEventsAt, type LedgerPoint } from '../../projections/as-of/ledger-point.js';
import { datasetStreamId } from '../../commands/dataset/dataset.decider.js';
import { asOfQuery, ledgerPointOf, readModelAt } from '../as-of-query.js';
import { PROFILE_CODE_VERSION, PersonalDataError, previewDatasetFile, profileDatasetFile, sealPersonalColumns, validateDatasetFile, withoutPersonalValues, type ColumnDescription, type DatasetFormat } from '../../processors/dataset-files.js';
import type { Runtime } from '../../runtime.js';
import { principalOf } from '../auth/access-control.js';
import { personalDataViewOf } from '../personal-data-view.js';
import { HttpProblem, invalidFields, notFound, problemSchema } from '../problem-details.js';
import { readModelCaughtUp } from '../fresh-read.js';
import { readMultipartUpload } from '../multipart-upload.js';
import { datasetAt, datasetVersion, datasetVersionAt, existingDataset, runDatasetCommand, versionedDataset } from './dataset-commands.js';
import { etagResponseHeader, ifMatchHeaders, preconditionOf, setETag } from '../conditional-request.js';
import { pageFields, pageOf, pageQuery, sortQueryOf } from '../pagination.js';
import { datasetProfileSchema, qualityIssueSchema, ruleResultSchema } from '../dataset-profile-schemas.js';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema, 412: problemSchema, 413: problemSchema, 422: problemSchema };
const idParams = z.strictObject({ id: z.uuid() });
const tags = z.array(z.string().trim().min(1).max(50)).max(50);

const uploadMetadata = z.strictObject({
  /** Absent: a new dataset. Present: a new version of that dataset. */
  datasetId: z.uuid().optional(),
  name: z.string().trim().min(1).max(200).optional(),
  description: z.string().max(5000).default(''),
  tags: tags.default([]),
  format: z.enum(DATASET_FORMATS).optional(),
  /** Columns holding personal data: sealed per data subject at rest, erased with the subject. */
  personalColumns: z.array(z.string().min(1).max(200)).min(1).max(200).optional(),
  /** The column naming each row's data subject (required with personalColumns). */
  subjectColumn: z.string().min(1).max(200).optional(),
});

export const qualityRuleSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('not_null'), column: z.string(), name: z.string().optional() }),
  z.strictObject({ type: z.literal('range'), column: z.string(), min: z.number().optional(), max: z.number().optional(), minInclusive: z.boolean().optional(), maxInclusive: z.boolean().optional(), name: z.string().optional() }),
  z.strictObject({ type: z.literal('regex'), column: z.string(), pattern: z.string().max(1000), flags: z.string().max(10).optional(), name: z.string().optional() }),
  z.strictObject({ type: z.literal('allowed_values'), column: z.string(), values: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1).max(10_000), name: z.string().optional() }),
  z.strictObject({ type: z.literal('unique'), column: z.string(), name: z.string().optional() }),
  z.strictObject({ type: z.literal('expression'), expression: z.string().min(1).max(2000), name: z.string().optional() }),
]);

const datasetSchema = z.object({ id: z.uuid(), name: z.string(), description: z.string(), tags: z.array(z.string()), ownerId: z.string(), latestVersion: z.number().int().nullable(), createdAt: z.string(), updatedAt: z.string() }).meta({ id: 'Dataset' });
const versionSchema = z
  .object({ version: z.number().int(), sha256: z.string(), size: z.number(), format: z.string(), filename: z.string().nullable(), rowCount: z.number().int(), columns: z.array(z.object({ name: z.string(), type: z.string(), nullable: z.boolean(), hints: z.array(z.string()) })), qualityScore: z.number().nullable(), createdAt: z.string() })
  .meta({ id: 'DatasetVersion' });

const tabularProblem = (error: TabularFormatError) =>
  new HttpProblem(400, 'invalid-dataset-file', 'Invalid dataset file', error.message, { code: error.code, errors: [{ field: 'body.file', message: error.message }], ...(error.row !== undefined ? { row: error.row } : {}), ...(error.line !== undefined ? { line: error.line } : {}) });

async function firstBytes(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(64);
    const { bytesRead } = await handle.read(buffer, 0, 64, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Datasets: streamed uploads profiled in one pass, versions, preview, profile, rule checks, deletion. */
export function datasetRoutes(runtime: Runtime): FastifyPluginAsyncZod {
  return async (app) => {
    await app.register(multipart, { limits: { fileSize: runtime.config.RAIA_MAX_DATASET_BYTES, files: 1, fields: 2, fieldSize: 1024 * 1024, parts: 4 } });
    const knex = runtime.db.knex;
    const discard = async (blob: StoredBlob | null) => {
      if (blob?.created && !(await datasetBlobInUse(knex, blob.sha256)) && !(await artifactInUse(knex, blob.sha256))) await runtime.blobs.delete(blob.sha256);
    };

    async function readUpload(request: FastifyRequest): Promise<{ metadata: z.infer<typeof uploadMetadata>; blob: StoredBlob; filename: string | null }> {
      let upload;
      try {
        upload = await readMultipartUpload(request, { fileField: 'file', blobs: runtime.blobs, maxBytes: runtime.config.RAIA_MAX_DATASET_BYTES, discard });
      } catch (error) {
        if (error instanceof BlobTooLarge) throw new HttpProblem(413, 'dataset-too-large', 'Dataset too large', error.message);
        throw error;
      }
      const { blob, filename } = upload;
      try {
        if (!blob) throw invalidFields([{ field: 'body.file', message: 'is required' }]);
        const parsed = uploadMetadata.safeParse(upload.metadata ?? {});
        if (!parsed.success) throw invalidFields(parsed.error.issues.map((i) => ({ field: ['body.metadata', ...i.path.map(String)].join('.'), message: i.message })));
        return { metadata: parsed.data, blob, filename };
      } catch (error) {
        await discard(blob);
        throw error;
      }
    }

    app.post('/api/v1/datasets/upload', {
      config: {
        permission: 'datasets:write',
        multipartBody: {
          file: { name: 'file', required: true, description: 'The data: CSV, TSV, JSON (an array of row objects), NDJSON or Parquet; the format is told from the extension unless metadata.format names it' },
          metadata: { schema: uploadMetadata, required: false, description: 'JSON: datasetId for a new version of that dataset, else name (required for a new dataset); description, tags, format, personalColumns with subjectColumn' },
        },
      },
      schema: {
        tags: ['datasets'],
        summary: 'Upload a dataset file (CSV, TSV, JSON, NDJSON, Parquet), or a new version of one; streamed to storage and profiled in one pass',
        description: 'multipart/form-data: `file` and optional `metadata` (JSON: datasetId for a new version, name, description, tags, format). The same bytes are stored once. A malformed file is refused with its row or line, and nothing is recorded.',
        headers: ifMatchHeaders,
        response: { 201: z.object({ id: z.uuid(), version: z.number().int(), sha256: z.string(), size: z.number(), format: z.string(), rowCount: z.number().int(), columns: versionSchema.shape.columns, qualityScore: z.number(), issues: z.number().int(), position: z.number().int() }).meta({ headers: etagResponseHeader }), ...errors, 507: problemSchema },
      },
    }, async (request, reply) => {
      const precondition = preconditionOf(request);
      if (!request.isMultipart()) throw new HttpProblem(415, 'unsupported-media-type', 'Unsupported media type', 'send multipart/form-data with a "file" part');
      const { metadata, blob, filename } = await readUpload(request);
      let sealedBlob: StoredBlob | null = null;
      try {
        if (metadata.datasetId) await existingDataset(runtime, metadata.datasetId);
        else if (!metadata.name) throw invalidFields([{ field: 'body.metadata.name', message: 'a new dataset needs a name' }]);
        const path = await runtime.blobs.localPath(blob.sha256);
        const format: DatasetFormat | undefined = metadata.format ?? detectTabularFormat(filename ?? '', await firstBytes(path));
        if (!format) throw invalidFields([{ field: 'body.metadata.format', message: 'could not tell the format from the file; name it (csv, tsv, json, ndjson, parquet)' }]);
        const profiled = await profileDatasetFile(runtime.blobs, blob.sha256, format);
        const personal = await personalSpec(metadata, profiled.columns);
        let stored = { sha256: blob.sha256, size: blob.size, format };
        if (personal) {
          // The raw file never stays: the version's file is the sealed rewrite, the profile keeps no personal values.
          const sealed = await sealPersonalColumns(runtime.blobs, { sha256: blob.sha256, format, columns: profiled.columns }, personal, (cells) => runtime.vault.sealBatch(cells), runtime.config.RAIA_MAX_DATASET_BYTES);
          await discard(blob);
          sealedBlob = sealed;
          stored = { sha256: sealed.sha256, size: sealed.size, format: 'ndjson' };
          profiled.profile = withoutPersonalValues(profiled.profile, personal.columns);
          profiled.columns = profiled.columns.map((c) => (personal.columns.includes(c.name) ? { ...c, hints: [...c.hints, 'personal'] } : c));
        }
        const datasetId = metadata.datasetId ?? randomUUID();
        if (!metadata.datasetId) await runDatasetCommand(runtime, request, datasetId, { type: 'RegisterDataset', datasetId, name: metadata.name!, description: metadata.description, tags: metadata.tags });
        // If-Match guards the new version of an existing dataset; a new dataset has no version to match.
        const added = await runDatasetCommand(runtime, request, datasetId, { type: 'AddDatasetVersion', spec: { blob: { sha256: stored.sha256, size: stored.size }, format: stored.format, filename, rowCount: profiled.rowCount, columns: profiled.columns, personal } }, metadata.datasetId ? precondition : undefined);
        const version = added.state.status === 'none' ? 0 : added.state.versions.length;
        const recorded = await runDatasetCommand(runtime, request, datasetId, {
          type: 'RecordProfile',
          version,
          profile: JSON.parse(JSON.stringify(profiled.profile)) as JsonObject,
          qualityScore: profiled.qualityScore,
          issues: JSON.parse(JSON.stringify(profiled.issues)) as JsonObject[],
          elapsedMs: profiled.elapsedMs,
          codeVersion: PROFILE_CODE_VERSION,
        });
        void reply.status(201).header('location', `/api/v1/datasets/${datasetId}`);
        setETag(reply, recorded.streamVersion);
        return { id: datasetId, version, sha256: stored.sha256, size: stored.size, format: stored.format, rowCount: profiled.rowCount, columns: profiled.columns, qualityScore: profiled.qualityScore, issues: profiled.issues.length, position: recorded.position };
      } catch (error) {
        await discard(blob);
        await discard(sealedBlob);
        if (error instanceof TabularFormatError) throw tabularProblem(error);
        if (error instanceof PersonalDataError) throw invalidFields([{ field: 'body.file', message: error.message }]);
        throw error;
      }
    });

    app.get('/api/v1/datasets', {
      config: { permission: 'datasets:read' },
      schema: {
        tags: ['datasets'],
        summary: 'List datasets (not deleted), newest first unless sorted otherwise',
        querystring: z.strictObject({ owner: z.string().max(100).optional(), tag: z.string().max(50).optional(), search: z.string().max(200).optional(), ...pageQuery(50), ...sortQueryOf(datasetListOrder), ...asOfQuery }),
        response: { 200: z.object({ datasets: z.array(datasetSchema), ...pageFields }), ...errors },
      },
    }, async (request, reply) => {
      const { owner, asOf, atPosition, ...rest } = request.query;
      const filter = { ...rest, ...(owner ? { ownerId: owner === 'me' ? principalOf(request).userId : owner } : {}) };
      const point = await ledgerPointOf(runtime, { asOf, atPosition }, reply);
      const found = point ? await readModelAt(runtime, datasetCatalog, 'ledger', point, (db) => listDatasets(db, filter)) : await cachedReadModelQuery(runtime, 'dataset_catalog', 'datasets.list', filter, () => listDatasets(knex, filter));
      return { datasets: found.datasets.map(({ datasetId, ...d }) => ({ id: datasetId, ...d })), ...pageOf(request.query, found.total) };
    });

    app.get('/api/v1/datasets/:id', {
      config: { permission: 'datasets:read' },
      schema: { tags: ['datasets'], summary: 'A dataset with its versions (schema, size, rows, quality score); its ETag is for If-Match on its writes', params: idParams, querystring: z.strictObject(asOfQuery), response: { 200: datasetSchema.extend({ versions: z.array(versionSchema) }).meta({ headers: etagResponseHeader }), ...errors } },
    }, async (request, reply) => {
      const { id } = request.params;
      const point = await ledgerPointOf(runtime, request.query, reply);
      const { value, streamVersion } = point ? await datasetAt(runtime, point, id).then(({ dataset, versions }) => ({ value: dataset && { dataset, versions }, streamVersion: null })) : await versionedDataset(runtime, id);
      if (!value) throw notFound(point ? `dataset ${id} as of position ${point.position}` : `dataset ${id}`);
      setETag(reply, streamVersion);
      const { datasetId, ...d } = value.dataset;
      return { id: datasetId, ...d, versions: value.versions.map(({ datasetId: _d, ...v }) => v) };
    });

    app.delete('/api/v1/datasets/:id', {
      config: { permission: 'datasets:write' },
      schema: {
        tags: ['datasets'],
        summary: "Delete a dataset (owner or admin): its files go unless another dataset or a model uses them; the deletion is recorded",
        params: idParams,
        headers: ifMatchHeaders,
        querystring: z.strictObject({ reason: z.string().trim().min(1).max(500).default('deleted') }),
        response: { 200: z.object({ id: z.uuid(), blobsRemoved: z.array(z.string()), position: z.number().int() }).meta({ headers: etagResponseHeader }), ...errors },
      },
    }, async (request, reply) => {
      const { id } = request.params;
      const precondition = preconditionOf(request);
      await existingDataset(runtime, id);
      // Which files nothing else uses is read from the read models: they must hold every version of
      // this dataset and every other dataset and model registered so far, or a file still in use could go.
      if (!(await readModelCaughtUp(runtime, 'dataset_catalog', 'model_registry'))) {
        throw new HttpProblem(503, 'read-model-lagging', 'Read model not caught up', `the dataset and model catalogues did not reach the ledger's head within ${runtime.config.RAIA_MIN_POSITION_WAIT_MS} ms; nothing was deleted`);
      }
      const versions = await listDatasetVersions(knex, id);
      const removable: string[] = [];
      for (const sha of new Set(versions.map((v) => v.sha256))) if (!(await datasetBlobInUse(knex, sha, id)) && !(await artifactInUse(knex, sha))) removable.push(sha);
      // Recorded first (the decider checks ownership), then the files go.
      const result = await runDatasetCommand(runtime, request, id, { type: 'DeleteDataset', reason: request.query.reason, blobsRemoved: removable }, precondition);
      setETag(reply, result.streamVersion);
      for (const sha of removable) await runtime.blobs.delete(sha);
      // Answer once the catalogue no longer lists it, so a read right after sees it gone.
      await runtime.projections.waitFor(result.position, runtime.config.RAIA_MIN_POSITION_WAIT_MS, ['dataset_catalog']);
      return { id, blobsRemoved: removable, position: result.position };
    });

    app.get('/api/v1/datasets/:id/profile', {
      config: { permission: 'datasets:read' },
      schema: { tags: ['datasets'], summary: 'The profile of a version (default: the latest): per-column statistics, duplicates, outliers, quality', params: idParams, querystring: z.strictObject({ version: z.coerce.number().int().positive().optional(), ...asOfQuery }), response: { 200: z.object({ id: z.uuid(), version: z.number().int(), profile: datasetProfileSchema, qualityScore: z.number(), issues: z.array(qualityIssueSchema), profiledAt: z.string(), eventId: z.string() }), ...errors } },
    }, async (request, reply) => {
      const { id } = request.params;
      const { version, ...at } = request.query;
      const point = await ledgerPointOf(runtime, at, reply);
      const v = point ? await datasetVersionAt(runtime, point, id, version) : await datasetVersion(runtime, id, version);
      const profiled = await latestProfile(runtime, v.datasetId, v.version, point);
      if (!profiled) throw notFound(`a profile of version ${v.version}`);
      return { id: v.datasetId, version: v.version, profile: profiled.data.profile as unknown as z.infer<typeof datasetProfileSchema>, qualityScore: Number(profiled.data.qualityScore), issues: profiled.data.issues as unknown as z.infer<typeof qualityIssueSchema>[], profiledAt: profiled.occurredAt.toISOString(), eventId: profiled.id };
    });

    app.get('/api/v1/datasets/:id/preview', {
      config: { permission: 'datasets:read' },
      schema: { tags: ['datasets'], summary: 'The first rows of a version (default: the latest)', description: 'Personal columns are in clear with the `personal-data:read` permission; otherwise each value reads as a stable `[personal:…]` pseudonym (and `[redacted]` once its subject was erased).', params: idParams, querystring: z.strictObject({ version: z.coerce.number().int().positive().optional(), rows: z.coerce.number().int().min(1).max(1000).default(20) }), response: { 200: z.object({ id: z.uuid(), version: z.number().int(), columns: z.array(z.string()), rows: z.array(z.array(z.union([z.string(), z.number(), z.boolean(), z.null()]))) }), ...errors } },
    }, async (request) => {
      const v = await datasetVersion(runtime, request.params.id, request.query.version);
      const preview = await previewDatasetFile(runtime.blobs, v.sha256, v.format, request.query.rows, runtime.vault, personalDataViewOf(principalOf(request)));
      return { id: v.datasetId, version: v.version, ...preview };
    });

    app.post('/api/v1/datasets/:id/validate', {
      // A check that is recorded (the quality report lists it), so running one is an assessment.
      config: { permission: 'assessments:run' },
      schema: {
        tags: ['datasets'],
        summary: 'Check a version against data-quality rules (given, or a rule set by id); failing rows by index',
        params: idParams,
        body: z.strictObject({ version: z.number().int().positive().optional(), ruleSetId: z.uuid().optional(), rules: z.array(qualityRuleSchema).min(1).max(200).optional(), maxFailingRows: z.number().int().min(0).max(100_000).default(1000) }),
        response: { 200: z.object({ id: z.uuid(), version: z.number().int(), passed: z.boolean(), results: z.array(ruleResultSchema), position: z.number().int() }), ...errors },
      },
    }, async (request) => {
      const { id } = request.params;
      const { ruleSetId, maxFailingRows } = request.body;
      if (!ruleSetId === !request.body.rules) throw invalidFields([{ field: 'body.rules', message: 'give either rules or a ruleSetId' }]);
      const v = await datasetVersion(runtime, id, request.body.version);
      const rules = request.body.rules ?? (await ruleSet(runtime, id, ruleSetId!));
      const view = personalDataViewOf(principalOf(request));
      if (view === 'pseudonymised') refuseValueRulesOnPersonalColumns(rules as QualityRule[], v.columns, request.body.rules ? 'body.rules' : 'body.ruleSetId');
      const started = performance.now();
      let results;
      try {
        results = await validateDatasetFile(runtime.blobs, v.sha256, v.format, rules as QualityRule[], maxFailingRows, runtime.vault, view);
      } catch (error) {
        if (error instanceof InvalidRule) throw invalidFields([{ field: 'body.rules', message: error.message }]);
        throw error;
      }
      const passed = results.every((r) => r.failed === 0 && r.errors === 0);
      const recorded = await runDatasetCommand(runtime, request, id, { type: 'RecordValidation', version: v.version, ruleSetId: ruleSetId ?? null, results: JSON.parse(JSON.stringify(results)) as JsonObject[], passed, elapsedMs: performance.now() - started });
      return { id, version: v.version, passed, results, position: recorded.position };
    });
  };
}

// Rules that read a column's values: on a personal column they would tell its values row by row.
const VALUE_RULES: readonly QualityRule['type'][] = ['range', 'regex', 'allowed_values'];

/** A caller who may not read personal data may check personal columns for presence and uniqueness, not values. */
function refuseValueRulesOnPersonalColumns(rules: readonly QualityRule[], columns: readonly ColumnDescription[], field: string): void {
  const personal = new Set(columns.filter((c) => c.hints.includes('personal')).map((c) => c.name));
  const refused = rules.flatMap((rule, i) =>
    VALUE_RULES.includes(rule.type) && 'column' in rule && personal.has(rule.column) ? [{ field: field === 'body.rules' ? `${field}.${i}.column` : field, message: `${rule.column} is a personal column: a ${rule.type} rule on it needs the personal-data:read permission` }] : [],
  );
  if (refused.length > 0) throw new HttpProblem(403, 'forbidden', 'Forbidden', refused[0]!.message, { errors: refused });
}

/** The personal columns a new version declares, checked against the file's columns. */
async function personalSpec(metadata: { personalColumns?: string[]; subjectColumn?: string }, columns: ColumnDescription[]): Promise<{ columns: string[]; subjectColumn: string } | null> {
  if (!metadata.personalColumns) {
    if (metadata.subjectColumn) throw invalidFields([{ field: 'body.metadata.personalColumns', message: 'name the personal columns the subject column refers to' }]);
    return null;
  }
  if (!metadata.subjectColumn) throw invalidFields([{ field: 'body.metadata.subjectColumn', message: 'personal columns need the column naming each row\'s data subject' }]);
  const names = columns.map((c) => c.name);
  const unknown = [...metadata.personalColumns, metadata.subjectColumn].filter((c) => !names.includes(c));
  if (unknown.length > 0) throw invalidFields(unknown.map((c) => ({ field: 'body.metadata.personalColumns', message: `${c} is not a column of the file` })));
  if (metadata.personalColumns.includes(metadata.subjectColumn)) throw invalidFields([{ field: 'body.metadata.subjectColumn', message: 'the subject column links rows to subjects and is kept as it is; do not list it as a personal column' }]);
  return { columns: metadata.personalColumns, subjectColumn: metadata.subjectColumn };
}

/** The latest `dataset.profiled` of a version, from the dataset's stream (up to `point` when given). */
export async function latestProfile(runtime: Runtime, datasetId: string, version: number, point: LedgerPoint | null = null) {
  const events = point ? await streamEventsAt(runtime.store, datasetStreamId(datasetId), point) : await runtime.store.readStream(datasetStreamId(datasetId));
  return events.filter((e) => e.type === 'dataset.profiled' && e.data.version === version).at(-1) ?? null;
}

/** The rules of a rule set defined for the dataset. */
export async function ruleSet(runtime: Runtime, datasetId: string, ruleSetId: string): Promise<unknown[]> {
  const events = await runtime.store.readStream(`dataset-${datasetId}`);
  const defined = events.find((e) => e.type === 'quality.rules-defined' && e.data.ruleSetId === ruleSetId);
  if (!defined) throw invalidFields([{ field: 'body.ruleSetId', message: 'is not a rule set of this dataset' }]);
  return defined.data.rules as unknown[];
}
