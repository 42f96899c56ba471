import { randomUUID } from 'node:crypto';
import type { Actor } from '../../events/envelope.js';
import { CommandRefused } from '../decider.js';
import { handleCommand } from '../command-handler.js';
import type { IdentityDependencies } from './identity-dependencies.js';
import { emailClaimStreamId, emailDigest, normaliseEmail } from './email-address.js';
import { emailClaimDecider } from './email-claim.decider.js';
import { findAccountIdByEmail, loadAccount } from './account-lookup.js';
import { userDecider, userStreamId, type Role } from './user.decider.js';

export const VERIFICATION_TTL_MS = 24 * 3600_000;
const passwordField = 'password';

export type Registration = { email: string; name: string; password: string | null; role: Role; method: 'self-service' | 'admin-bootstrap' | 'sso'; emailVerified: boolean };

/**
 * Creates an account. The address is claimed first (its own stream, so it can belong to one
 * account only); a claim whose account was never written (a crash in between) is completed by
 * the next attempt. Answers the same for a taken address, so registration reveals nothing.
 */
export async function registerAccount(deps: IdentityDependencies, input: Registration, actor: Actor): Promise<{ userId: string; created: boolean; position: number }> {
  return recordRegistration(deps, input, await acceptablePasswordHash(deps, input), actor);
}

/**
 * Self-service sign-up as the API answers it: the password is checked and hashed in the request,
 * whether or not the address is taken, and everything that depends on the address (claim, account
 * events, which mail to send) runs after the answer, so neither answer nor timing tells whether
 * an account exists.
 */
export async function requestRegistration(deps: IdentityDependencies, input: Registration, actor: Actor): Promise<void> {
  const passwordHash = await acceptablePasswordHash(deps, input);
  deps.inBackground('registration', () => recordRegistration(deps, input, passwordHash, actor));
}

async function acceptablePasswordHash(deps: IdentityDependencies, input: Registration): Promise<string | null> {
  if (input.password === null) return null;
  const problems = deps.checkPassword(input.password, { email: normaliseEmail(input.email), name: input.name });
  if (problems.length > 0) throw new CommandRefused('WEAK_PASSWORD', problems, 400, passwordField);
  return deps.hashPassword(input.password);
}

async function recordRegistration(deps: IdentityDependencies, input: Registration, passwordHash: string | null, actor: Actor): Promise<{ userId: string; created: boolean; position: number }> {
  const email = normaliseEmail(input.email);
  const digest = emailDigest(email, deps.emailDigestKey);
  const claimedBy = await findAccountIdByEmail(deps, email);
  if (claimedBy && (await loadAccount(deps, claimedBy))) {
    await deps.sendMail({
      to: email,
      subject: 'RAIA: someone tried to register with your address',
      text: 'An account with this e-mail address already exists. If this was you, sign in or reset your password.',
    });
    return { userId: claimedBy, created: false, position: 0 };
  }
  const userId = claimedBy ?? randomUUID();
  await handleCommand(deps, emailClaimDecider, emailClaimStreamId(digest), { type: 'ClaimEmail', userId, emailDigest: digest }, { actor });
  const [sealedEmail, sealedName, sealedHash] = await Promise.all([
    deps.vault.seal(userId, email),
    deps.vault.seal(userId, input.name),
    passwordHash === null ? Promise.resolve(null) : deps.vault.seal(userId, passwordHash),
  ]);
  const result = await handleCommand(
    deps,
    userDecider,
    userStreamId(userId),
    { type: 'Register', userId, email: sealedEmail, name: sealedName, passwordHash: sealedHash, emailDigest: digest, role: input.role, method: input.method, emailVerified: input.emailVerified },
    // Self-service registration is the new user's own act.
    { actor: input.method === 'self-service' ? { kind: 'user', id: userId, role: input.role } : actor },
  );
  if (!input.emailVerified) await sendVerification(deps, userId, email);
  return { userId, created: true, position: result.position };
}

async function sendVerification(deps: IdentityDependencies, userId: string, email: string): Promise<void> {
  const token = await deps.oneTimeTokens.issue(userId, 'verify-email', VERIFICATION_TTL_MS);
  await deps.sendMail({
    to: email,
    subject: 'RAIA: confirm your e-mail address',
    text: `Confirm your address within 24 hours: ${deps.publicUrl}/verify-email?token=${token}\n\nVerification token: ${token}\n`,
  });
}

/** Spends a verification token; false when it is unknown, used or expired. */
export async function verifyEmail(deps: IdentityDependencies, token: string): Promise<{ userId: string; position: number } | null> {
  const userId = await deps.oneTimeTokens.consume(token, 'verify-email');
  const account = userId ? await loadAccount(deps, userId) : null;
  if (!userId || !account || account.erased) return null;
  const result = await handleCommand(deps, userDecider, userStreamId(userId), { type: 'VerifyEmail' }, { actor: { kind: 'user', id: userId, role: account.role } });
  return { userId, position: result.position };
}

/**
 * Sends a fresh verification mail to an active, unverified account; nothing otherwise. The lookup
 * runs after the answer, so the request takes the same time whatever the address (no enumeration).
 */
export function resendVerification(deps: IdentityDependencies, email: string): void {
  deps.inBackground('resend-verification', async () => {
    const userId = await findAccountIdByEmail(deps, email);
    const account = userId ? await loadAccount(deps, userId) : null;
    if (account && account.status === 'active' && !account.erased && !account.emailVerified) await sendVerification(deps, account.userId, account.email);
  });
}
