import { createHmac, hkdfSync } from 'node:crypto';
import { PersonalDataVault, subjectKeyMigrations } from '../../src/events/personal-data.js';
import { runMigrations } from '../../src/platform/migrations.js';
import { openTestDatabase, type TestDatabase } from './test-database.js';

/**
 * The pseudonym as documented, written from the documentation rather than the vault:
 * HMAC-SHA-256 under HKDF-SHA-256(master key, no salt, "raia personal-data pseudonym", 32 bytes)
 * of the value's canonical JSON text, first 16 hex digits.
 */
export function documentedPseudonym(masterKey: Buffer, canonicalText: string): string {
  const key = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'raia personal-data pseudonym', 32));
  return `[personal:${createHmac('sha256', key).update(canonicalText, 'utf8').digest('hex').slice(0, 16)}]`;
}

/** A vault over loopback PostgreSQL with only its own table (a schema of its own: `db.drop()` removes it). */
export async function vaultOnPostgres(masterKey: Buffer): Promise<{ db: TestDatabase; vault: PersonalDataVault }> {
  const db = await openTestDatabase('postgres', { migrate: false, poolSize: 2 });
  await runMigrations(db.knex, subjectKeyMigrations);
  return { db, vault: new PersonalDataVault(db.knex, masterKey) };
}
