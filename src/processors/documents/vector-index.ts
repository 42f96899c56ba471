import type { Knex } from '../../platform/database.js';
import type { Logger } from '../../platform/logger.js';
import { CHUNKS_TABLE } from './document-chunks.js';

/**
 * How nearest chunks are found: `hnsw` through pgvector's HNSW index (approximate, fast), or
 * `exact` by comparing the query with every chunk's embedding in this process when the database
 * lacks pgvector (correct, slow on many chunks). Health reports which, and why.
 */
export type VectorIndex = { mode: 'hnsw'; schema: string; dimensions: number } | { mode: 'exact'; dimensions: number; reason: string };

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

async function extensionSchema(knex: Knex): Promise<string | null> {
  const result = (await knex.raw(`SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'vector'`)) as { rows: { schema: string }[] };
  return result.rows[0]?.schema ?? null;
}

/**
 * Makes sure pgvector is there (creating the extension in `public`, so that dropping a RAIA schema
 * never drops it from under another) and that an HNSW index covers `dimensions`; falls back to
 * exact search, saying why, when the server has no pgvector.
 */
export async function prepareVectorIndex(knex: Knex, dimensions: number, logger?: Logger): Promise<VectorIndex> {
  let schema = await extensionSchema(knex);
  if (!schema) {
    try {
      await knex.raw('CREATE EXTENSION IF NOT EXISTS vector SCHEMA public');
    } catch (error) {
      // Another process created it meanwhile (unique violation), or the server has no pgvector.
      schema = await extensionSchema(knex).catch(() => null);
      if (!schema) {
        const reason = `pgvector is not available on this database server (${error instanceof Error ? error.message : String(error)}); vector search compares every chunk exactly`;
        logger?.warn({ reason }, 'vector search falls back to exact search');
        return { mode: 'exact', dimensions, reason };
      }
    }
    schema ??= await extensionSchema(knex);
  }
  if (!schema) return { mode: 'exact', dimensions, reason: 'pgvector could not be found after creating it' };
  const ns = quote(schema);
  const dim = Math.trunc(dimensions);
  try {
    await knex.raw(`CREATE INDEX IF NOT EXISTS document_chunks_hnsw_${dim} ON ${CHUNKS_TABLE} USING hnsw ((embedding::${ns}.vector(${dim})) ${ns}.vector_cosine_ops) WHERE dimensions = ${dim}`);
  } catch (error) {
    // Two processes starting at once: one builds the index, the other's duplicate attempt fails.
    if ((error as { code?: string }).code !== '23505' && (error as { code?: string }).code !== '42P07') throw error;
  }
  return { mode: 'hnsw', schema, dimensions: dim };
}
