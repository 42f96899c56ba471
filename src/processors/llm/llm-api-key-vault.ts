import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import type { Knex } from '../../platform/database.js';
import { deriveKey } from '../../platform/key-material.js';
import type { Migration } from '../../platform/migrations.js';

const TABLE = 'raia_llm_api_keys';

export const llmApiKeyMigrations: Migration[] = [
  {
    name: '0011_llm_api_keys',
    async up(knex) {
      // Outside the ledger on purpose: a replaced or deleted configuration's key is destroyed for good,
      // which an immutable event could never do.
      await knex.raw(`CREATE TABLE IF NOT EXISTS ${TABLE} (
        secret_id        uuid PRIMARY KEY,
        configuration_id uuid NOT NULL,
        sealed           text NOT NULL,
        created_at       timestamptz NOT NULL DEFAULT now()
      )`);
      await knex.raw(`CREATE INDEX IF NOT EXISTS raia_llm_api_keys_configuration_idx ON ${TABLE} (configuration_id)`);
    },
  },
];

/** What a response shows of a key: its last four characters. */
export const keyHint = (apiKey: string) => `••••${apiKey.slice(-4)}`;

/**
 * Provider API keys, AES-256-GCM under a key derived from the master key (HKDF, its own purpose),
 * bound to their row and configuration as associated data so a sealed key cannot be moved to
 * another configuration. Events carry only the secret's id.
 */
export class LlmApiKeyVault {
  private readonly key: Buffer;

  constructor(
    private readonly knex: Knex,
    masterKey: Buffer,
  ) {
    this.key = deriveKey(masterKey, 'raia llm provider api keys');
  }

  async store(configurationId: string, apiKey: string): Promise<{ secretId: string; hint: string }> {
    const secretId = randomUUID();
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv).setAAD(Buffer.from(`${secretId}\0${configurationId}`));
    const sealed = Buffer.concat([cipher.update(apiKey, 'utf8'), cipher.final()]);
    await this.knex(TABLE).insert({ secret_id: secretId, configuration_id: configurationId, sealed: [iv, cipher.getAuthTag(), sealed].map((b) => b.toString('base64')).join('.') });
    return { secretId, hint: keyHint(apiKey) };
  }

  /** The key, or null when it was destroyed. */
  async open(configurationId: string, secretId: string): Promise<string | null> {
    const row = (await this.knex(TABLE).where({ secret_id: secretId, configuration_id: configurationId }).first('sealed')) as { sealed: string } | undefined;
    if (!row) return null;
    const [iv, tag, sealed] = row.sealed.split('.').map((p) => Buffer.from(p, 'base64'));
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv!).setAAD(Buffer.from(`${secretId}\0${configurationId}`));
    decipher.setAuthTag(tag!);
    return Buffer.concat([decipher.update(sealed!), decipher.final()]).toString('utf8');
  }

  /** Destroys the configuration's keys, all of them or all but `keep` (the one now in use). */
  async destroy(configurationId: string, keep?: string): Promise<void> {
    const query = this.knex(TABLE).where('configuration_id', configurationId);
    if (keep) void query.whereNot('secret_id', keep);
    await query.delete();
  }

  async destroySecret(secretId: string): Promise<void> {
    await this.knex(TABLE).where('secret_id', secretId).delete();
  }
}
