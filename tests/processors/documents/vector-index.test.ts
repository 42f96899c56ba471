import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { afterEach, describe, expect, it } from 'vitest';
import { allMigrations } from '../../../src/migrations.js';
import { openDatabase, type Database } from '../../../src/platform/database.js';
import { runMigrations } from '../../../src/platform/migrations.js';
import { prepareVectorIndex } from '../../../src/processors/documents/vector-index.js';
import { openTestDatabase } from '../../support/test-database.js';

describe('vector index', () => {
  const opened: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const db of opened.splice(0)) await db.close();
  });
  const indexesOf = async (db: Database) =>
    ((await db.knex.raw(`SELECT indexname FROM pg_indexes WHERE tablename = 'document_chunks' AND schemaname = ?`, [db.schema])) as { rows: { indexname: string }[] }).rows.map((r) => r.indexname);

  it('falls back to exact search, saying why, on a database without pgvector', async () => {
    const db = await openDatabase({ pglite: new PGlite(), schema: 'no_vector' });
    opened.push(db);
    await runMigrations(db.knex, allMigrations);
    const index = await prepareVectorIndex(db.knex, 512);
    expect(index).toMatchObject({ mode: 'exact', dimensions: 512 });
    expect(index.mode === 'exact' && index.reason).toMatch(/pgvector is not available/);
    expect(await indexesOf(db)).not.toContain('document_chunks_hnsw_512');
  });

  it.each(['postgres', 'pglite'] as const)('creates the extension in public and an HNSW index per dimension on %s', async (dialect) => {
    const db = dialect === 'pglite' ? await openDatabase({ pglite: new PGlite({ extensions: { vector } }), schema: 'with_vector' }) : await openTestDatabase('postgres', { migrate: false });
    opened.push(dialect === 'pglite' ? db : { close: () => (db as Awaited<ReturnType<typeof openTestDatabase>>).drop() });
    await runMigrations(db.knex, allMigrations);
    expect(await prepareVectorIndex(db.knex, 16)).toEqual({ mode: 'hnsw', schema: 'public', dimensions: 16 });
    // Idempotent, and a second dimension gets its own index.
    await prepareVectorIndex(db.knex, 16);
    await prepareVectorIndex(db.knex, 8);
    expect((await indexesOf(db)).filter((n) => n.startsWith('document_chunks_hnsw_')).sort()).toEqual(['document_chunks_hnsw_16', 'document_chunks_hnsw_8']);
  });
});
