import { createHash } from 'node:crypto';
import type { Migration } from '../../platform/migrations.js';

export const EVENTS_TABLE = 'raia_events';
/**
 * NOTIFY channel of the ledger in `schema`: payload is the last committed position. Channels belong
 * to the database, not to a schema, and a follower takes the highest position it hears as the head:
 * on one shared channel, a ledger in another schema further ahead silenced this one's commits
 * (followers then slept until their poll interval). `public` keeps the original name.
 */
export const eventsChannel = (schema: string): string =>
  schema === 'public' ? 'raia_events_appended' : `raia_events_appended_${createHash('sha256').update(schema).digest('hex').slice(0, 16)}`;

export const ledgerMigrations: Migration[] = [
  {
    name: '0001_ledger_events',
    async up(knex) {
      await knex.raw(`
        CREATE TABLE IF NOT EXISTS ${EVENTS_TABLE} (
          position        bigint      PRIMARY KEY,
          id              uuid        NOT NULL UNIQUE,
          stream_id       text        NOT NULL,
          stream_category text        NOT NULL,
          stream_version  integer     NOT NULL,
          type            text        NOT NULL,
          schema_version  integer     NOT NULL,
          occurred_at     timestamptz NOT NULL,
          actor           jsonb       NOT NULL,
          actor_id        text        NOT NULL,
          correlation_id  text,
          causation_id    text,
          data            jsonb       NOT NULL,
          metadata        jsonb       NOT NULL,
          prev_hash       text        NOT NULL,
          hash            text        NOT NULL,
          UNIQUE (stream_id, stream_version)
        )`);
      // One statement per call: PGlite runs knex.raw as a prepared statement.
      await knex.raw(`CREATE INDEX IF NOT EXISTS raia_events_type_idx ON ${EVENTS_TABLE} (type, position)`);
      await knex.raw(`CREATE INDEX IF NOT EXISTS raia_events_category_idx ON ${EVENTS_TABLE} (stream_category, position)`);
      await knex.raw(`CREATE INDEX IF NOT EXISTS raia_events_actor_idx ON ${EVENTS_TABLE} (actor_id, position)`);
      await knex.raw(`CREATE INDEX IF NOT EXISTS raia_events_correlation_idx ON ${EVENTS_TABLE} (correlation_id) WHERE correlation_id IS NOT NULL`);
      await knex.raw(`CREATE INDEX IF NOT EXISTS raia_events_occurred_idx ON ${EVENTS_TABLE} USING brin (occurred_at)`);
    },
  },
];
