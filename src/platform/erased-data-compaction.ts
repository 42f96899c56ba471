import type { Database } from './database.js';

export type CompactionResult = { tables: string[]; walRotated: boolean };

/**
 * After personal data was rewritten or deleted, the old row versions still lie in the table files
 * (dead tuples) and in the write-ahead log until PostgreSQL reuses the space. Erasure cannot wait
 * for that: `VACUUM FULL` rewrites each table that held the data into a fresh file, and on the
 * embedded PGlite (whose whole data directory is ours) the WAL is switched to a new segment and
 * checkpointed twice with segment recycling off, so the old segments are deleted, not renamed for
 * reuse with their content intact. On a PostgreSQL server the WAL, its archive and replicas are the
 * operator's: they age out with the server's retention (docs/privacy.md).
 */
export async function compactErasedData(db: Database, tables: readonly string[]): Promise<CompactionResult> {
  const compacted: string[] = [];
  for (const table of tables) {
    const found = await db.knex.raw('SELECT to_regclass(?) AS oid', [table]);
    const rows = (found.rows ?? found) as { oid: string | null }[];
    if (!rows[0]?.oid) continue;
    await db.knex.raw('VACUUM FULL ??', [table]);
    compacted.push(table);
  }
  if (db.dialect !== 'pglite') return { tables: compacted, walRotated: false };
  await db.knex.raw('SET wal_recycle = off');
  await db.knex.raw('SELECT pg_switch_wal()');
  await db.knex.raw('CHECKPOINT');
  await db.knex.raw('CHECKPOINT');
  return { tables: compacted, walRotated: true };
}
