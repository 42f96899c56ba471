import { createHmac } from 'node:crypto';
import { CommandRefused, type Decider, type DomainEvent } from '../decider.js';

export type LinkSsoIdentity = { type: 'LinkSsoIdentity'; userId: string; provider: string; identityDigest: string };
export type SsoIdentityLinked = DomainEvent<'user.sso-identity-linked', { userId: string; provider: string; identityDigest: string }>;
export type SsoIdentityLinkState = { linkedTo: string | null };

/**
 * Keyed digest of an identity at a provider: issuer and subject together (OIDC Core §2: `sub` is
 * unique only within its issuer), so the ledger finds the account without storing either.
 */
export const ssoIdentityDigest = (issuer: string, subject: string, key: Buffer) => createHmac('sha256', key).update(`${issuer}\n${subject}`, 'utf8').digest('hex');

export const ssoIdentityStreamId = (digest: string) => `usersso-${digest}`;

/** One stream per provider identity: it belongs to one account, for good. */
export const ssoIdentityLinkDecider: Decider<LinkSsoIdentity, SsoIdentityLinked, SsoIdentityLinkState> = {
  category: 'usersso',
  initialState: () => ({ linkedTo: null }),
  decide(command, state) {
    if (state.linkedTo === command.userId) return [];
    if (state.linkedTo) throw new CommandRefused('SSO_IDENTITY_LINKED', ['this sign-in identity belongs to another account']);
    return [{ type: 'user.sso-identity-linked', data: { userId: command.userId, provider: command.provider, identityDigest: command.identityDigest } }];
  },
  evolve: (_state, event) => ({ linkedTo: event.data.userId }),
};
