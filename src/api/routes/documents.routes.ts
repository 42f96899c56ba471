import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DOCUMENT_FORMATS, documentMetadata } from '../../events/catalogue/document.events.js';
import { BlobTooLarge, type StoredBlob } from '../../platform/blob-storage.js';
import { CHUNKS_TABLE } from '../../processors/documents/document-chunks.js';
import { CorruptDocument, UnsupportedDocumentType, documentFormatOf } from '../../processors/documents/document-text.js';
import { deleteDocument } from '../../processors/documents/delete-document.js';
import { EmbeddingFailed } from '../../processors/documents/embedders/embedder.js';
import { hybridSearch } from '../../processors/documents/hybrid-search.js';
import { EmptyDocument, uploadDocument } from '../../processors/documents/upload-document.js';
import { documentListOrder, listDocuments, type DocumentRecord } from '../../projections/documents.projection.js';
import type { Runtime } from '../../runtime.js';
import { actorOf, principalOf } from '../auth/access-control.js';
import { readMultipartUpload } from '../multipart-upload.js';
import { personalDataViewOf } from '../personal-data-view.js';
import { HttpProblem, invalidFields, notFound, problemSchema } from '../problem-details.js';
import { pageFields, pageOf, pageQuery, sortQueryOf } from '../pagination.js';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema, 413: problemSchema, 415: problemSchema, 422: problemSchema, 502: problemSchema };

const uploadMetadata = z.strictObject({
  title: z.string().trim().min(1).max(300).optional(),
  /** Overrides the format the file name's extension names. */
  format: z.enum(DOCUMENT_FORMATS).optional(),
  metadata: documentMetadata.refine((m) => Object.keys(m).length <= 50, 'at most 50 keys').default({}),
  /** The document holds personal data about this user: sealed under their key, erased with them. */
  personalData: z.strictObject({ subjectId: z.uuid() }).optional(),
});

const embedderSchema = z.object({ id: z.string(), dimensions: z.number().int() });

const uploaded = z.object({
  documentId: z.uuid(),
  deduplicated: z.boolean(),
  chunks: z.number().int().optional(),
  tokens: z.number().int().optional(),
  embedder: embedderSchema.optional(),
  position: z.number().int().optional(),
});

const documentSchema = z
  .object({
    documentId: z.uuid(),
    title: z.string(),
    format: z.enum(DOCUMENT_FORMATS),
    contentType: z.string(),
    size: z.number().int(),
    contentDigest: z.string(),
    filename: z.string().nullable(),
    metadata: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
    personal: z.boolean(),
    /** The data subject, for callers allowed to read personal data; null otherwise. */
    subjectId: z.string().nullable(),
    chunks: z.number().int(),
    tokens: z.number().int(),
    chunking: z.object({ tokenizer: z.string(), chunkTokens: z.number().int(), overlapTokens: z.number().int() }),
    embedder: embedderSchema,
    uploadedBy: z.string(),
    uploadedAt: z.string(),
    status: z.enum(['active', 'deleted']),
    deletedAt: z.string().nullable(),
    deletionReason: z.string().nullable(),
  })
  .meta({ id: 'Document' });

const methodHit = z.object({ rank: z.number().int(), score: z.number() }).nullable();
const passageSchema = z
  .object({
    documentId: z.uuid(),
    chunkId: z.uuid(),
    ordinal: z.number().int(),
    text: z.string(),
    metadata: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
    personal: z.boolean(),
    fusedRank: z.number().int(),
    fusedScore: z.number(),
    vector: methodHit,
    fullText: methodHit,
  })
  .meta({ id: 'Passage' });

const searchBody = z.strictObject({
  query: z.string().trim().min(1).max(2000),
  k: z.number().int().min(1).max(50).default(10),
  filter: z
    .strictObject({
      documentIds: z.array(z.uuid()).min(1).max(100).optional(),
      metadata: documentMetadata.optional(),
    })
    .optional(),
});

const booleanQuery = z.enum(['true', 'false']).transform((s) => s === 'true');

