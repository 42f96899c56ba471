import type { Migration } from '../platform/migrations.js';

export const PROJECTIONS_TABLE = 'raia_projections';

export type ProjectionStatus = 'running' | 'rebuilding' | 'failed';

export const projectionMigrations: Migration[] = [
  {
    name: '0003_projection_checkpoints',
    async up(knex) {
      // The checkpoint row is locked FOR UPDATE by every apply, so runners in several processes
      // never apply the same event twice, and a rebuild's table swap is atomic with its checkpoint.
      await knex.raw(`CREATE TABLE IF NOT EXISTS ${PROJECTIONS_TABLE} (
        name       text PRIMARY KEY,
        version    integer NOT NULL,
        position   bigint NOT NULL DEFAULT 0,
        status     text NOT NULL DEFAULT 'running',
        last_error text,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    },
  },
];
