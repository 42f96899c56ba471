import type { Knex } from '../platform/database.js';
import { defineProjection } from './projection.js';
import { listOrder, sortedPage, type PageRequest } from './sorted-page.js';

/**
 * Service-account API keys as request authentication needs them: looked up by the SHA-256 digest
 * of the presented key. The key itself is never stored anywhere.
 */
export const apiKeys = defineProjection({
  name: 'api_keys',
  version: 1,
  handles: ['user.api-key-created', 'user.api-key-revoked'],
  tables: {
    api_keys: (t) => {
      t.uuid('key_id').primary();
      t.uuid('user_id').notNullable().index();
      t.text('name').notNullable();
      t.text('prefix').notNullable();
      t.text('digest').notNullable().unique();
      t.jsonb('permissions').notNullable();
      t.timestamp('expires_at', { useTz: true });
      t.timestamp('created_at', { useTz: true }).notNullable();
      t.timestamp('revoked_at', { useTz: true });
    },
  },
  async apply(trx, events, tables) {
    for (const e of events) {
      const d = e.data as Record<string, unknown>;
      if (e.type === 'user.api-key-created') {
        await trx(tables.api_keys).insert({
          key_id: d.keyId,
          user_id: d.userId,
          name: d.name,
          prefix: d.prefix,
          digest: d.digest,
          permissions: JSON.stringify(d.permissions),
          expires_at: d.expiresAt ?? null,
          created_at: e.occurredAt.toISOString(),
        });
      } else {
        await trx(tables.api_keys).where('key_id', d.keyId as string).update({ revoked_at: e.occurredAt.toISOString() });
      }
    }
  },
});

export type ApiKeyRecord = {
  keyId: string;
  userId: string;
  name: string;
  prefix: string;
  permissions: string[];
  expiresAt: string | null;
  createdAt: string;
  revokedAt: string | null;
};

const iso = (v: unknown) => (v ? new Date(v as string).toISOString() : null);
const parsePermissions = (v: unknown): string[] => (typeof v === 'string' ? (JSON.parse(v) as string[]) : (v as string[]));

const toApiKey = (r: Record<string, unknown>): ApiKeyRecord => ({
  keyId: r.key_id as string,
  userId: r.user_id as string,
  name: r.name as string,
  prefix: r.prefix as string,
  permissions: parsePermissions(r.permissions),
  expiresAt: iso(r.expires_at),
  createdAt: iso(r.created_at)!,
  revokedAt: iso(r.revoked_at),
});

/** A user's keys, newest first, revoked ones included (they stay visible for the audit trail). */
export async function listApiKeys(knex: Knex, userId: string): Promise<ApiKeyRecord[]> {
  return (await knex('api_keys').where('user_id', userId).orderBy('created_at', 'desc').orderBy('key_id')).map(toApiKey);
}

/** The API key list's sort fields; newest first unless asked otherwise. */
export const apiKeyListOrder = listOrder({ columns: { createdAt: 'created_at', name: 'name', expiresAt: 'expires_at' }, unique: 'key_id', defaultSort: 'createdAt', defaultOrder: 'desc' });

/** One page of a user's keys, revoked ones included, in the asked order, and how many there are. */
export async function pageOfApiKeys(knex: Knex, userId: string, page: PageRequest<keyof typeof apiKeyListOrder.columns>): Promise<{ apiKeys: ApiKeyRecord[]; total: number }> {
  const mine = knex('api_keys').where('user_id', userId);
  const [rows, counted] = (await Promise.all([sortedPage(mine.clone().select('*'), page, apiKeyListOrder), mine.clone().count({ count: '*' })])) as [Record<string, unknown>[], [{ count: string | number }]];
  return { apiKeys: rows.map(toApiKey), total: Number(counted[0].count) };
}

export async function findApiKey(knex: Knex, keyId: string): Promise<ApiKeyRecord | null> {
  const row = (await knex('api_keys').where('key_id', keyId).first()) as Record<string, unknown> | undefined;
  return row ? toApiKey(row) : null;
}

export type ApiKeyOwner = ApiKeyRecord & { digest: string; ownerRole: string; ownerStatus: string };

/** The key with this digest and its owner's current role and status, for authentication. */
export async function findApiKeyByDigest(knex: Knex, digest: string): Promise<ApiKeyOwner | null> {
  const row = (await knex('api_keys as k')
    .join('users as u', 'u.user_id', 'k.user_id')
    .where('k.digest', digest)
    .first('k.*', 'u.role as owner_role', 'u.status as owner_status')) as Record<string, unknown> | undefined;
  return row ? { ...toApiKey(row), digest: row.digest as string, ownerRole: row.owner_role as string, ownerStatus: row.owner_status as string } : null;
}
