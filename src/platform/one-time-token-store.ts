import type { Knex } from './database.js';
import type { Migration } from './migrations.js';
import { newToken, tokenDigest } from './secure-token.js';

const TABLE = 'raia_one_time_tokens';

export type OneTimePurpose = 'verify-email' | 'reset-password' | 'sso-pending' | 'accept-invitation' | 'live-ticket';

export const oneTimeTokenMigrations: Migration[] = [
  {
    name: '0007_one_time_tokens',
    async up(knex) {
      await knex.raw(`CREATE TABLE IF NOT EXISTS ${TABLE} (
        digest     text PRIMARY KEY,
        subject    text NOT NULL,
        purpose    text NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at    timestamptz
      )`);
      await knex.raw(`CREATE INDEX IF NOT EXISTS raia_one_time_tokens_subject_idx ON ${TABLE} (subject, purpose)`);
    },
  },
];

/** Single-use, expiring tokens (e-mail verification, password reset, pending single sign-on), stored as SHA-256 digests. */
export class OneTimeTokenStore {
  constructor(
    private readonly knex: Knex,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Issues a new token; earlier unused tokens of the same purpose stop working. */
  async issue(subject: string, purpose: OneTimePurpose, ttlMs: number, db: Knex | Knex.Transaction = this.knex): Promise<string> {
    const token = newToken();
    const now = this.clock();
    await db(TABLE).where({ subject, purpose }).whereNull('used_at').update({ used_at: now });
    await db(TABLE).insert({ digest: tokenDigest(token), subject, purpose, expires_at: new Date(now.getTime() + ttlMs) });
    return token;
  }

  /** The subject of a token that could be spent now, without spending it (to check a request before it spends the token). */
  async peek(token: string, purpose: OneTimePurpose): Promise<string | null> {
    const row: { subject: string } | undefined = await this.knex(TABLE).select('subject').where({ digest: tokenDigest(token), purpose }).whereNull('used_at').where('expires_at', '>', this.clock()).first();
    return row?.subject ?? null;
  }

  /** Spends a token atomically; returns its subject, or null when unknown, used, expired or of another purpose. */
  async consume(token: string, purpose: OneTimePurpose): Promise<string | null> {
    const now = this.clock();
    const rows: { subject: string }[] = await this.knex(TABLE)
      .where({ digest: tokenDigest(token), purpose })
      .whereNull('used_at')
      .where('expires_at', '>', now)
      .update({ used_at: now })
      .returning('subject');
    return rows[0]?.subject ?? null;
  }

  /** Erasure: every token of the subject, spent or not, is dropped (an unspent one must not outlive the account). */
  async discardAll(subject: string): Promise<number> {
    // Counted from the returned rows: PGlite's knex client answers a bare delete with its raw result.
    return (await this.knex(TABLE).where({ subject }).delete().returning('digest')).length;
  }
}
