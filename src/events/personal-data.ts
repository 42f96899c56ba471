import { deriveKey } from '../platform/key-material.js';
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import type { Knex } from '../platform/database.js';
import type { Migration } from '../platform/migrations.js';
import { canonicalJson } from './canonical-json.js';
import type { JsonObject, JsonValue, StoredEvent } from './envelope.js';

/** What an erased subject's personal field reads as. */
export const REDACTED = '[redacted]';
const KEYS_TABLE = 'raia_subject_keys';

/** A personal field as stored in an event: AES-256-GCM ciphertext under the subject's own key. */
export type SealedField = { $pii: 'v1'; subject: string; iv: string; ct: string; tag: string };

/** Text every sealed field's JSON holds (its key): JSON without it holds no sealed field. */
export const SEALED_FIELD_JSON_KEY = '"$pii"';

export const isSealedField = (v: unknown): v is SealedField =>
  typeof v === 'object' && v !== null && (v as { $pii?: unknown }).$pii === 'v1';

export class SubjectErased extends Error {
  readonly code = 'SUBJECT_ERASED';
  constructor(public readonly subjectId: string) {
    super(`personal data of subject ${subjectId} has been erased; nothing new can be recorded about it`);
    this.name = 'SubjectErased';
  }
}

export const subjectKeyMigrations: Migration[] = [
  {
    name: '0002_subject_keys',
    async up(knex) {
      // Outside the ledger on purpose: deleting a key (crypto-shredding) leaves every event and hash intact.
      await knex.raw(`CREATE TABLE IF NOT EXISTS ${KEYS_TABLE} (
        subject_id  text PRIMARY KEY,
        wrapped_key bytea,
        had_key     boolean NOT NULL DEFAULT true,
        created_at  timestamptz NOT NULL DEFAULT now(),
        erased_at   timestamptz
      )`);
    },
  },
];

function gcmEncrypt(key: Buffer, plaintext: Buffer, aad: string) {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, ct, tag: cipher.getAuthTag() };
}

function gcmDecrypt(key: Buffer, parts: { iv: Buffer; ct: Buffer; tag: Buffer }, aad: string) {
  const decipher = createDecipheriv('aes-256-gcm', key, parts.iv);
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(parts.tag);
  return Buffer.concat([decipher.update(parts.ct), decipher.final()]);
}

/**
 * Per-subject data keys (envelope encryption: each key is wrapped by the master key) and the
 * field encryption that uses them. Erasing a subject deletes its key, so every copy of its
 * personal fields, in the ledger, in backups and in exports, becomes unreadable at once.
 */
export class PersonalDataVault {
  /** Keys the pseudonyms: derived from the master key, so they cannot be recomputed without it. */
  private readonly pseudonymKey: Buffer;

  constructor(
    private readonly knex: Knex,
    private readonly masterKey: Buffer,
  ) {
    this.pseudonymKey = deriveKey(masterKey, 'raia personal-data pseudonym');
  }

  /**
   * What a personal value reads as to a caller not allowed to see it: a keyed HMAC-SHA-256 prefix
   * of its canonical JSON. Stable across calls and events (equal values, equal pseudonyms, so an
   * auditor can still follow one person), not reversible without the master key.
   */
  pseudonym(value: JsonValue): string {
    if (value === REDACTED) return REDACTED;
    return `[personal:${createHmac('sha256', this.pseudonymKey).update(canonicalJson(value) ?? 'null', 'utf8').digest('hex').slice(0, 16)}]`;
  }

  private async keyFor(subjectId: string): Promise<Buffer> {
    const existing = await this.knex(KEYS_TABLE).where('subject_id', subjectId).first();
    if (existing) {
      if (!existing.wrapped_key) throw new SubjectErased(subjectId);
      return this.unwrap(subjectId, existing.wrapped_key as Buffer);
    }
    const key = randomBytes(32);
    const w = gcmEncrypt(this.masterKey, key, `subject-key:${subjectId}`);
    await this.knex(KEYS_TABLE).insert({ subject_id: subjectId, wrapped_key: Buffer.concat([w.iv, w.tag, w.ct]) }).onConflict('subject_id').ignore();
    // Another writer may have created the key first; always use the stored one.
    return this.keyFor(subjectId);
  }

  private unwrap(subjectId: string, wrapped: Buffer): Buffer {
    const bytes = Buffer.from(wrapped);
    return gcmDecrypt(this.masterKey, { iv: bytes.subarray(0, 12), tag: bytes.subarray(12, 28), ct: bytes.subarray(28) }, `subject-key:${subjectId}`);
  }

  /** Encrypts one personal value under its subject's key (created on first use). */
  async seal(subjectId: string, value: JsonValue): Promise<SealedField> {
    const key = await this.keyFor(subjectId);
    const { iv, ct, tag } = gcmEncrypt(key, Buffer.from(JSON.stringify(value), 'utf8'), subjectId);
    return { $pii: 'v1', subject: subjectId, iv: iv.toString('base64'), ct: ct.toString('base64'), tag: tag.toString('base64') };
  }

