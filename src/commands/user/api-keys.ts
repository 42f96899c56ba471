import { randomUUID } from 'node:crypto';
import type { Actor } from '../../events/envelope.js';
import { handleCommand } from '../command-handler.js';
import type { IdentityDependencies } from './identity-dependencies.js';
import { userDecider, userStreamId } from './user.decider.js';

/**
 * Records a new service-account key for `userId`. The caller mints the key and shows it once;
 * the event keeps only its prefix (to name it) and SHA-256 digest (to recognise it).
 */
export async function createApiKey(
  deps: IdentityDependencies,
  userId: string,
  input: { name: string; permissions: string[]; expiresAt: string | null; prefix: string; digest: string },
  actor: Actor,
): Promise<{ keyId: string; position: number }> {
  const keyId = randomUUID();
  const result = await handleCommand(deps, userDecider, userStreamId(userId), { type: 'CreateApiKey', keyId, ...input }, { actor });
  return { keyId, position: result.position };
}

/** Revokes a key; revoking an already revoked key changes nothing and records nothing. */
export async function revokeApiKey(deps: IdentityDependencies, userId: string, keyId: string, actor: Actor): Promise<{ position: number }> {
  const result = await handleCommand(deps, userDecider, userStreamId(userId), { type: 'RevokeApiKey', keyId }, { actor });
  return { position: result.position };
}
