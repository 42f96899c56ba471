import type { Knex } from '../../platform/database.js';
import type { Migration } from '../../platform/migrations.js';

const TABLE = 'raia_live_connections';

/** The analytics channels a `/ws/real-time` connection can subscribe to. */
export const ANALYTICS_CHANNELS = ['models', 'streams', 'system'] as const;
export type AnalyticsChannel = (typeof ANALYTICS_CHANNELS)[number];

export const liveConnectionMigrations: Migration[] = [
  {
    name: '0011_live_connections',
    async up(knex) {
      await knex.raw(`CREATE TABLE IF NOT EXISTS ${TABLE} (
        connection_id uuid PRIMARY KEY,
        user_id       text NOT NULL,
        channels      jsonb NOT NULL DEFAULT '[]'::jsonb,
        connected_at  timestamptz NOT NULL DEFAULT now()
      )`);
    },
  },
];

/**
 * Which analytics channels each open `/ws/real-time` connection subscribed to. Kept in the
 * database, not in the node holding the socket: behind a load balancer the subscribe request may
 * reach another node than the connection, and the connection's node reads its set at each push.
 */
export class AnalyticsSubscriptions {
  constructor(private readonly knex: Knex) {}

  async open(connectionId: string, userId: string): Promise<void> {
    await this.knex(TABLE).insert({ connection_id: connectionId, user_id: userId });
  }

  async close(connectionId: string): Promise<void> {
    await this.knex(TABLE).where({ connection_id: connectionId }).delete();
  }

  /** Adds channels to a connection of this user; its channels after, or null when the user has no such open connection. */
  async subscribe(connectionId: string, userId: string, channels: AnalyticsChannel[]): Promise<AnalyticsChannel[] | null> {
    return this.rewrite(connectionId, userId, `(SELECT coalesce(jsonb_agg(DISTINCT x ORDER BY x), '[]'::jsonb) FROM jsonb_array_elements_text(channels || ?::jsonb) AS x)`, channels);
  }

  async unsubscribe(connectionId: string, userId: string, channels: AnalyticsChannel[]): Promise<AnalyticsChannel[] | null> {
    return this.rewrite(connectionId, userId, `(SELECT coalesce(jsonb_agg(x ORDER BY x), '[]'::jsonb) FROM jsonb_array_elements_text(channels) AS x WHERE NOT jsonb_exists(?::jsonb, x))`, channels);
  }

  /** The channels of these connections (one query for all the connections a node holds). */
  async channelsOf(connectionIds: string[]): Promise<Map<string, AnalyticsChannel[]>> {
    const found = new Map<string, AnalyticsChannel[]>();
    if (connectionIds.length === 0) return found;
    const rows = (await this.knex(TABLE).whereIn('connection_id', connectionIds).select('connection_id', 'channels')) as { connection_id: string; channels: AnalyticsChannel[] }[];
    for (const r of rows) found.set(r.connection_id, r.channels);
    return found;
  }

  private async rewrite(connectionId: string, userId: string, expression: string, channels: AnalyticsChannel[]): Promise<AnalyticsChannel[] | null> {
    const rows = (await this.knex(TABLE)
      .where({ connection_id: connectionId, user_id: userId })
      .update({ channels: this.knex.raw(expression, [JSON.stringify(channels)]) })
      .returning('channels')) as { channels: AnalyticsChannel[] }[];
    return rows[0]?.channels ?? null;
  }
}
