import type { Knex } from '../platform/database.js';
import type { StoredEvent } from '../events/envelope.js';
import { streamCategory } from '../events/envelope.js';
import { defineProjection } from './projection.js';

/** One row per stream of the ledger: what exists, how long, when it last changed. */
export const streamCatalog = defineProjection({
  name: 'stream_catalog',
  version: 1,
  handles: 'all',
  readsPersonalData: false,
  tables: {
    stream_catalog: (t) => {
      t.text('stream_id').primary();
      t.text('category').notNullable().index();
      t.integer('version').notNullable();
      t.integer('event_count').notNullable();
      t.bigInteger('first_position').notNullable();
      t.bigInteger('last_position').notNullable();
      t.text('last_event_type').notNullable();
      t.timestamp('created_at', { useTz: true }).notNullable();
      t.timestamp('updated_at', { useTz: true }).notNullable();
    },
  },
  async apply(trx, events, tables) {
    // Fold the batch per stream in memory, then one set-based upsert: catch-up speed matters.
    const byStream = new Map<string, { first: StoredEvent; last: StoredEvent; count: number }>();
    for (const e of events) {
      const s = byStream.get(e.streamId);
      if (s) {
        s.last = e;
        s.count++;
      } else byStream.set(e.streamId, { first: e, last: e, count: 1 });
    }
    const rows = [...byStream.entries()].map(([streamId, s]) => ({
      stream_id: streamId,
      category: streamCategory(streamId),
      version: s.last.streamVersion,
      event_count: s.count,
      first_position: s.first.position,
      last_position: s.last.position,
      last_event_type: s.last.type,
      created_at: s.first.occurredAt.toISOString(),
      updated_at: s.last.occurredAt.toISOString(),
    }));
    await trx.raw(
      `INSERT INTO ?? AS c (stream_id, category, version, event_count, first_position, last_position, last_event_type, created_at, updated_at)
       SELECT stream_id, category, version, event_count, first_position, last_position, last_event_type, created_at, updated_at
         FROM jsonb_to_recordset(?::jsonb) AS x(stream_id text, category text, version integer, event_count integer, first_position bigint, last_position bigint, last_event_type text, created_at timestamptz, updated_at timestamptz)
       ON CONFLICT (stream_id) DO UPDATE SET
         version = EXCLUDED.version,
         event_count = c.event_count + EXCLUDED.event_count,
         last_position = EXCLUDED.last_position,
         last_event_type = EXCLUDED.last_event_type,
         updated_at = EXCLUDED.updated_at`,
      [tables.stream_catalog, JSON.stringify(rows)],
    );
  },
});

export async function countStreams(knex: Knex): Promise<{ category: string; streams: number; events: number }[]> {
  const rows = await knex('stream_catalog').select('category').count({ streams: '*' }).sum({ events: 'event_count' }).groupBy('category').orderBy('category');
  return (rows as { category: string; streams: unknown; events: unknown }[]).map((r) => ({ category: r.category, streams: Number(r.streams), events: Number(r.events) }));
}
