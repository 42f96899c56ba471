import { randomUUID } from 'node:crypto';
import type { Actor } from '../../events/envelope.js';
import { SubjectErased, type SealedField } from '../../events/personal-data.js';
import { handleCommand } from '../command-handler.js';
import type { IdentityDependencies } from './identity-dependencies.js';
import { findAccountIdByEmail, loadAccount } from './account-lookup.js';
import { userDecider, userStreamId, type Role } from './user.decider.js';

export type SignedIn = { userId: string; role: Role; sessionId: string; refreshToken: string; position: number };

const userActor = (userId: string, role: Role): Actor => ({ kind: 'user', id: userId, role });

/**
 * Password sign-in. Unknown addresses, and accounts of erased users, cost one argon2 verification
 * like known ones and answer the same null, so neither timing nor message tells whether an account
 * exists. Every outcome for an existing account is an event (logged in, failed, locked out).
 */
export async function signInWithPassword(
  deps: IdentityDependencies,
  input: { email: string; password: string; userAgent: string | null; ip: string | null },
): Promise<SignedIn | null> {
  const userId = await findAccountIdByEmail(deps, input.email);
  const account = userId ? await loadAccount(deps, userId) : null;
  if (!account || account.erased) {
    await deps.verifyNothing(input.password);
    return null;
  }
  const passwordValid = account.passwordHash ? await deps.verifyPassword(account.passwordHash, input.password) : (await deps.verifyNothing(input.password), false);
  const sessionId = randomUUID();
  const ip = input.ip ? await sealUnlessErased(deps, account.userId, input.ip) : null;
  const userAgent = input.userAgent ? await sealUnlessErased(deps, account.userId, input.userAgent.slice(0, 300)) : null;
  if (ip === undefined || userAgent === undefined) return null;
  const result = await handleCommand(
    deps,
    userDecider,
    userStreamId(account.userId),
    { type: 'AttemptPasswordLogin', passwordValid, sessionId, ip, userAgent },
    { actor: userActor(account.userId, account.role) },
  );
  if (!result.events.some((e) => e.type === 'user.logged-in')) return null;
  // The only moment the plain password is at hand: upgrade a hash made with older parameters.
  if (account.passwordHash && deps.needsRehash(account.passwordHash)) {
    const rehashed = await deps.vault.seal(account.userId, await deps.hashPassword(input.password));
    await handleCommand(deps, userDecider, userStreamId(account.userId), { type: 'SetPassword', passwordHash: rehashed, via: 'rehash' }, { actor: userActor(account.userId, account.role) });
  }
  const session = await deps.sessions.create(account.userId, input.userAgent, sessionId);
  return { userId: account.userId, role: account.role, sessionId, refreshToken: session.refreshToken, position: result.position };
}

/** The sealed value, or undefined when the user was erased since the account was read (a sign-in racing its erasure). */
export async function sealUnlessErased(deps: IdentityDependencies, userId: string, value: string): Promise<SealedField | undefined> {
  try {
    return await deps.vault.seal(userId, value);
  } catch (error) {
    if (error instanceof SubjectErased) return undefined;
    throw error;
  }
}

export type Refreshed = { status: 'rotated'; userId: string; role: Role; sessionId: string; refreshToken: string } | { status: 'reused' | 'invalid' };

/** Rotates a refresh token. A reused token revokes its session and is recorded as a security event. */
export async function refreshSession(deps: IdentityDependencies, refreshToken: string): Promise<Refreshed> {
  const rotated = await deps.sessions.rotate(refreshToken);
  if (rotated.status === 'invalid') return { status: 'invalid' };
  const account = await loadAccount(deps, rotated.userId);
  if (rotated.status === 'reused') {
    if (account) {
      await handleCommand(deps, userDecider, userStreamId(account.userId), { type: 'DetectTokenReuse', sessionId: rotated.sessionId }, { actor: { kind: 'system', id: 'token-reuse-detection' } });
    }
    return { status: 'reused' };
  }
  if (!account || account.status !== 'active' || account.erased) {
    await deps.sessions.revoke(rotated.sessionId, 'account-inactive');
    return { status: 'invalid' };
  }
  return { status: 'rotated', userId: account.userId, role: account.role, sessionId: rotated.sessionId, refreshToken: rotated.refreshToken };
}
