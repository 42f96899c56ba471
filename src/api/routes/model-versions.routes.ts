import multipart from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ArtifactContentError, ModelArtifactError } from '../../analytics/scoring/scoring-model.js';
import type { VersionSpec } from '../../commands/model/model.decider.js';
import { ARTIFACT_FORMATS, FEATURE_TYPES, VERSION_TASKS } from '../../events/catalogue/model.events.js';
import { BlobTooLarge, type StoredBlob } from '../../platform/blob-storage.js';
import { artifactInUse } from '../../projections/model-registry.projection.js';
import { freshModel } from './model-read.js';
import { etagResponseHeader, ifMatchHeaders, preconditionOf, setETag } from '../conditional-request.js';
import { loadScoringModel } from '../../processors/model-scoring.js';
import type { Runtime } from '../../runtime.js';
import { HttpProblem, notFound, problemSchema, invalidFields } from '../problem-details.js';
import { readMultipartUpload } from '../multipart-upload.js';
import { runModelCommand } from './model-commands.js';
import { idempotencyKeyHeaders } from '../idempotency-keys.js';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 digest in hex');

/** What a version declares about itself; the artifact comes as the multipart file part. */
const versionMetadata = z
  .strictObject({
    format: z.enum(ARTIFACT_FORMATS),
    task: z.enum(VERSION_TASKS),
    classes: z.array(z.string().min(1).max(200)).min(2).max(1000).optional(),
    inputSchema: z
      .array(z.strictObject({ name: z.string().trim().min(1).max(200), type: z.enum(FEATURE_TYPES) }))
      .min(1)
      .max(10_000)
      .refine((fields) => new Set(fields.map((f) => f.name)).size === fields.length, 'feature names must be unique'),
    trainingData: z.strictObject({ datasetId: z.string().min(1).max(100), contentHash: sha256 }).optional(),
    metrics: z.record(z.string().max(100), z.number().finite()).default({}),
    notes: z.string().max(5000).default(''),
    endpoint: z.strictObject({ url: z.url({ protocol: /^https?$/ }) }).optional(),
  })
  .superRefine((m, ctx) => {
    if (m.format === 'remote' && !m.endpoint) ctx.addIssue({ code: 'custom', path: ['endpoint'], message: 'a remote model needs its scoring endpoint' });
    if (m.format !== 'remote' && m.endpoint) ctx.addIssue({ code: 'custom', path: ['endpoint'], message: 'only remote models have an endpoint' });
    if (m.task === 'regression' && m.classes) ctx.addIssue({ code: 'custom', path: ['classes'], message: 'a regression model has no classes' });
    if (m.task === 'binary' && m.classes && m.classes.length !== 2) ctx.addIssue({ code: 'custom', path: ['classes'], message: 'a binary classifier has exactly two classes' });
    if (m.task === 'multiclass' && !m.classes) ctx.addIssue({ code: 'custom', path: ['classes'], message: 'a multiclass model must name its classes' });
  });
type VersionMetadata = z.infer<typeof versionMetadata>;

// Every metadata problem is reported (no cut): a version's schema is checked as a whole.
const invalid = (errors: { field: string; message: string }[]) => invalidFields(errors, Infinity);

function parseMetadata(raw: unknown, prefix: string): VersionMetadata {
  const parsed = versionMetadata.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw invalid(parsed.error.issues.map((i) => ({ field: [prefix, ...i.path.map(String)].join('.'), message: i.message })));
}

type Upload = { metadata: VersionMetadata; blob: StoredBlob | null; filename: string | null };

/** Reads a multipart upload: a `metadata` field (JSON) and an `artifact` file, streamed to blob storage. */
async function readMultipart(runtime: Runtime, request: FastifyRequest): Promise<Upload> {
  let upload;
  try {
    upload = await readMultipartUpload(request, { fileField: 'artifact', blobs: runtime.blobs, maxBytes: runtime.config.RAIA_MAX_ARTIFACT_BYTES, discard: (blob) => discard(runtime, blob) });
  } catch (error) {
    if (error instanceof BlobTooLarge) throw new HttpProblem(413, 'artifact-too-large', 'Artifact too large', error.message);
    throw error;
  }
  const { blob, filename } = upload;
  try {
    if (upload.metadata === undefined) throw invalid([{ field: 'body.metadata', message: 'is required (a JSON document describing the version)' }]);
    const metadata = parseMetadata(upload.metadata, 'body.metadata');
    if (metadata.format !== 'remote' && !blob) throw invalid([{ field: 'body.artifact', message: `a ${metadata.format} version needs its artifact file` }]);
    if (metadata.format === 'remote' && blob) throw invalid([{ field: 'body.artifact', message: 'a remote model has no artifact' }]);
    return { metadata, blob, filename };
  } catch (error) {
    await discard(runtime, blob);
    throw error;
  }
}