/** Documents for retrieval: streamed upload (text, Markdown, HTML, PDF, DOCX), list, delete, hybrid search. */
export function documentRoutes(runtime: Runtime): FastifyPluginAsyncZod {
  return async (app) => {
    const library = runtime.documents;
    await app.register(multipart, { limits: { fileSize: library.maxBytes, files: 1, fields: 1, fieldSize: 64 * 1024, parts: 2 } });
    const discard = async (blob: StoredBlob | null) => {
      // Only bytes this upload stored, and no live document holds.
      if (blob?.created && !(await runtime.db.knex(CHUNKS_TABLE).where('content_digest', blob.sha256).first())) await runtime.blobs.delete(blob.sha256);
    };

    app.post('/api/v1/documents/upload', {
      config: {
        permission: 'documents:write',
        multipartBody: {
          file: { name: 'file', required: true, description: 'The document: text, Markdown, HTML, PDF (text layer) or DOCX; the format is told from the extension unless metadata.format names it' },
          metadata: { schema: uploadMetadata, required: false, description: 'JSON: title, format, metadata (flat key/values to filter searches on), personalData' },
        },
      },
      schema: {
        tags: ['documents'],
        summary: 'Upload a document (text, Markdown, HTML, PDF text layer, DOCX): parsed, cut into token chunks with overlap, embedded and indexed for hybrid search',
        description: 'multipart/form-data: `file` and optional `metadata` (JSON: title, format, metadata (flat key/values to filter searches on), personalData: { subjectId }). The same content uploaded again answers 200 with the existing document and records nothing. A corrupt, empty, unsupported or oversized file is refused and nothing is kept or recorded (docs/documents.md).',
        response: { 200: uploaded, 201: uploaded, ...errors, 507: problemSchema },
      },
    }, async (request, reply) => {
      if (!request.isMultipart()) throw new HttpProblem(415, 'unsupported-media-type', 'Unsupported media type', 'send multipart/form-data with a "file" part');
      let upload;
      try {
        upload = await readMultipartUpload(request, { fileField: 'file', blobs: runtime.blobs, maxBytes: library.maxBytes, discard });
      } catch (error) {
        if (error instanceof BlobTooLarge) throw new HttpProblem(413, 'document-too-large', 'Document too large', error.message, { errors: [{ field: 'body.file', message: error.message }] });
        throw error;
      }
      const { blob, filename } = upload;
      try {
        if (!blob) throw invalidFields([{ field: 'body.file', message: 'is required' }]);
        const parsed = uploadMetadata.safeParse(upload.metadata ?? {});
        if (!parsed.success) throw invalidFields(parsed.error.issues.map((i) => ({ field: ['body.metadata', ...i.path.map(String)].join('.'), message: i.message })));
        let format;
        try {
          format = parsed.data.format ?? documentFormatOf(filename, undefined);
        } catch (error) {
          if (error instanceof UnsupportedDocumentType) throw new HttpProblem(415, 'unsupported-document-type', 'Unsupported document type', error.message, { errors: [{ field: 'body.file', message: error.message }] });
          throw error;
        }
        const principal = principalOf(request);
        const result = await uploadDocument(library, {
          blob, filename, format, title: parsed.data.title, metadata: parsed.data.metadata, subjectId: parsed.data.personalData?.subjectId,
          uploadedBy: principal.userId, actor: actorOf(principal), correlationId: request.id,
        });
        void reply.status(result.deduplicated ? 200 : 201);
        return result;
      } catch (error) {
        await discard(blob);
        if (error instanceof CorruptDocument || error instanceof EmptyDocument) throw new HttpProblem(422, 'unreadable-document', 'Unreadable document', error.message, { errors: [{ field: 'body.file', message: error.message }] });
        if (error instanceof EmbeddingFailed) throw new HttpProblem(502, 'embedding-failed', 'Embedding failed', `${error.message}; nothing was recorded`);
        throw error;
      }
    });

    app.get('/api/v1/documents', {
      config: { permission: 'documents:read' },
      schema: {
        tags: ['documents'],
        summary: 'List documents, newest first unless sorted otherwise, with their chunking and embedder',
        querystring: z.strictObject({
          ...pageQuery(50),
          ...sortQueryOf(documentListOrder),
          includeDeleted: booleanQuery.default(false),
          format: z.enum(DOCUMENT_FORMATS).optional(),
        }),
        response: { 200: z.object({ documents: z.array(documentSchema), ...pageFields }), ...errors },
      },
    }, async (request) => {
      const clear = personalDataViewOf(principalOf(request)) === 'clear';
      const { total, documents } = await listDocuments(runtime.db.knex, request.query);
      return { documents: documents.map((d: DocumentRecord) => ({ ...d, format: d.format as (typeof DOCUMENT_FORMATS)[number], subjectId: clear ? d.subjectId : null })), ...pageOf(request.query, total) };
    });

    app.delete('/api/v1/documents/:id', {
      config: { permission: 'documents:write' },
      schema: {
        tags: ['documents'],
        summary: 'Delete a document: its chunks, embeddings and file are removed; the deletion is recorded',
        params: z.object({ id: z.uuid() }),
        response: { 200: z.object({ documentId: z.uuid(), chunksRemoved: z.number().int(), blobRemoved: z.boolean(), position: z.number().int() }), ...errors },
      },
    }, async (request) => {
      const principal = principalOf(request);
      const result = await deleteDocument(library, request.params.id, { deletedBy: principal.userId, reason: 'requested', actor: actorOf(principal), correlationId: request.id });
      if (!result) throw notFound(`document ${request.params.id}`);
      return { documentId: request.params.id, ...result };
    });

    app.post('/api/v1/documents/search', {
      config: { permission: 'documents:read' },
      schema: {
        tags: ['documents'],
        summary: 'Hybrid search: nearest chunks by embedding (pgvector HNSW) and PostgreSQL full-text matches, fused by reciprocal rank (k = 60), filtered on metadata',
        description: 'Each passage carries its rank and score per method and its fused rank. Documents marked as personal data are searched only for callers allowed to read personal data.',
        body: searchBody,
        response: { 200: z.object({ passages: z.array(passageSchema), vectorSearch: z.enum(['hnsw', 'exact']), embedder: z.string(), rrfK: z.number().int(), candidatesPerMethod: z.number().int() }), ...errors },
      },
    }, async (request) => {
      const includePersonal = personalDataViewOf(principalOf(request)) === 'clear';
      try {
        const result = await hybridSearch(library, { text: request.body.query, k: request.body.k, filter: { ...request.body.filter, includePersonal } });
        return { passages: result.passages, vectorSearch: result.vectorMode, embedder: result.embedder, rrfK: 60, candidatesPerMethod: result.candidatesPerMethod };
      } catch (error) {
        if (error instanceof EmbeddingFailed) throw new HttpProblem(502, 'embedding-failed', 'Embedding failed', error.message);
        throw error;
      }
    });
  };
}
