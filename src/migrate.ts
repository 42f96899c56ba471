import { join } from 'node:path';
import { ConfigError, loadConfig } from './platform/config.js';
import { openDatabase } from './platform/database.js';
import { runMigrations } from './platform/migrations.js';
import { allMigrations } from './migrations.js';

/** `npm run migrate`: applies pending schema migrations to the configured database and exits. */
try {
  const config = loadConfig();
  const db = config.DATABASE_URL
    ? await openDatabase({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, poolSize: 2 })
    : await openDatabase({ pgliteDir: join(config.dataDir, 'pglite'), schema: config.DATABASE_SCHEMA });
  try {
    const applied = await runMigrations(db.knex, allMigrations);
    console.log(applied.length === 0 ? 'database is up to date' : `applied: ${applied.join(', ')}`);
  } finally {
    await db.close();
  }
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(error instanceof ConfigError ? 2 : 1);
}
