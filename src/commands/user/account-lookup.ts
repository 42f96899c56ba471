import { REDACTED } from '../../events/personal-data.js';
import type { IdentityDependencies } from './identity-dependencies.js';
import { emailClaimStreamId, emailDigest } from './email-address.js';
import { userDecider, userStreamId, type UserState } from './user.decider.js';

/** `erased`: the user was erased (crypto-shredded); such an account never signs in again and is answered for as if it did not exist. */
export type Account = Exclude<UserState, { status: 'none' }> & { email: string; name: string; passwordHash: string | null; erased: boolean };

/**
 * An account read from the ledger itself, not a read model: sign-in decisions must see the
 * latest password and lockout state, whatever a projection's lag.
 */
export async function loadAccount(deps: IdentityDependencies, userId: string): Promise<Account | null> {
  const events = await deps.store.readStream(userStreamId(userId));
  if (events.length === 0) return null;
  let state: UserState = userDecider.initialState();
  let email = '';
  let name = '';
  let passwordHash: string | null = null;
  for (const stored of await deps.vault.reveal(events.map((e) => deps.catalogue.upcast(e)))) {
    state = userDecider.evolve(state, stored as never);
    if (stored.type === 'user.registered' || stored.type === 'user.invited') {
      email = String(stored.data.email);
      name = String(stored.data.name);
      passwordHash = stored.type === 'user.registered' && stored.data.passwordHash !== null ? String(stored.data.passwordHash) : null;
    } else if (stored.type === 'user.password-changed' || stored.type === 'user.invitation-accepted') passwordHash = String(stored.data.passwordHash);
  }
  if (state.status === 'none') return null;
  // After erasure the sealed fields read as "[redacted]" (an address never does): such an account can never sign in.
  const erased = email === REDACTED;
  if (erased) passwordHash = null;
  return { ...state, email, name, passwordHash, erased };
}

export async function findAccountIdByEmail(deps: IdentityDependencies, email: string): Promise<string | null> {
  const [claim] = await deps.store.readStream(emailClaimStreamId(emailDigest(email, deps.emailDigestKey)), { limit: 1 });
  return claim ? String(claim.data.userId) : null;
}