  /**
   * Seals many values at once (a dataset's personal cells): keys are read and created per batch,
   * not per value. Throws SubjectErased when a subject was erased (nothing new is kept about it).
   */
  async sealBatch(entries: readonly { subjectId: string; value: JsonValue }[]): Promise<SealedField[]> {
    const subjects = [...new Set(entries.map((e) => e.subjectId))];
    const load = async () => {
      const keys = new Map<string, Buffer | null>();
      for (let i = 0; i < subjects.length; i += 5000) {
        const rows: { subject_id: string; wrapped_key: Buffer | null }[] = await this.knex(KEYS_TABLE).select('subject_id', 'wrapped_key').whereIn('subject_id', subjects.slice(i, i + 5000));
        for (const r of rows) keys.set(r.subject_id, r.wrapped_key ? this.unwrap(r.subject_id, r.wrapped_key) : null);
      }
      return keys;
    };
    let keys = await load();
    const missing = subjects.filter((s) => !keys.has(s));
    if (missing.length > 0) {
      const rows = missing.map((subjectId) => {
        const w = gcmEncrypt(this.masterKey, randomBytes(32), `subject-key:${subjectId}`);
        return { subject_id: subjectId, wrapped_key: Buffer.concat([w.iv, w.tag, w.ct]) };
      });
      for (let i = 0; i < rows.length; i += 1000) await this.knex(KEYS_TABLE).insert(rows.slice(i, i + 1000)).onConflict('subject_id').ignore();
      // Another writer may have created some keys first; always use the stored ones.
      keys = await load();
    }
    return entries.map(({ subjectId, value }) => {
      const key = keys.get(subjectId);
      if (!key) throw new SubjectErased(subjectId);
      const { iv, ct, tag } = gcmEncrypt(key, Buffer.from(JSON.stringify(value), 'utf8'), subjectId);
      return { $pii: 'v1', subject: subjectId, iv: iv.toString('base64'), ct: ct.toString('base64'), tag: tag.toString('base64') };
    });
  }

  /** Decrypts every sealed field in the events' data; fields of erased subjects read as REDACTED. */
  async reveal<E extends Pick<StoredEvent, 'data'>>(events: E[]): Promise<E[]> {
    const subjects = new Set<string>();
    for (const e of events) collectSubjects(e.data, subjects);
    if (subjects.size === 0) return events;
    const rows: { subject_id: string; wrapped_key: Buffer | null }[] = await this.knex(KEYS_TABLE)
      .select('subject_id', 'wrapped_key')
      .whereIn('subject_id', [...subjects]);
    const keys = new Map<string, Buffer>();
    for (const r of rows) if (r.wrapped_key) keys.set(r.subject_id, this.unwrap(r.subject_id, r.wrapped_key));
    const open = (field: SealedField): JsonValue => {
      const key = keys.get(field.subject);
      if (!key) return REDACTED;
      const plain = gcmDecrypt(key, { iv: Buffer.from(field.iv, 'base64'), ct: Buffer.from(field.ct, 'base64'), tag: Buffer.from(field.tag, 'base64') }, field.subject);
      return JSON.parse(plain.toString('utf8')) as JsonValue;
    };
    return events.map((e) => ({ ...e, data: mapSealed(e.data, open) as JsonObject }));
  }

  /** Crypto-shredding: the key is destroyed; a tombstone keeps new personal data about the subject out. */
  /** Idempotent; `keyDestroyed` says whether personal data had ever been recorded under the subject. */
  async erase(subjectId: string): Promise<{ keyDestroyed: boolean }> {
    await this.knex(KEYS_TABLE).where('subject_id', subjectId).update({ wrapped_key: null, erased_at: this.knex.raw('coalesce(erased_at, now())') });
    await this.knex(KEYS_TABLE).insert({ subject_id: subjectId, wrapped_key: null, had_key: false, erased_at: this.knex.fn.now() }).onConflict('subject_id').ignore();
    const row = await this.knex(KEYS_TABLE).select('had_key').where('subject_id', subjectId).first();
    return { keyDestroyed: Boolean(row?.had_key) };
  }

  async isErased(subjectId: string): Promise<boolean> {
    const row = await this.knex(KEYS_TABLE).where('subject_id', subjectId).first();
    return Boolean(row && !row.wrapped_key);
  }
}

function collectSubjects(value: JsonValue, into: Set<string>): void {
  if (isSealedField(value)) into.add(value.subject);
  else if (Array.isArray(value)) for (const v of value) collectSubjects(v, into);
  else if (typeof value === 'object' && value !== null) for (const v of Object.values(value)) collectSubjects(v, into);
}

function mapSealed(value: JsonValue, open: (field: SealedField) => JsonValue): JsonValue {
  if (isSealedField(value)) return open(value);
  if (Array.isArray(value)) return value.map((v) => mapSealed(v, open));
  if (typeof value === 'object' && value !== null) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) out[k] = mapSealed(v, open);
    return out;
  }
  return value;
}
