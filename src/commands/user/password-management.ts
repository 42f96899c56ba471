import { CommandRefused } from '../decider.js';
import { handleCommand } from '../command-handler.js';
import type { IdentityDependencies } from './identity-dependencies.js';
import { findAccountIdByEmail, loadAccount } from './account-lookup.js';
import { userDecider, userStreamId } from './user.decider.js';

export const RESET_TTL_MS = 30 * 60_000;
const passwordField = 'newPassword';

/**
 * Mails a reset token to an active account and nothing otherwise. The lookup, the token and the
 * mail all come after the answer (202 either way), so the request takes the same time whatever
 * the address: neither answer nor timing tells whether an account exists.
 */
export function requestPasswordReset(deps: IdentityDependencies, email: string): void {
  deps.inBackground('password-reset', async () => {
    const userId = await findAccountIdByEmail(deps, email);
    const account = userId ? await loadAccount(deps, userId) : null;
    if (!account || account.status !== 'active' || account.erased) return;
    const token = await deps.oneTimeTokens.issue(account.userId, 'reset-password', RESET_TTL_MS);
    await deps.sendMail({
      to: account.email,
      subject: 'RAIA: reset your password',
      text: `Reset your password within 30 minutes: ${deps.publicUrl}/reset-password?token=${token}\n\nReset token: ${token}\n\nIf you did not ask for this, ignore this message.`,
    });
  });
}

async function setPassword(deps: IdentityDependencies, userId: string, password: string, via: 'change' | 'reset', context: { email: string; name: string; role: string }) {
  const problems = deps.checkPassword(password, { email: context.email, name: context.name });
  if (problems.length > 0) throw new CommandRefused('WEAK_PASSWORD', problems, 400, passwordField);
  const sealed = await deps.vault.seal(userId, await deps.hashPassword(password));
  return handleCommand(deps, userDecider, userStreamId(userId), { type: 'SetPassword', passwordHash: sealed, via }, { actor: { kind: 'user', id: userId, role: context.role } });
}

/** Spends a reset token and sets the new password; every session of the account is revoked. */
export async function resetPassword(deps: IdentityDependencies, token: string, password: string): Promise<{ position: number } | null> {
  const userId = await deps.oneTimeTokens.consume(token, 'reset-password');
  const account = userId ? await loadAccount(deps, userId) : null;
  if (!account || account.status !== 'active' || account.erased) return null;
  const result = await setPassword(deps, account.userId, password, 'reset', account);
  await deps.sessions.revokeAll(account.userId, 'password-reset');
  return { position: result.position };
}

/** Changes the password after checking the current one; other sessions are revoked, this one kept. */
export async function changePassword(deps: IdentityDependencies, userId: string, sessionId: string, current: string, next: string): Promise<{ position: number }> {
  const account = await loadAccount(deps, userId);
  if (!account || !account.passwordHash || !(await deps.verifyPassword(account.passwordHash, current))) {
    throw new CommandRefused('WRONG_PASSWORD', ['the current password is not correct'], 422);
  }
  const result = await setPassword(deps, userId, next, 'change', account);
  for (const s of await deps.sessions.list(userId)) if (s.sessionId !== sessionId) await deps.sessions.revoke(s.sessionId, 'password-changed');
  return { position: result.position };
}
