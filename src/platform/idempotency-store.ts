import { deriveKey } from './key-material.js';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Knex } from './database.js';
import type { Migration } from './migrations.js';

const TABLE = 'raia_idempotency_keys';

export const idempotencyKeyMigrations: Migration[] = [
  {
    name: '0010_idempotency_keys',
    async up(knex) {
      // One row per (principal, key): the request's fingerprint, and once answered the answer,
      // encrypted (it may hold a secret shown once, such as a new API key or a webhook secret).
      await knex.raw(`CREATE TABLE IF NOT EXISTS ${TABLE} (
        scope       text NOT NULL,
        key         text NOT NULL,
        fingerprint text NOT NULL,
        response    text,
        created_at  timestamptz NOT NULL,
        lease_until timestamptz NOT NULL,
        expires_at  timestamptz NOT NULL,
        PRIMARY KEY (scope, key)
      )`);
      await knex.raw(`CREATE INDEX IF NOT EXISTS raia_idempotency_keys_expires_idx ON ${TABLE} (expires_at)`);
    },
  },
];

/** An answer as it was sent: replayed byte for byte. */
export type RecordedResponse = { status: number; headers: Record<string, string>; body: string };

export type Reservation =
  | { kind: 'reserved' }
  | { kind: 'replay'; response: RecordedResponse }
  /** The key was used for a different request. */
  | { kind: 'mismatch' }
  /** The first request with the key has not answered yet. */
  | { kind: 'in-flight' };

/** Keys live a day (as Stripe's do); an unanswered key blocks retries for at most five minutes. */
export const DEFAULT_IDEMPOTENCY_OPTIONS: IdempotencyOptions = { ttlMs: 24 * 3_600_000, leaseMs: 5 * 60_000 };

export type IdempotencyOptions = {
  /** How long a key and its answer are kept. */
  ttlMs: number;
  /** How long an unanswered key blocks others: past it, a request whose process died is taken over. */
  leaseMs: number;
};

/**
 * Idempotency keys (IETF draft "The Idempotency-Key HTTP Header Field"), in the database so every
 * API process sees them. A key is scoped to a principal: another caller's identical key is a
 * different row and never sees this one's answer.
 */
export class IdempotencyStore {
  private readonly aead: Buffer;
  private lastPurge = 0;

  constructor(
    private readonly knex: Knex,
    masterKey: Buffer,
    private readonly options: IdempotencyOptions = DEFAULT_IDEMPOTENCY_OPTIONS,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.aead = deriveKey(masterKey, 'raia idempotent responses');
  }

  /** Claims the key for this request, or says why not (replay, mismatch, in flight). */
  async reserve(scope: string, key: string, fingerprint: string): Promise<Reservation> {
    await this.purgeExpired();
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = this.clock();
      const row = { scope, key, fingerprint, response: null, created_at: now, lease_until: new Date(now.getTime() + this.options.leaseMs), expires_at: new Date(now.getTime() + this.options.ttlMs) };
      // Insert, or take over a row that expired or whose request was abandoned (its lease ran out unanswered).
      const claimed = await this.knex(TABLE)
        .insert(row)
        .onConflict(['scope', 'key'])
        .merge(['fingerprint', 'response', 'created_at', 'lease_until', 'expires_at'])
        .where(`${TABLE}.expires_at`, '<=', now)
        .orWhere((q) => q.whereNull(`${TABLE}.response`).where(`${TABLE}.lease_until`, '<=', now))
        .returning('scope');
      if (claimed.length > 0) return { kind: 'reserved' };
      const existing = (await this.knex(TABLE).where({ scope, key }).first('fingerprint', 'response')) as { fingerprint: string; response: string | null } | undefined;
      if (!existing) continue; // released between the two statements: try again
      if (existing.fingerprint !== fingerprint) return { kind: 'mismatch' };
      if (existing.response === null) return { kind: 'in-flight' };
      return { kind: 'replay', response: this.open(scope, key, existing.response) };
    }
    return { kind: 'in-flight' };
  }

  /** Records the answer to replay. */
  async complete(scope: string, key: string, response: RecordedResponse): Promise<void> {
    await this.knex(TABLE).where({ scope, key }).whereNull('response').update({ response: this.seal(scope, key, response) });
  }

  /** Forgets a reservation whose request failed without an answer worth replaying, so a retry runs again. */
  async release(scope: string, key: string): Promise<void> {
    await this.knex(TABLE).where({ scope, key }).whereNull('response').delete();
  }

  private async purgeExpired(): Promise<void> {
    const now = this.clock();
    if (now.getTime() - this.lastPurge < 60_000) return;
    this.lastPurge = now.getTime();
    await this.knex(TABLE).where('expires_at', '<=', now).delete();
  }

  // AES-256-GCM; the row's scope and key are the associated data, so an answer cannot be moved to another principal's row.
  private seal(scope: string, key: string, response: RecordedResponse): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.aead, iv).setAAD(Buffer.from(`${scope}\0${key}`));
    const sealed = Buffer.concat([cipher.update(JSON.stringify(response), 'utf8'), cipher.final()]);
    return [iv, cipher.getAuthTag(), sealed].map((b) => b.toString('base64')).join('.');
  }

  private open(scope: string, key: string, stored: string): RecordedResponse {
    const [iv, tag, sealed] = stored.split('.').map((p) => Buffer.from(p, 'base64'));
    const decipher = createDecipheriv('aes-256-gcm', this.aead, iv!).setAAD(Buffer.from(`${scope}\0${key}`));
    decipher.setAuthTag(tag!);
    return JSON.parse(Buffer.concat([decipher.update(sealed!), decipher.final()]).toString('utf8')) as RecordedResponse;
  }
}
