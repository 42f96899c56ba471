import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import type { Knex } from './database.js';
import { deriveKey } from './key-material.js';
import type { Migration } from './migrations.js';

const TABLE = 'raia_webhook_secrets';

export const webhookSecretMigrations: Migration[] = [
  {
    name: '0011_webhook_secrets',
    async up(knex) {
      await knex.raw(`CREATE TABLE IF NOT EXISTS ${TABLE} (
        subscription_id uuid PRIMARY KEY,
        iv              bytea NOT NULL,
        ciphertext      bytea NOT NULL,
        tag             bytea NOT NULL,
        created_at      timestamptz NOT NULL DEFAULT now()
      )`);
    },
  },
];

/**
 * Webhook signing secrets, kept outside the ledger and encrypted (AES-256-GCM, a key derived from
 * the master key, the subscription id as additional data so a row cannot be moved to another
 * subscription). The ledger holds only a fingerprint.
 */
export class WebhookSecrets {
  private readonly key: Buffer;
  private readonly fingerprintKey: Buffer;

  constructor(
    private readonly knex: Knex,
    masterKey: Uint8Array,
  ) {
    this.key = deriveKey(masterKey, 'raia webhook secrets');
    this.fingerprintKey = deriveKey(masterKey, 'raia webhook secret fingerprint');
  }

  fingerprint(secret: string): string {
    return createHmac('sha256', this.fingerprintKey).update(secret).digest('hex').slice(0, 16);
  }

  async store(subscriptionId: string, secret: string): Promise<void> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv).setAAD(Buffer.from(subscriptionId));
    const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    await this.knex(TABLE).insert({ subscription_id: subscriptionId, iv, ciphertext, tag: cipher.getAuthTag() });
  }

  async read(subscriptionId: string): Promise<string | null> {
    const row = await this.knex(TABLE).select('iv', 'ciphertext', 'tag').where('subscription_id', subscriptionId).first();
    if (!row) return null;
    const decipher = createDecipheriv('aes-256-gcm', this.key, row.iv as Buffer).setAAD(Buffer.from(subscriptionId));
    decipher.setAuthTag(row.tag as Buffer);
    return Buffer.concat([decipher.update(row.ciphertext as Buffer), decipher.final()]).toString('utf8');
  }
}
