import type { Knex } from '../platform/database.js';
import { listOrder, sortedPage, type PageRequest } from './sorted-page.js';
import type { JsonObject } from '../events/envelope.js';
import { defineProjection } from './projection.js';

/** The document library: what was uploaded, by whom, how it was chunked and embedded, and whether it is still there. */
export const documents = defineProjection({
  name: 'documents',
  version: 1,
  handles: ['document.uploaded', 'document.reembedded', 'document.deleted'],
  tables: {
    documents: (t) => {
      t.uuid('document_id').primary();
      t.text('title').notNullable();
      t.text('format').notNullable();
      t.text('content_type').notNullable();
      t.bigInteger('size').notNullable();
      t.text('content_digest').notNullable();
      t.text('filename');
      t.jsonb('metadata').notNullable();
      t.text('subject_id').index();
      t.integer('chunks').notNullable();
      t.integer('tokens').notNullable();
      t.text('tokenizer').notNullable();
      t.integer('chunk_tokens').notNullable();
      t.integer('overlap_tokens').notNullable();
      t.text('embedder').notNullable();
      t.integer('dimensions').notNullable();
      t.text('uploaded_by').notNullable();
      t.timestamp('uploaded_at', { useTz: true }).notNullable();
      t.bigInteger('uploaded_position').notNullable();
      t.text('status').notNullable();
      t.timestamp('deleted_at', { useTz: true });
      t.text('deleted_by');
      t.text('deletion_reason');
    },
  },
  async apply(trx, events, tables) {
    for (const e of events) {
      const d = e.data as JsonObject & { documentId: string };
      switch (e.type) {
        case 'document.uploaded': {
          const u = d as unknown as {
            title: string; format: string; contentType: string; size: number; contentDigest: string; filename: string | null; metadata: JsonObject;
            personalData: { subjectId: string } | null; chunking: { tokenizer: string; chunkTokens: number; overlapTokens: number; chunks: number; tokens: number };
            embedder: { id: string; dimensions: number }; uploadedBy: string;
          };
          await trx(tables.documents)
            .insert({
              document_id: d.documentId, title: u.title, format: u.format, content_type: u.contentType, size: u.size, content_digest: u.contentDigest,
              // A personal document's file name is sealed in the event; the read model does not keep it.
              filename: u.filename, metadata: JSON.stringify(u.metadata), subject_id: u.personalData?.subjectId ?? null,
              chunks: u.chunking.chunks, tokens: u.chunking.tokens, tokenizer: u.chunking.tokenizer, chunk_tokens: u.chunking.chunkTokens, overlap_tokens: u.chunking.overlapTokens,
              embedder: u.embedder.id, dimensions: u.embedder.dimensions, uploaded_by: u.uploadedBy, uploaded_at: e.occurredAt.toISOString(), uploaded_position: e.position, status: 'active',
            })
            .onConflict('document_id')
            .ignore();
          break;
        }
        case 'document.reembedded': {
          const to = d.to as { id: string; dimensions: number };
          await trx(tables.documents).where('document_id', d.documentId).update({ embedder: to.id, dimensions: to.dimensions });
          break;
        }
        case 'document.deleted':
          await trx(tables.documents).where('document_id', d.documentId).update({ status: 'deleted', deleted_at: e.occurredAt.toISOString(), deleted_by: d.deletedBy, deletion_reason: d.reason });
          break;
      }
    }
  },
});

export type DocumentRecord = {
  documentId: string;
  title: string;
  format: string;
  contentType: string;
  size: number;
  contentDigest: string;
  filename: string | null;
  metadata: Record<string, string | number | boolean>;
  personal: boolean;
  subjectId: string | null;
  chunks: number;
  tokens: number;
  chunking: { tokenizer: string; chunkTokens: number; overlapTokens: number };
  embedder: { id: string; dimensions: number };
  uploadedBy: string;
  uploadedAt: string;
  status: 'active' | 'deleted';
  deletedAt: string | null;
  deletionReason: string | null;
};

type Row = Record<string, unknown>;
const iso = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string).toISOString());
const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));

function recordOf(r: Row): DocumentRecord {
  return {
    documentId: r.document_id as string,
    title: r.title as string,
    format: r.format as string,
    contentType: r.content_type as string,
    size: Number(r.size),
    contentDigest: r.content_digest as string,
    filename: (r.filename as string | null) ?? null,
    metadata: json(r.metadata),
    personal: r.subject_id !== null,
    subjectId: (r.subject_id as string | null) ?? null,
    chunks: Number(r.chunks),
    tokens: Number(r.tokens),
    chunking: { tokenizer: r.tokenizer as string, chunkTokens: Number(r.chunk_tokens), overlapTokens: Number(r.overlap_tokens) },
    embedder: { id: r.embedder as string, dimensions: Number(r.dimensions) },
    uploadedBy: r.uploaded_by as string,
    uploadedAt: iso(r.uploaded_at)!,
    status: r.status as 'active' | 'deleted',
    deletedAt: iso(r.deleted_at),
    deletionReason: (r.deletion_reason as string | null) ?? null,
  };
}

/** The document list's sort fields; newest first (by ledger position of the upload) unless asked otherwise. */
export const documentListOrder = listOrder({ columns: { uploadedAt: 'uploaded_position', title: 'title', size: 'size' }, unique: 'document_id', defaultSort: 'uploadedAt', defaultOrder: 'desc' });

export type DocumentListQuery = PageRequest<keyof typeof documentListOrder.columns> & { includeDeleted: boolean; format?: string; metadata?: Record<string, string | number | boolean> };

/** Documents, one page in the asked order. */
export async function listDocuments(knex: Knex, query: DocumentListQuery): Promise<{ total: number; documents: DocumentRecord[] }> {
  const base = knex('documents');
  if (!query.includeDeleted) void base.where('status', 'active');
  if (query.format) void base.where('format', query.format);
  if (query.metadata && Object.keys(query.metadata).length > 0) void base.whereRaw('metadata @> ?::jsonb', [JSON.stringify(query.metadata)]);
  const [{ count }] = (await base.clone().count({ count: '*' })) as [{ count: string | number }];
  const rows = (await sortedPage(base, query, documentListOrder)) as Row[];
  return { total: Number(count), documents: rows.map(recordOf) };
}

export async function findDocument(knex: Knex, documentId: string): Promise<DocumentRecord | null> {
  const r = (await knex('documents').where('document_id', documentId).first()) as Row | undefined;
  return r ? recordOf(r) : null;
}

/** Live documents holding a data subject's personal data (what an erasure must reach). */
export async function documentsOfSubject(knex: Knex, subjectId: string): Promise<DocumentRecord[]> {
  return ((await knex('documents').where({ subject_id: subjectId, status: 'active' })) as Row[]).map(recordOf);
}