/** Removes an upload nothing refers to (the same bytes may already belong to another version). */
async function discard(runtime: Runtime, blob: StoredBlob | null): Promise<void> {
  if (blob?.created && !(await artifactInUse(runtime.db.knex, blob.sha256))) await runtime.blobs.delete(blob.sha256);
}

/** New versions: multipart (metadata + artifact file) or, for a remote scoring endpoint, JSON. */
export function modelVersionRoutes(runtime: Runtime): FastifyPluginAsyncZod {
  return async (app) => {
    await app.register(multipart, { limits: { fileSize: runtime.config.RAIA_MAX_ARTIFACT_BYTES, files: 1, fields: 4, fieldSize: 4 * 1024 * 1024, parts: 6 } });

    app.post('/api/v1/models/:id/versions', {
      config: {
        permission: 'models:write',
        idempotent: true,
        multipartBody: {
          file: { name: 'artifact', required: false, description: 'The model file in the format metadata.format names (schemas at GET /api/v1/artifact-formats/{format}/schema); required unless the format is remote' },
          metadata: { schema: versionMetadata, required: true, description: 'JSON: format, task, classes, inputSchema, trainingData, metrics, notes' },
          json: versionMetadata,
        },
      },
      schema: {
        tags: ['models'],
        summary: 'Add an immutable version (owner or admin)',
        description:
          'multipart/form-data with a `metadata` field (JSON: format, task, classes, inputSchema, trainingData, metrics, notes) and an `artifact` file (ONNX, RAIA tree-ensemble JSON, XGBoost JSON, RAIA linear JSON), streamed to content-addressed storage; or application/json metadata with format "remote" and an endpoint. The artifact must load and agree with the input schema, or nothing is registered (400).',
        params: z.strictObject({ id: z.uuid() }),
        headers: ifMatchHeaders.extend(idempotencyKeyHeaders.shape),
        response: { 201: z.object({ id: z.uuid(), version: z.number().int(), status: z.literal('draft'), artifact: z.object({ sha256: z.string(), size: z.number() }).nullable(), position: z.number().int() }).meta({ headers: etagResponseHeader }), 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema, 412: problemSchema, 413: problemSchema, 415: problemSchema, 422: problemSchema, 507: problemSchema },
      },
    }, async (request, reply) => {
      const { id } = request.params;
      const precondition = preconditionOf(request);
      if (!(await freshModel(runtime, id))) throw notFound(`model ${id}`);
      const upload: Upload = request.isMultipart() ? await readMultipart(runtime, request) : { metadata: parseMetadata(request.body, 'body'), blob: null, filename: null };
      if (!request.isMultipart() && upload.metadata.format !== 'remote') {
        throw invalid([{ field: 'body.format', message: 'send artifacts as multipart/form-data; JSON is for remote endpoints only' }]);
      }
      const { metadata, blob } = upload;
      const spec: VersionSpec = {
        task: metadata.task,
        classes: metadata.classes ?? (metadata.task === 'binary' ? ['0', '1'] : null),
        artifact: blob ? { sha256: blob.sha256, size: blob.size, format: metadata.format, filename: upload.filename } : null,
        endpoint: metadata.endpoint ?? null,
        inputSchema: metadata.inputSchema,
        trainingData: metadata.trainingData ?? null,
        metrics: metadata.metrics,
        notes: metadata.notes,
      };
      try {
        // A file that cannot be the declared model is refused now, before anything is recorded.
        if (blob) await (await loadScoringModel(runtime.blobs, spec)).close();
        const result = await runModelCommand(runtime, request, id, { type: 'AddVersion', spec }, precondition);
        const added = result.state.status === 'none' ? 0 : result.state.versions.length;
        void reply.status(201);
        setETag(reply, result.streamVersion);
        return { id, version: added, status: 'draft' as const, artifact: blob ? { sha256: blob.sha256, size: blob.size } : null, position: result.position };
      } catch (error) {
        await discard(runtime, blob);
        if (error instanceof ModelArtifactError) {
          // Inside the file: the path in it (`artifact.trees[3].nodes[7].cover`), never a metadata field.
          if (error instanceof ArtifactContentError) throw invalidFields([{ field: 'body.artifact', message: `${error.artifactPath}: ${error.reason}` }], 1, { artifactPath: error.artifactPath });
          const field = error.field === 'artifact' ? 'body.artifact' : `body.metadata.${error.field}`;
          throw invalid([{ field, message: error.message.replace(`${error.field}: `, '') }]);
        }
        throw error;
      }
    });
  };
}
