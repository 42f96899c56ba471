import { randomUUID } from 'node:crypto';
import type { Actor } from '../../events/envelope.js';
import { CommandRefused } from '../decider.js';
import { handleCommand } from '../command-handler.js';
import type { IdentityDependencies } from './identity-dependencies.js';
import { emailClaimStreamId, emailDigest, normaliseEmail } from './email-address.js';
import { emailClaimDecider } from './email-claim.decider.js';
import { findAccountIdByEmail, loadAccount } from './account-lookup.js';
import { userDecider, userStreamId, type Role } from './user.decider.js';

/** How long an invitation link works; inviting again sends a new one (and the older stops working). */
export const INVITATION_TTL_MS = 7 * 24 * 3600_000;

export type Invitation = { email: string; name: string; role: Role };

/**
 * An administrator invites someone: the address is claimed and the account recorded as invited
 * (sealed e-mail and name, the role), then a one-time link is mailed. Inviting a pending invitee
 * again mails a new link with the role asked for now; an address with an account already is
 * refused (an administrator may know which accounts exist: they can list them).
 */
export async function inviteUser(deps: IdentityDependencies, input: Invitation, actor: Actor): Promise<{ userId: string; expiresAt: Date; position: number }> {
  const email = normaliseEmail(input.email);
  const digest = emailDigest(email, deps.emailDigestKey);
  const claimedBy = await findAccountIdByEmail(deps, email);
  const account = claimedBy ? await loadAccount(deps, claimedBy) : null;
  if (account && account.status !== 'invited') throw new CommandRefused('USER_EXISTS', ['an account with this address already exists'], 409, 'email');
  // A claim without an account (a crash between the two writes) is completed, as registration does.
  const userId = claimedBy ?? randomUUID();
  if (!claimedBy) await handleCommand(deps, emailClaimDecider, emailClaimStreamId(digest), { type: 'ClaimEmail', userId, emailDigest: digest }, { actor });
  const [sealedEmail, sealedName] = await Promise.all([deps.vault.seal(userId, email), deps.vault.seal(userId, input.name)]);
  const result = await handleCommand(deps, userDecider, userStreamId(userId), { type: 'Invite', userId, email: sealedEmail, name: sealedName, emailDigest: digest, role: input.role }, { actor });
  const token = await deps.oneTimeTokens.issue(userId, 'accept-invitation', INVITATION_TTL_MS);
  const expiresAt = new Date(deps.clock().getTime() + INVITATION_TTL_MS);
  await deps.sendMail({
    to: email,
    subject: 'RAIA: you are invited',
    text:
      `You are invited to RAIA as ${input.role.replace('_', ' ')}. Set your password within 7 days: ${deps.publicUrl}/accept-invitation?token=${token}\n\n` +
      `Invitation token: ${token}\n\nIf you did not expect this, ignore this message.`,
  });
  return { userId, expiresAt, position: result.position };
}

/**
 * The invitee sets a password with the mailed token: the account becomes active with the invited
 * role and its address verified. The password is checked before the token is spent, so a refused
 * password leaves the link working; null when the token is unknown, used or expired, or the
 * invitation was withdrawn.
 */
export async function acceptInvitation(deps: IdentityDependencies, token: string, password: string): Promise<{ userId: string; role: Role; position: number } | null> {
  const pending = await deps.oneTimeTokens.peek(token, 'accept-invitation');
  const account = pending ? await loadAccount(deps, pending) : null;
  if (!account || account.status !== 'invited') return null;
  const problems = deps.checkPassword(password, { email: account.email, name: account.name });
  if (problems.length > 0) throw new CommandRefused('WEAK_PASSWORD', problems, 400, 'password');
  const sealedHash = await deps.vault.seal(account.userId, await deps.hashPassword(password));
  if ((await deps.oneTimeTokens.consume(token, 'accept-invitation')) !== account.userId) return null;
  const result = await handleCommand(deps, userDecider, userStreamId(account.userId), { type: 'AcceptInvitation', passwordHash: sealedHash }, { actor: { kind: 'user', id: account.userId, role: account.role } });
  return { userId: account.userId, role: account.role, position: result.position };
}
