import { CommandRefused, type Decider, type DomainEvent } from '../decider.js';

export type ClaimEmail = { type: 'ClaimEmail'; userId: string; emailDigest: string };
export type EmailClaimed = DomainEvent<'user.email-claimed', { userId: string; emailDigest: string }>;
export type EmailClaimState = { claimedBy: string | null };

/** One stream per e-mail digest: the ledger itself guarantees an address belongs to one account. */
export const emailClaimDecider: Decider<ClaimEmail, EmailClaimed, EmailClaimState> = {
  category: 'useremail',
  initialState: () => ({ claimedBy: null }),
  decide(command, state) {
    if (state.claimedBy === command.userId) return [];
    if (state.claimedBy) throw new CommandRefused('EMAIL_TAKEN', ['the e-mail address belongs to another account']);
    return [{ type: 'user.email-claimed', data: { userId: command.userId, emailDigest: command.emailDigest } }];
  },
  evolve: (_state, event) => ({ claimedBy: event.data.userId }),
};
