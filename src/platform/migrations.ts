import type { Knex } from 'knex';

/** A named schema change; names sort in the order they must run. */
export type Migration = {
  name: string;
  up(knex: Knex): Promise<void>;
  down?(knex: Knex): Promise<void>;
};

/** Applies pending migrations with knex's migrator (its lock table keeps concurrent starts safe). */
export async function runMigrations(knex: Knex, migrations: Migration[]): Promise<string[]> {
  const sorted = [...migrations].sort((a, b) => a.name.localeCompare(b.name));
  const source: Knex.MigrationSource<Migration> = {
    getMigrations: async () => sorted,
    getMigrationName: (m) => m.name,
    getMigration: async (m) => ({ up: m.up, down: m.down ?? (async () => undefined) }),
  };
  const [, applied] = (await knex.migrate.latest({ migrationSource: source, tableName: 'raia_migrations' })) as [number, string[]];
  return applied;
}
