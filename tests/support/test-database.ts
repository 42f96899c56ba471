import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { openDatabase, type Database, type DatabaseDialect } from '../../src/platform/database.js';
import { runMigrations } from '../../src/platform/migrations.js';
import { allMigrations } from '../../src/migrations.js';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export type TestDatabase = Database & { drop(): Promise<void> };

/**
 * A migrated database of its own for one test file: a fresh schema in the loopback PostgreSQL,
 * or a fresh in-memory PGlite. `drop()` removes it.
 */
export async function openTestDatabase(dialect: DatabaseDialect, options: { migrate?: boolean; poolSize?: number } = {}): Promise<TestDatabase> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const db =
    dialect === 'postgres'
      ? await openDatabase({ url: TEST_DATABASE_URL, schema, poolSize: options.poolSize ?? 12 })
      : await openDatabase({ pglite: new PGlite({ extensions: { vector } }), schema });
  if (options.migrate !== false) await runMigrations(db.knex, allMigrations);
  return {
    ...db,
    async drop() {
      if (dialect === 'postgres') await db.knex.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await db.close();
    },
  };
}

export const dialects: DatabaseDialect[] = ['postgres', 'pglite'];
