import type { Knex } from './database.js';
import type { Migration } from './migrations.js';

const USAGE = 'raia_api_key_usage';

export const apiKeyUsageMigrations: Migration[] = [
  {
    name: '0008_api_key_usage',
    async up(knex) {
      // Operational data beside the ledger: a use per request would flood the audit trail.
      await knex.raw(`CREATE TABLE IF NOT EXISTS ${USAGE} (
        key_id       uuid PRIMARY KEY,
        last_used_at timestamptz NOT NULL,
        last_used_ip text
      )`);
    },
  },
];

/** Writes at most one update per key per this interval: last use is for humans, to the minute. */
const RECORD_INTERVAL_MS = 60_000;

/** When each API key was last used (and from where), recorded at most once a minute per key. */
export class ApiKeyUsage {
  private readonly lastWritten = new Map<string, number>();

  constructor(private readonly knex: Knex) {}

  async recordUse(keyId: string, ip: string | null, now = new Date()): Promise<void> {
    const previous = this.lastWritten.get(keyId);
    if (previous !== undefined && now.getTime() - previous < RECORD_INTERVAL_MS) return;
    this.lastWritten.set(keyId, now.getTime());
    await this.knex.raw(
      `INSERT INTO ${USAGE} (key_id, last_used_at, last_used_ip) VALUES (?, ?, ?)
       ON CONFLICT (key_id) DO UPDATE SET last_used_at = excluded.last_used_at, last_used_ip = excluded.last_used_ip
       WHERE ${USAGE}.last_used_at < excluded.last_used_at`,
      [keyId, now.toISOString(), ip],
    );
  }

  async lastUses(keyIds: string[]): Promise<Map<string, { lastUsedAt: string; lastUsedIp: string | null }>> {
    if (keyIds.length === 0) return new Map();
    const rows = (await this.knex(USAGE).whereIn('key_id', keyIds)) as { key_id: string; last_used_at: string | Date; last_used_ip: string | null }[];
    return new Map(rows.map((r) => [r.key_id, { lastUsedAt: new Date(r.last_used_at).toISOString(), lastUsedIp: r.last_used_ip }]));
  }

  /** Erasure of the keys' owner: where a key was used from is personal data. */
  async forgetIps(keyIds: string[]): Promise<number> {
    if (keyIds.length === 0) return 0;
    return this.knex(USAGE).whereIn('key_id', keyIds).whereNotNull('last_used_ip').update({ last_used_ip: null });
  }
}
