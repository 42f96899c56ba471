import { randomUUID } from 'node:crypto';
import { CommandRefused } from '../decider.js';
import { handleCommand } from '../command-handler.js';
import type { IdentityDependencies } from './identity-dependencies.js';
import { findAccountIdByEmail, loadAccount } from './account-lookup.js';
import { normaliseEmail } from './email-address.js';
import { registerAccount } from './registration.js';
import { ssoIdentityDigest, ssoIdentityLinkDecider, ssoIdentityStreamId } from './sso-identity-link.decider.js';
import { userDecider, userStreamId } from './user.decider.js';
import { sealUnlessErased, type SignedIn } from './sign-in.js';

/** What a provider vouched for, after the OIDC client verified its ID token. */
export type ProviderIdentity = { provider: string; issuer: string; subject: string; email: string | null; emailVerified: boolean; name: string | null };

/**
 * Signs in with an identity a configured provider vouched for. A known identity signs in to its
 * linked account. A new one is linked to the account with the same address when the provider
 * verified that address (providers are configured by the operator, so trusted for it), or gets a
 * new viewer account; an address the provider did not verify is refused, since linking on it
 * would let anyone who can type an address into that provider take the account over.
 */
export async function signInWithSso(deps: IdentityDependencies, identity: ProviderIdentity, client: { userAgent: string | null; ip: string | null }): Promise<SignedIn | null> {
  const digest = ssoIdentityDigest(identity.issuer, identity.subject, deps.emailDigestKey);
  const streamId = ssoIdentityStreamId(digest);
  const [link] = await deps.store.readStream(streamId, { limit: 1 });
  let userId = link ? String(link.data.userId) : null;
  const system = { kind: 'system' as const, id: `sso:${identity.provider}` };
  if (!userId) {
    if (!identity.email || !identity.emailVerified) {
      throw new CommandRefused('SSO_EMAIL_UNVERIFIED', [`the provider did not confirm a verified e-mail address for this identity, so it cannot be linked to an account`], 422);
    }
    const claimedBy = await findAccountIdByEmail(deps, identity.email);
    const existing = claimedBy ? await loadAccount(deps, claimedBy) : null;
    // An erased user's address stays claimed by the erased account, which never signs in again.
    if (existing?.erased) return null;
    const name = identity.name?.trim() || identity.email.split('@')[0]!;
    userId = existing ? existing.userId : (await registerAccount(deps, { email: identity.email, name, password: null, role: 'viewer', method: 'sso', emailVerified: true }, system)).userId;
    await handleCommand(deps, ssoIdentityLinkDecider, streamId, { type: 'LinkSsoIdentity', userId, provider: identity.provider, identityDigest: digest }, { actor: system });
  }
  const account = await loadAccount(deps, userId);
  if (!account || account.erased) return null;
  const actor = { kind: 'user' as const, id: account.userId, role: account.role };
  // The provider has just proved control of the address the account was registered with.
  if (!account.emailVerified && identity.emailVerified && identity.email !== null && normaliseEmail(identity.email) === account.email) {
    await handleCommand(deps, userDecider, userStreamId(account.userId), { type: 'VerifyEmail' }, { actor });
  }
  const sessionId = randomUUID();
  const ip = client.ip ? await sealUnlessErased(deps, account.userId, client.ip) : null;
  const userAgent = client.userAgent ? await sealUnlessErased(deps, account.userId, client.userAgent.slice(0, 300)) : null;
  if (ip === undefined || userAgent === undefined) return null;
  const result = await handleCommand(deps, userDecider, userStreamId(account.userId), { type: 'RecordSsoLogin', sessionId, ip, userAgent }, { actor });
  if (!result.events.some((e) => e.type === 'user.logged-in')) return null;
  const session = await deps.sessions.create(account.userId, client.userAgent, sessionId);
  return { userId: account.userId, role: account.role, sessionId, refreshToken: session.refreshToken, position: result.position };
}
