import type { Knex } from '../../platform/database.js';
import type { Migration } from '../../platform/migrations.js';

/**
 * The chunks of every live document with their embeddings: the retrieval index. A read model
 * derived from each document's text (its blob, or its sealed text for a personal document), not
 * from event data alone; deleting a document or erasing its subject deletes its rows.
 * Embeddings are `real[]` so the table needs no extension; with pgvector the HNSW index is an
 * expression index casting them to `vector(n)`, one partial index per dimension in use.
 */
export const CHUNKS_TABLE = 'document_chunks';

export const documentChunkMigrations: Migration[] = [
  {
    name: '0011_document_chunks',
    async up(knex) {
      await knex.schema.createTable(CHUNKS_TABLE, (t) => {
        t.uuid('chunk_id').primary();
        t.uuid('document_id').notNullable().index();
        t.integer('ordinal').notNullable();
        t.text('content_digest').notNullable();
        t.text('text').notNullable();
        t.integer('token_start').notNullable();
        t.integer('token_end').notNullable();
        t.jsonb('metadata').notNullable().defaultTo('{}');
        t.text('subject_id').index();
        t.text('embedder').notNullable();
        t.integer('dimensions').notNullable();
        t.specificType('embedding', 'real[]').notNullable();
      });
      await knex.raw(`ALTER TABLE ${CHUNKS_TABLE} ADD COLUMN tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED`);
      await knex.raw(`CREATE INDEX document_chunks_tsv ON ${CHUNKS_TABLE} USING gin (tsv)`);
      await knex.raw(`CREATE INDEX document_chunks_metadata ON ${CHUNKS_TABLE} USING gin (metadata jsonb_path_ops)`);
      // One live document per content: a second upload of the same file finds the first (dedupe), even when racing it.
      await knex.raw(`CREATE UNIQUE INDEX document_chunks_one_per_content ON ${CHUNKS_TABLE} (content_digest) WHERE ordinal = 0`);
      await knex.raw(`CREATE INDEX document_chunks_embedder ON ${CHUNKS_TABLE} (embedder)`);
    },
  },
];

export type ChunkRow = {
  chunkId: string;
  documentId: string;
  ordinal: number;
  contentDigest: string;
  text: string;
  tokenStart: number;
  tokenEnd: number;
  metadata: Record<string, string | number | boolean>;
  subjectId: string | null;
  embedder: string;
  embedding: Float32Array;
};

/** A `real[]` literal; finite floats only, as the embedders produce. */
export const realArray = (v: Float32Array): string => `{${Array.from(v).join(',')}}`;
/** A pgvector literal. */
export const vectorLiteral = (v: Float32Array): string => `[${Array.from(v).join(',')}]`;

/** Inserts chunks in batches (one statement per batch, bounded parameter count). */
export async function insertChunks(knex: Knex | Knex.Transaction, chunks: readonly ChunkRow[]): Promise<void> {
  for (let i = 0; i < chunks.length; i += 200) {
    await knex(CHUNKS_TABLE).insert(
      chunks.slice(i, i + 200).map((c) => ({
        chunk_id: c.chunkId,
        document_id: c.documentId,
        ordinal: c.ordinal,
        content_digest: c.contentDigest,
        text: c.text,
        token_start: c.tokenStart,
        token_end: c.tokenEnd,
        metadata: JSON.stringify(c.metadata),
        subject_id: c.subjectId,
        embedder: c.embedder,
        dimensions: c.embedding.length,
        embedding: realArray(c.embedding),
      })),
    );
  }
}

/** How many rows a delete removed (counted from RETURNING: knex-pglite answers a bare delete with its raw result). */
export const deletedRows = async (query: Knex.QueryBuilder): Promise<number> => ((await query.delete(['chunk_id'])) as unknown[]).length;

export async function deleteChunksOf(knex: Knex | Knex.Transaction, documentId: string): Promise<number> {
  return deletedRows(knex(CHUNKS_TABLE).where('document_id', documentId));
}

/** The live document holding exactly this content, if any. */
export async function documentWithContent(knex: Knex, contentDigest: string): Promise<string | null> {
  const row = (await knex(CHUNKS_TABLE).select('document_id').where({ content_digest: contentDigest, ordinal: 0 }).first()) as { document_id: string } | undefined;
  return row?.document_id ?? null;
}

export const isUniqueViolation = (error: unknown): boolean => (error as { code?: string } | null)?.code === '23505';
