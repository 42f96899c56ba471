import { findApiKeyByDigest } from '../../projections/api-keys.projection.js';
import type { ApiKeyUsage } from '../../platform/api-key-usage.js';
import type { Knex } from '../../platform/database.js';
import { apiKeyPrefix, sameDigest, tokenDigest } from '../../platform/secure-token.js';
import { PERMISSIONS, ROLES, type Permission, type Role } from '../permissions.js';

export type AuthenticatedKey = { keyId: string; userId: string; role: Role; permissions: Permission[] };

/**
 * Recognises a presented API key: well-formed, its digest known, not revoked or expired, and its
 * owner active. Each accepted use is recorded (at most once a minute per key).
 */
export class ApiKeyAuthentication {
  constructor(
    private readonly knex: Knex,
    private readonly usage: ApiKeyUsage,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  looksLikeKey(credential: string): boolean {
    return credential.startsWith('raia_');
  }

  async authenticate(presented: string, ip: string | null): Promise<AuthenticatedKey | null> {
    if (apiKeyPrefix(presented) === null) return null;
    const digest = tokenDigest(presented);
    const key = await findApiKeyByDigest(this.knex, digest);
    // The lookup is by digest already; the constant-time re-check guards against a collation
    // or index surprise ever matching a different row.
    if (!key || !sameDigest(key.digest, digest)) return null;
    const now = this.clock();
    if (key.revokedAt || (key.expiresAt && new Date(key.expiresAt) <= now)) return null;
    if (key.ownerStatus !== 'active' || !(ROLES as readonly string[]).includes(key.ownerRole)) return null;
    await this.usage.recordUse(key.keyId, ip, now);
    const permissions = key.permissions.filter((p): p is Permission => (PERMISSIONS as readonly string[]).includes(p));
    return { keyId: key.keyId, userId: key.userId, role: key.ownerRole as Role, permissions };
  }
}
